package dev.keel.core;

/**
 * The one root of Keel's own failures: catch it to handle anything Keel raises, or catch a subtype
 * to branch on the kind.
 *
 * <ul>
 *   <li>{@link dev.keel.core.embed.ModelLoadException}: a model or tokenizer could not be loaded;</li>
 *   <li>{@link dev.keel.core.data.DatasetException}: a line of a dataset file cannot be read (file and
 *       line named);</li>
 *   <li>{@link dev.keel.core.lm.safetensors.SafeTensorsException}: a safetensors file is malformed or
 *       lacks a tensor;</li>
 *   <li>{@link dev.keel.core.chat.ChatModelException}: a chat model gave no usable reply (with a
 *       {@link dev.keel.core.chat.ChatModelException.Kind kind});</li>
 *   <li>{@link dev.keel.core.embed.EmbeddingException}: the embedding model failed at run time.</li>
 * </ul>
 *
 * <p>Unchecked: a caller that can do something about the failure catches it. Plain I/O failures
 * (a file that cannot be opened, a full disk) stay {@link java.io.IOException}s; bad arguments stay
 * {@link IllegalArgumentException}s.
 */
public class KeelException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * A failure described by {@code message}.
     *
     * @param message what failed, naming the value
     */
    public KeelException(String message) {
        super(message);
    }

    /**
     * A failure described by {@code message}, caused by {@code cause} (kept).
     *
     * @param message what failed, naming the value
     * @param cause   the underlying failure, or {@code null}
     */
    public KeelException(String message, Throwable cause) {
        super(message, cause);
    }
}
