package dev.keel.core.lm.search;

/**
 * What an {@link Evaluator} sees of the prefix it values: the prompt, the tokens generated after it,
 * their text, whether the prefix is finished, its log-likelihood, and (for rollouts) a way to
 * continue it to a finished reply, whose forward token-steps are charged to the search.
 */
public interface Leaf {

    /**
     * The prompt's token ids.
     *
     * @return a copy of the prompt
     */
    long[] prompt();

    /**
     * The tokens after the prompt (a stop token that ended them is not included).
     *
     * @return a copy of the generated tokens
     */
    long[] generated();

    /**
     * The decoded {@link #generated()} tokens.
     *
     * @return the text
     */
    String text();

    /**
     * Whether the prefix is finished: it ended with a stop token, or reached the maximum depth or the
     * context length.
     *
     * @return whether no token can follow
     */
    boolean isTerminal();

    /**
     * The sum of the natural-log probabilities (temperature 1) of the generated tokens (a stop token
     * that ended them not included).
     *
     * @return the log-likelihood, 0 for an empty prefix
     */
    double logLikelihood();

    /**
     * Continues this prefix to a finished reply: greedily at temperature 0, else by sampling at
     * {@code temperature} from the search's seeded generator. A terminal leaf is returned as it is.
     * Each token fed to the model is one forward token-step charged to the search; the continuation
     * stops early (unfinished) when the search's token budget runs out.
     *
     * @param temperature 0 for greedy, else the sampling temperature (&gt; 0)
     * @return the continued prefix as a leaf (terminal unless cut by the budget)
     * @throws IllegalArgumentException if {@code temperature} is negative or not finite
     */
    Leaf complete(double temperature);
}
