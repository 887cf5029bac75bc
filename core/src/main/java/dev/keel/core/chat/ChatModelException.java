package dev.keel.core.chat;

import dev.keel.core.KeelException;

/**
 * A chat model could not produce a reply: the endpoint failed, timed out, answered something that
 * cannot be read, or the request was refused. Messages never contain API keys.
 */
public class ChatModelException extends KeelException {

    private static final long serialVersionUID = 1L;

    /** What kind of failure this is. */
    public enum Kind {
        /** An HTTP status that is not retried (4xx other than 408/429), or one retried too often. */
        HTTP_STATUS,
        /** No whole reply within the deadline (headers and body, or a stream that stalled). */
        TIMEOUT,
        /** A network or I/O failure. */
        IO,
        /** A reply that is not the expected JSON. */
        MALFORMED_RESPONSE,
        /** A reply body larger than the client's limit ({@code maxResponseBytes}); not retried. */
        TOO_LARGE,
        /** The client was closed while the request was waiting or in flight. */
        CLOSED,
        /** The calling thread was interrupted. */
        INTERRUPTED,
        /** No recorded or local answer exists for the request. */
        NOT_FOUND,
        /** Anything else. */
        OTHER
    }

    /** The kind of failure. */
    private final Kind kind;
    /** The HTTP status of the last attempt, or -1. */
    private final int statusCode;

    /**
     * A failure with an HTTP status.
     *
     * @param kind       the kind of failure
     * @param statusCode the HTTP status of the last attempt, or -1 if none was received
     * @param message    what went wrong (never holding an API key)
     * @param cause      the underlying exception, or {@code null}
     */
    public ChatModelException(Kind kind, int statusCode, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.statusCode = statusCode;
    }

    /**
     * A failure without an HTTP status.
     *
     * @param kind    the kind of failure
     * @param message what went wrong
     * @param cause   the underlying exception, or {@code null}
     */
    public ChatModelException(Kind kind, String message, Throwable cause) {
        this(kind, -1, message, cause);
    }

    /**
     * A failure without an HTTP status or cause.
     *
     * @param kind    the kind of failure
     * @param message what went wrong
     */
    public ChatModelException(Kind kind, String message) {
        this(kind, -1, message, null);
    }

    /**
     * The kind of failure.
     *
     * @return the kind
     */
    public Kind kind() {
        return kind;
    }

    /**
     * The HTTP status of the last attempt.
     *
     * @return the status, or -1 if none was received
     */
    public int statusCode() {
        return statusCode;
    }
}
