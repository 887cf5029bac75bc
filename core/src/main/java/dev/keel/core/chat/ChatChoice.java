package dev.keel.core.chat;

import dev.keel.core.internal.Preconditions;

import java.util.List;

/**
 * One of the replies to a request ({@code choices[i]} in OpenAI's reply; several when
 * {@link GenerationOptions#n()} is above 1).
 *
 * @param index        the choice's index, {@code >= 0}
 * @param text         the reply text
 * @param finishReason why generation stopped ({@code "stop"}, {@code "length"}, ...), or {@code null}
 *                     if the endpoint did not say
 * @param logprobs     per-token log probabilities when they were asked for, else empty
 */
public record ChatChoice(int index, String text, String finishReason, List<TokenLogprob> logprobs) {

    /**
     * A choice; {@code logprobs} is copied.
     *
     * @param index        the choice's index, {@code >= 0}
     * @param text         the reply text
     * @param finishReason why generation stopped, or {@code null}
     * @param logprobs     per-token log probabilities, possibly empty
     * @throws NullPointerException     if {@code text} or {@code logprobs} is null
     * @throws IllegalArgumentException if {@code index < 0} or {@code logprobs} holds null
     */
    public ChatChoice {
        Preconditions.checkNonNegative(index, "index");
        Preconditions.notNull(text, "text");
        logprobs = List.copyOf(Preconditions.noNulls(logprobs, "logprobs"));
    }

    /**
     * A choice with only a text (index 0, no finish reason, no log probabilities).
     *
     * @param text the reply text
     * @return the choice
     * @throws NullPointerException if {@code text} is null
     */
    public static ChatChoice of(String text) {
        return new ChatChoice(0, text, null, List.of());
    }
}
