package dev.keel.core.lm.search;

import dev.keel.core.internal.Preconditions;

/**
 * The value of a prefix for {@link Mcts}'s evaluation step, and what the {@link Baselines} pick their
 * answer by. The search records a simulation whose evaluator throws or returns a value that is not
 * finite as failed, and leaves the tree as it was (no backup).
 *
 * <p>The evaluators that come with Keel: {@link #terminal} (a verifier on finished text, a constant
 * elsewhere), {@link #rollout} (continue the prefix, then verify), {@link #value} (a value function
 * over prefixes) and {@link #logLikelihood()} (the model's own likelihood). Other modules add
 * theirs (for example a refusal judge or a FEWL agreement score).
 */
@FunctionalInterface
public interface Evaluator {

    /**
     * The value of a leaf.
     *
     * @param leaf the prefix to value
     * @return a finite value; larger is better
     */
    double evaluate(Leaf leaf);

    /**
     * The verifier's score on finished prefixes, {@code unfinished} on the others (no forward steps).
     *
     * @param verifier   the reward on finished text
     * @param unfinished the value of a prefix that is not finished
     * @return the evaluator
     * @throws IllegalArgumentException if {@code unfinished} is not finite
     */
    static Evaluator terminal(Verifier verifier, double unfinished) {
        Preconditions.notNull(verifier, "verifier");
        Preconditions.checkArgument(Double.isFinite(unfinished), "unfinished must be finite, was " + unfinished);
        return leaf -> leaf.isTerminal() ? verifier.score(leaf.text()) : unfinished;
    }

    /**
     * A rollout: an unfinished prefix is continued (greedily at temperature 0, else sampled) to a
     * finished reply, which the verifier scores; the search keeps the continuation as a candidate
     * answer. A continuation cut short by the token budget scores {@code verifier} on its partial text.
     *
     * @param verifier    the reward on finished text
     * @param temperature 0 for greedy rollouts, else the sampling temperature
     * @return the evaluator
     * @throws IllegalArgumentException if {@code temperature} is negative or not finite
     */
    static Evaluator rollout(Verifier verifier, double temperature) {
        Preconditions.notNull(verifier, "verifier");
        Preconditions.checkArgument(temperature >= 0 && Double.isFinite(temperature),
                "temperature must be >= 0 and finite, was " + temperature);
        return leaf -> verifier.score(leaf.complete(temperature).text());
    }

    /** A learned or hand-written value of a prefix. */
    @FunctionalInterface
    interface ValueFunction {
        /**
         * The value of a prefix.
         *
         * @param prompt    the prompt's token ids
         * @param generated the tokens after the prompt
         * @param text      the generated text
         * @param terminal  whether the prefix is finished
         * @return a finite value
         */
        double value(long[] prompt, long[] generated, String text, boolean terminal);
    }

    /**
     * A value function over prefixes (no forward steps charged by the search).
     *
     * @param function the value of a prefix
     * @return the evaluator
     */
    static Evaluator value(ValueFunction function) {
        Preconditions.notNull(function, "function");
        return leaf -> function.value(leaf.prompt(), leaf.generated(), leaf.text(), leaf.isTerminal());
    }

    /**
     * The model's own likelihood: the geometric mean probability per generated token,
     * {@code exp(logLikelihood / max(1, tokens))}, in {@code (0, 1]} (1 for an empty prefix).
     *
     * @return the evaluator
     */
    static Evaluator logLikelihood() {
        return leaf -> Math.exp(leaf.logLikelihood() / Math.max(1, leaf.generated().length));
    }
}
