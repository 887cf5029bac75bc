package dev.keel.core.chat;

/**
 * The outcome of one request in a batch: a reply text, or the failure that prevented it.
 * Exactly one of {@code text} and {@code error} is non-null.
 *
 * @param text  the reply, or {@code null} on failure
 * @param error the failure, or {@code null} on success
 */
public record ChatResponse(String text, ChatModelException error) {

    /**
     * A response holding exactly one of a reply and a failure.
     *
     * @param text  the reply, or {@code null} on failure
     * @param error the failure, or {@code null} on success
     * @throws IllegalArgumentException if both or neither are given
     */
    public ChatResponse {
        if ((text == null) == (error == null)) {
            throw new IllegalArgumentException("exactly one of text and error must be given");
        }
    }

    /**
     * A successful response.
     *
     * @param text the reply
     * @return the response
     * @throws IllegalArgumentException if {@code text} is null
     */
    public static ChatResponse ok(String text) {
        return new ChatResponse(text, null);
    }

    /**
     * A failed response.
     *
     * @param error the failure
     * @return the response
     * @throws IllegalArgumentException if {@code error} is null
     */
    public static ChatResponse failed(ChatModelException error) {
        return new ChatResponse(null, error);
    }

    /**
     * Whether a reply was produced.
     *
     * @return {@code true} if {@link #text()} is set
     */
    public boolean isOk() {
        return text != null;
    }

    /**
     * The reply, or throws the failure.
     *
     * @return the reply
     * @throws ChatModelException the failure, if the request failed
     */
    public String textOrThrow() {
        if (error != null) {
            throw error;
        }
        return text;
    }
}
