package dev.keel.core.chat;

import dev.keel.core.internal.Preconditions;

import java.util.List;

/**
 * The outcome of one request in a batch: a reply, or the failure that prevented it. Exactly one of
 * {@code text} and {@code error} is non-null. A reply holds at least one {@link ChatChoice}
 * ({@code text} is the first one's), and the {@link TokenUsage} when the endpoint reported it.
 *
 * @param text    the first choice's reply, or {@code null} on failure
 * @param error   the failure, or {@code null} on success
 * @param choices every choice of a reply, in index order; empty on failure
 * @param usage   the token counts the endpoint reported, or {@code null} (always on failure)
 */
public record ChatResponse(String text, ChatModelException error, List<ChatChoice> choices, TokenUsage usage) {

    /**
     * A response holding exactly one of a reply and a failure; {@code choices} is copied.
     *
     * @param text    the first choice's reply, or {@code null} on failure
     * @param error   the failure, or {@code null} on success
     * @param choices every choice of a reply (the first one's text is {@code text}); empty on failure
     * @param usage   the token counts, or {@code null}; {@code null} on failure
     * @throws NullPointerException     if {@code choices} is null
     * @throws IllegalArgumentException if both or neither of {@code text} and {@code error} are given,
     *                                  or the choices do not fit them
     */
    public ChatResponse {
        if ((text == null) == (error == null)) {
            throw new IllegalArgumentException("exactly one of text and error must be given");
        }
        choices = List.copyOf(Preconditions.noNulls(choices, "choices"));
        if (error != null) {
            Preconditions.checkArgument(choices.isEmpty() && usage == null,
                    "a failed response holds no choices and no usage, had " + choices.size() + " choices");
        } else {
            Preconditions.checkArgument(!choices.isEmpty(), "a reply holds at least one choice");
            Preconditions.checkArgument(choices.get(0).text().equals(text), "text must be the first choice's text");
        }
    }

    /**
     * A response with only a text or only a failure (the form before choices and usage existed).
     *
     * @param text  the reply, or {@code null} on failure
     * @param error the failure, or {@code null} on success
     * @throws IllegalArgumentException if both or neither are given
     */
    public ChatResponse(String text, ChatModelException error) {
        this(text, error, text == null ? List.of() : List.of(ChatChoice.of(text)), null);
    }

    /**
     * A successful response with one choice and no usage.
     *
     * @param text the reply
     * @return the response
     * @throws IllegalArgumentException if {@code text} is null
     */
    public static ChatResponse ok(String text) {
        return new ChatResponse(text, null);
    }

    /**
     * A successful response with every choice and the usage.
     *
     * @param choices the choices, in index order, not empty
     * @param usage   the token counts, or {@code null} if the endpoint reported none
     * @return the response
     * @throws NullPointerException     if {@code choices} is null
     * @throws IllegalArgumentException if {@code choices} is empty or holds null
     */
    public static ChatResponse ok(List<ChatChoice> choices, TokenUsage usage) {
        Preconditions.notEmpty(choices, "choices");
        Preconditions.noNulls(choices, "choices");
        return new ChatResponse(choices.get(0).text(), null, choices, usage);
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
     * Why generation of the first choice stopped.
     *
     * @return {@code "stop"}, {@code "length"}, ... or {@code null} on failure or if the endpoint did not say
     */
    public String finishReason() {
        return choices.isEmpty() ? null : choices.get(0).finishReason();
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
