package dev.keel.core.lm.generate;

/**
 * What {@link Generator} produced.
 *
 * @param tokens the new tokens (without the prompt and without a stop token)
 * @param reason why generation ended
 */
public record GenerationResult(long[] tokens, FinishReason reason) {

    /** Why generation ended. */
    public enum FinishReason {
        /** A stop token was produced. */
        STOP_TOKEN,
        /** The callback asked to stop (e.g. a stop string appeared). */
        STOPPED,
        /** The maximum number of new tokens was reached. */
        MAX_TOKENS,
        /** The sequence reached {@code max_position_embeddings}. */
        LENGTH
    }

    /**
     * The generation result.
     *
     * @param tokens the generated token ids
     * @param reason why generation stopped
     */
    public GenerationResult {
        tokens = tokens.clone();
    }

    /**
     * The tokens.
     *
     * @return the tokens
     */
    @Override
    public long[] tokens() {
        return tokens.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GenerationResult r && java.util.Arrays.equals(r.tokens, tokens) && r.reason == reason;
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(tokens) * 31 + reason.hashCode();
    }

    @Override
    public String toString() {
        return "GenerationResult[" + java.util.Arrays.toString(tokens) + ", " + reason + "]";
    }
}
