package dev.keel.core.embed;

import dev.keel.core.KeelException;

/** The embedding model failed at run time; the native cause is kept. */
public final class EmbeddingException extends KeelException {

    private static final long serialVersionUID = 1L;

    /**
     * An embedding failure.
     *
     * @param message what failed, naming the model
     * @param cause   the native exception (e.g. ONNX Runtime's), kept as the cause
     */
    public EmbeddingException(String message, Throwable cause) {
        super(message, cause);
    }
}
