package dev.keel.core.chat;

import dev.keel.core.internal.Preconditions;

/**
 * The token counts an endpoint reports for one request ({@code usage} in OpenAI's reply).
 *
 * @param promptTokens     tokens in the prompt, {@code >= 0}
 * @param completionTokens tokens generated over all choices, {@code >= 0}
 * @param totalTokens      as the endpoint reports it (usually the sum), {@code >= 0}
 */
public record TokenUsage(long promptTokens, long completionTokens, long totalTokens) {

    /**
     * Token counts.
     *
     * @param promptTokens     tokens in the prompt, {@code >= 0}
     * @param completionTokens tokens generated over all choices, {@code >= 0}
     * @param totalTokens      as the endpoint reports it, {@code >= 0}
     * @throws IllegalArgumentException if a count is negative
     */
    public TokenUsage {
        Preconditions.checkArgument(promptTokens >= 0, "promptTokens must be >= 0, was " + promptTokens);
        Preconditions.checkArgument(completionTokens >= 0, "completionTokens must be >= 0, was " + completionTokens);
        Preconditions.checkArgument(totalTokens >= 0, "totalTokens must be >= 0, was " + totalTokens);
    }
}
