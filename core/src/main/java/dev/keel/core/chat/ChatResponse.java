package dev.keel.core.chat;

/**
 * The outcome of one request in a batch: a reply text, or the failure that prevented it.
 * Exactly one of {@code text} and {@code error} is non-null.
 *
 * @param text  the reply, or {@code null} on failure
 * @param error the failure, or {@code null} on success
 */
public record ChatResponse(String text, ChatModelException error) {

    public ChatResponse {
        if ((text == null) == (error == null)) {
            throw new IllegalArgumentException("exactly one of text and error must be given");
        }
    }

    public static ChatResponse ok(String text) {
        return new ChatResponse(text, null);
    }

    public static ChatResponse failed(ChatModelException error) {
        return new ChatResponse(null, error);
    }

    /** Whether a reply was produced. */
    public boolean isOk() {
        return text != null;
    }

    /** The reply, or throws the failure. */
    public String textOrThrow() {
        if (error != null) {
            throw error;
        }
        return text;
    }
}
