package dev.keel.core.embed;

import dev.keel.core.KeelException;

/**
 * A model could not be loaded: a missing or unreadable file, a file that is not a model, or a
 * tokenizer that does not fit it. A caller can recover (point at another file).
 */
public final class ModelLoadException extends KeelException {

    private static final long serialVersionUID = 1L;

    /**
     * A load failure with its cause.
     *
     * @param message what could not be loaded, naming the file
     * @param cause   the I/O or native exception, kept as the cause
     */
    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * A load failure found by Keel's own checks.
     *
     * @param message what could not be loaded, naming the file
     */
    public ModelLoadException(String message) {
        super(message);
    }
}
