package dev.keel.core.embed;

/** The embedding model failed at run time; the native cause is kept. */
public final class EmbeddingException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public EmbeddingException(String message, Throwable cause) {
        super(message, cause);
    }
}
