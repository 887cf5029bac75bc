package dev.keel.core.lm.search;

import dev.keel.core.internal.Preconditions;

/**
 * A reply found by a search or a baseline decoder, with what it cost.
 *
 * @param method       the decoder that found it ({@code greedy}, {@code best-of-n}, {@code beam}, {@code mcts}, ...)
 * @param tokens       the generated token ids (stop token excluded)
 * @param text         the decoded tokens
 * @param terminal     whether the reply is finished (a stop token, the maximum length or the context length)
 * @param value        the evaluator's value of the reply, NaN where it was not evaluated
 * @param forwardSteps the forward token-steps spent finding it (the prompt's prefill not counted)
 */
public record Answer(String method, long[] tokens, String text, boolean terminal, double value, long forwardSteps) {

    /**
     * An answer, checked.
     *
     * @param method       the decoder's name
     * @param tokens       the generated token ids
     * @param text         their text
     * @param terminal     whether finished
     * @param value        the evaluated value or NaN
     * @param forwardSteps the cost, at least 0
     * @throws IllegalArgumentException if {@code forwardSteps} is negative
     */
    public Answer {
        Preconditions.notNull(method, "method");
        Preconditions.notNull(tokens, "tokens");
        Preconditions.notNull(text, "text");
        Preconditions.checkArgument(forwardSteps >= 0, "forwardSteps must be >= 0, was " + forwardSteps);
        tokens = tokens.clone();
    }

    /**
     * The generated token ids.
     *
     * @return a copy of the tokens
     */
    @Override
    public long[] tokens() {
        return tokens.clone();
    }
}
