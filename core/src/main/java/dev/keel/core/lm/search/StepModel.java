package dev.keel.core.lm.search;

/**
 * A language model seen one token at a time, as tree search needs it: a state for a prompt, the
 * next-token log-probabilities of a state, and a new state for a prefix extended by one token,
 * computed incrementally from the parent's state (for a Transformer: one forward step over the new
 * token with a copy of the parent's KV cache; the prefix is never recomputed). Each
 * {@link #extend} is one <em>forward token-step</em>, the cost unit of {@link Mcts} and of the
 * {@link Baselines}.
 *
 * <p>States are independent: extending or closing one never changes another, so a prefix can be
 * extended along any number of branches.
 *
 * <pre>{@code
 * try (StepModel m = new LmStepModel(model);
 *      StepModel.State root = m.root(promptIds);
 *      StepModel.State child = m.extend(root, 42L)) {
 *     float[] next = child.logProbs();
 * }
 * }</pre>
 */
public interface StepModel extends AutoCloseable {

    /** A prefix the model has read: its next-token log-probabilities and what it keeps to extend it. */
    interface State extends AutoCloseable {

        /**
         * The natural-log probabilities of the next token (temperature 1), one per vocabulary entry.
         *
         * @return the log-probabilities; the caller must not modify them
         */
        float[] logProbs();

        /**
         * The number of tokens of the prefix, prompt included.
         *
         * @return the prefix length
         */
        int length();

        /**
         * The memory the state holds (cached keys and values, the log-probabilities).
         *
         * @return bytes held, 0 once closed
         */
        long bytes();

        /** Frees what the state holds; idempotent. */
        @Override
        void close();
    }

    /**
     * The state after reading {@code prompt} (one forward pass over the whole prompt).
     *
     * @param prompt the prompt's token ids, not empty
     * @return a new state, which the caller closes
     * @throws IllegalArgumentException if the prompt is empty or longer than {@link #contextLength()}
     */
    State root(long[] prompt);

    /**
     * The state of {@code parent}'s prefix followed by {@code token}: one forward token-step.
     *
     * @param parent a state of this model, not closed; it is left unchanged
     * @param token  the next token, in {@code [0, vocabSize)}
     * @return a new state, which the caller closes
     * @throws IllegalArgumentException if the token is out of range
     * @throws IllegalStateException    if {@code parent} is closed or already at the context length
     */
    State extend(State parent, long token);

    /**
     * The vocabulary size (the length of {@link State#logProbs()}).
     *
     * @return the number of token ids
     */
    int vocabSize();

    /**
     * The longest prefix a state may hold.
     *
     * @return the context length in tokens
     */
    int contextLength();

    /** Frees what the model holds for its states (not the underlying network); idempotent. */
    @Override
    void close();
}
