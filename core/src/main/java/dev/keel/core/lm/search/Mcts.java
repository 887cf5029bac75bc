package dev.keel.core.lm.search;

import dev.keel.core.internal.Preconditions;

import java.util.Arrays;
import java.util.Collection;
import java.util.Set;
import java.util.function.Function;

/**
 * Monte Carlo tree search over a language model's tokens, AlphaZero style: nodes are prefixes,
 * the actions of a node are its {@code topK} most likely next tokens with prior
 * {@code P(s, a) ∝ p(a | s)^(1/temperature)} renormalised over those k, and each edge keeps its
 * visit count N, value sum W and mean value Q = W / N. A simulation is the four steps of
 * {@link SearchTree}: {@linkplain SearchTree#select() selection} by PUCT,
 * {@linkplain SearchTree#expand expansion} by one incremental forward step from the parent's cached
 * state, {@linkplain SearchTree#evaluate evaluation} by an {@link Evaluator}, and
 * {@linkplain SearchTree#backup backup} of the value along the path.
 *
 * <p><b>Selection</b> picks the edge with the largest
 * {@code Q(s, a) + c · P(s, a) · √N(s) / (1 + N(s, a))}, where {@code N(s)} is the sum of the node's
 * edge visits, {@code c} is {@link Builder#cPuct} (default 1.0, for values in {@code [0, 1]}) and an
 * unvisited edge's Q is the first-play value {@link Builder#firstPlayValue} (default 0). Ties go to
 * the larger prior, then the lower token id, so the tree depends on the seed only through the
 * evaluator's sampling (sampled rollouts).
 *
 * <p><b>Cost.</b> Every token fed to the model after the prompt is one forward token-step: an
 * expansion, a rollout token, or a recomputation. An edge to a stop token, or one that reaches the
 * maximum depth or the context length, makes a terminal node without a forward step. The prompt's
 * prefill (once per search) is not counted. The search stops at {@link Builder#simulations} simulations
 * or when the forward token-steps reach {@link Builder#tokenBudget} (or early, once a finished reply
 * reaches {@link Builder#stopAtValue}).
 *
 * <p><b>Solver</b> ({@link Builder#solver}, off by default): the MCTS-Solver rule of Winands,
 * Björnsson and Saito (2008), for one player who maximises. A terminal node whose evaluation
 * succeeded is <em>solved</em>: its value is taken as exact (the evaluator is assumed to be a
 * deterministic function of the finished text, as the exact-answer verifiers are). An expanded node
 * all of whose top-k edges lead to solved children is solved with the largest child value (solved
 * within the pruned tree: tokens outside the top-k are never considered). Selection never follows an
 * edge into a solved child; an unsolved node always has an unsolved edge (else it would be solved),
 * so selection only meets "all children solved" at a solved root, and then the search stops: the
 * pruned tree is exhausted and its exact maximum is known. So every successful simulation creates a
 * node, and no simulation is spent re-visiting a known finished reply. Statistics (N, W, Q) are
 * backed up as without the solver. With the solver off the search is exactly the plain PUCT search.
 *
 * <p><b>Memory.</b> Expanded nodes keep their model state (for a Transformer, the prefix's KV cache)
 * so that their children are one step away. When the states held exceed
 * {@link Builder#memoryBudgetBytes}, the least recently used states are dropped, except the root's
 * and those on the current path; a dropped state is recomputed when next needed by extending the
 * nearest ancestor that still holds one, token by token, each step charged as a forward token-step
 * (and counted as recomputed). The budget is therefore a ceiling the search returns under after each
 * expansion, not a hard limit: the root and the current path are always held.
 *
 * <pre>{@code
 * try (LmStepModel steps = new LmStepModel(model)) {
 *     Mcts mcts = Mcts.builder(steps)
 *             .evaluator(Evaluator.rollout(Verifier.exactAnswer("42"), 0))
 *             .decoder(tokenizer::decode).stopTokens(Set.of(2L))
 *             .simulations(64).topK(8).seed(42).build();
 *     SearchResult r = mcts.search(promptIds);
 *     System.out.println(r.answer().text() + "\n" + r.qTable().toCsv());
 * }
 * }</pre>
 */
public final class Mcts {

    private final StepModel model;
    private final Evaluator evaluator;
    private final Function<long[], String> decoder;
    private final Set<Long> stopTokens;
    private final int topK;
    private final double temperature;
    private final double cPuct;
    private final double firstPlayValue;
    private final int simulations;
    private final long tokenBudget;
    private final int maxDepth;
    private final long memoryBudgetBytes;
    private final long seed;
    private final double stopAtValue;
    private final boolean solver;

    private Mcts(Builder b) {
        this.model = b.model;
        this.evaluator = b.evaluator;
        this.decoder = b.decoder;
        this.stopTokens = b.stopTokens;
        this.topK = b.topK;
        this.temperature = b.temperature;
        this.cPuct = b.cPuct;
        this.firstPlayValue = b.firstPlayValue;
        this.simulations = b.simulations;
        this.tokenBudget = b.tokenBudget;
        this.maxDepth = b.maxDepth;
        this.memoryBudgetBytes = b.memoryBudgetBytes;
        this.seed = b.seed;
        this.stopAtValue = b.stopAtValue;
        this.solver = b.solver;
    }

    /**
     * A builder over {@code model}; an evaluator must be set before {@link Builder#build()}.
     *
     * @param model the step model the search expands
     * @return a builder with the defaults
     */
    public static Builder builder(StepModel model) {
        return new Builder(model);
    }

    /**
     * Runs a whole search from {@code prompt} and returns its result; the tree's states are freed.
     *
     * @param prompt the prompt's token ids
     * @return the answer, the most visited path, the costs and the Q table
     * @throws IllegalArgumentException if the prompt is empty or too long for the model
     */
    public SearchResult search(long[] prompt) {
        try (SearchTree tree = start(prompt)) {
            tree.run();
            return tree.result();
        }
    }

    /**
     * A tree for {@code prompt} with its root expanded (the prompt's prefill), for callers that run
     * the four steps themselves; the caller closes it.
     *
     * @param prompt the prompt's token ids
     * @return the tree
     * @throws IllegalArgumentException if the prompt is empty or too long for the model
     */
    public SearchTree start(long[] prompt) {
        return new SearchTree(this, prompt);
    }

    StepModel model() {
        return model;
    }

    Evaluator evaluator() {
        return evaluator;
    }

    /**
     * The decoder of token ids to text.
     *
     * @return the decoder
     */
    public Function<long[], String> decoder() {
        return decoder;
    }

    /**
     * The stop tokens.
     *
     * @return the ids that end a reply
     */
    public Set<Long> stopTokens() {
        return stopTokens;
    }

    /**
     * The number of actions per node.
     *
     * @return k
     */
    public int topK() {
        return topK;
    }

    /**
     * The prior's temperature.
     *
     * @return the temperature
     */
    public double temperature() {
        return temperature;
    }

    /**
     * PUCT's exploration constant c.
     *
     * @return c
     */
    public double cPuct() {
        return cPuct;
    }

    /**
     * The Q of an unvisited edge in selection.
     *
     * @return the first-play value
     */
    public double firstPlayValue() {
        return firstPlayValue;
    }

    /**
     * The simulation budget.
     *
     * @return the most simulations a search runs
     */
    public int simulations() {
        return simulations;
    }

    /**
     * The forward token-step budget.
     *
     * @return the token-steps at which a search stops ({@code Long.MAX_VALUE} for none)
     */
    public long tokenBudget() {
        return tokenBudget;
    }

    /**
     * The maximum number of generated tokens.
     *
     * @return the depth at which a node is terminal
     */
    public int maxDepth() {
        return maxDepth;
    }

    /**
     * The memory budget of cached states.
     *
     * @return bytes
     */
    public long memoryBudgetBytes() {
        return memoryBudgetBytes;
    }

    /**
     * The seed of the search's random generator (sampled rollouts).
     *
     * @return the seed
     */
    public long seed() {
        return seed;
    }

    /**
     * The value at which a search stops early: once the evaluation has seen a finished reply worth at
     * least this much.
     *
     * @return the value ({@code +∞} for never)
     */
    public double stopAtValue() {
        return stopAtValue;
    }

    /**
     * Whether the MCTS-Solver rule is on (see the class comment).
     *
     * @return whether solved nodes are skipped and a solved root ends the search
     */
    public boolean solver() {
        return solver;
    }

    /**
     * The PUCT score {@code q + c · prior · √parentVisits / (1 + visits)}.
     *
     * @param q            the edge's mean value (or the first-play value when unvisited)
     * @param prior        the edge's prior P(s, a)
     * @param parentVisits N(s), the sum of the node's edge visits
     * @param visits       N(s, a)
     * @param c            the exploration constant
     * @return the score
     */
    public static double puct(double q, double prior, int parentVisits, int visits, double c) {
        return q + c * prior * Math.sqrt(parentVisits) / (1 + visits);
    }

    @Override
    public String toString() {
        return "Mcts[topK=" + topK + ", temperature=" + temperature + ", c=" + cPuct + ", simulations=" + simulations
                + ", tokenBudget=" + (tokenBudget == Long.MAX_VALUE ? "none" : tokenBudget) + ", maxDepth=" + maxDepth
                + ", seed=" + seed + (solver ? ", solver" : "") + "]";
    }

    /** Settings of a search; each is checked as it is set. */
    public static final class Builder {
        private final StepModel model;
        private Evaluator evaluator;
        private Function<long[], String> decoder = Arrays::toString;
        private Set<Long> stopTokens = Set.of();
        private int topK = 8;
        private double temperature = 1.0;
        private double cPuct = 1.0;
        private double firstPlayValue = 0.0;
        private int simulations = 64;
        private long tokenBudget = Long.MAX_VALUE;
        private int maxDepth = 64;
        private long memoryBudgetBytes = 256L << 20;
        private long seed = 42;
        private double stopAtValue = Double.POSITIVE_INFINITY;
        private boolean solver;

        private Builder(StepModel model) {
            this.model = Preconditions.notNull(model, "model");
        }

        /**
         * The evaluation step (required).
         *
         * @param evaluator the value of a leaf
         * @return this builder
         */
        public Builder evaluator(Evaluator evaluator) {
            this.evaluator = Preconditions.notNull(evaluator, "evaluator");
            return this;
        }

        /**
         * How token ids become text (for verifiers and the Q table); default {@code Arrays.toString}.
         *
         * @param decoder ids to text, for example a tokenizer's {@code decode}
         * @return this builder
         */
        public Builder decoder(Function<long[], String> decoder) {
            this.decoder = Preconditions.notNull(decoder, "decoder");
            return this;
        }

        /**
         * Tokens that end a reply (an edge to one makes a terminal node); default none.
         *
         * @param stopTokens the stop ids
         * @return this builder
         */
        public Builder stopTokens(Collection<Long> stopTokens) {
            this.stopTokens = Set.copyOf(Preconditions.noNulls(stopTokens, "stopTokens"));
            return this;
        }

        /**
         * Actions per node: the k most likely next tokens; default 8.
         *
         * @param topK k, at least 1
         * @return this builder
         * @throws IllegalArgumentException if {@code topK < 1}
         */
        public Builder topK(int topK) {
            Preconditions.checkArgument(topK >= 1, "topK must be >= 1, was " + topK);
            this.topK = topK;
            return this;
        }

        /**
         * The prior's temperature; default 1.
         *
         * @param temperature &gt; 0
         * @return this builder
         * @throws IllegalArgumentException if not &gt; 0 and finite
         */
        public Builder temperature(double temperature) {
            Preconditions.checkArgument(temperature > 0 && Double.isFinite(temperature),
                    "temperature must be > 0 and finite, was " + temperature);
            this.temperature = temperature;
            return this;
        }

        /**
         * PUCT's exploration constant c; default 1.
         *
         * @param c &gt;= 0
         * @return this builder
         * @throws IllegalArgumentException if negative or not finite
         */
        public Builder cPuct(double c) {
            Preconditions.checkArgument(c >= 0 && Double.isFinite(c), "cPuct must be >= 0 and finite, was " + c);
            this.cPuct = c;
            return this;
        }

        /**
         * The Q that selection gives an unvisited edge; default 0.
         *
         * @param value a finite value
         * @return this builder
         * @throws IllegalArgumentException if not finite
         */
        public Builder firstPlayValue(double value) {
            Preconditions.checkArgument(Double.isFinite(value), "firstPlayValue must be finite, was " + value);
            this.firstPlayValue = value;
            return this;
        }

        /**
         * The simulation budget; default 64.
         *
         * @param simulations at least 1
         * @return this builder
         * @throws IllegalArgumentException if {@code simulations < 1}
         */
        public Builder simulations(int simulations) {
            Preconditions.checkArgument(simulations >= 1, "simulations must be >= 1, was " + simulations);
            this.simulations = simulations;
            return this;
        }

        /**
         * The forward token-step budget: the search stops once it has spent this many; default none.
         *
         * @param tokens at least 1
         * @return this builder
         * @throws IllegalArgumentException if {@code tokens < 1}
         */
        public Builder tokenBudget(long tokens) {
            Preconditions.checkArgument(tokens >= 1, "tokenBudget must be >= 1, was " + tokens);
            this.tokenBudget = tokens;
            return this;
        }

        /**
         * The most generated tokens of a prefix (a node at this depth is terminal); default 64.
         *
         * @param maxDepth at least 1
         * @return this builder
         * @throws IllegalArgumentException if {@code maxDepth < 1}
         */
        public Builder maxDepth(int maxDepth) {
            Preconditions.checkArgument(maxDepth >= 1, "maxDepth must be >= 1, was " + maxDepth);
            this.maxDepth = maxDepth;
            return this;
        }

        /**
         * The memory budget of cached states (see the class comment for the eviction rule); default 256 MiB.
         *
         * @param bytes at least 0 (0 keeps only the root and the current path)
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder memoryBudgetBytes(long bytes) {
            Preconditions.checkArgument(bytes >= 0, "memoryBudgetBytes must be >= 0, was " + bytes);
            this.memoryBudgetBytes = bytes;
            return this;
        }

        /**
         * The seed of the search's random generator; default 42.
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Stops the search early once the evaluation has seen a finished reply worth at least
         * {@code value} (for a verifier's 1: the answer is found, the rest of the budget is not spent);
         * default never.
         *
         * @param value a number, or {@code +∞} for never
         * @return this builder
         * @throws IllegalArgumentException if NaN
         */
        public Builder stopAtValue(double value) {
            Preconditions.checkArgument(!Double.isNaN(value), "stopAtValue must not be NaN");
            this.stopAtValue = value;
            return this;
        }

        /**
         * Turns the MCTS-Solver rule on or off (see the class comment); default off. Off by default
         * because it is only right when a finished reply's value is exact (a deterministic
         * evaluator on finished text: the exact-answer verifiers, a deterministic judge), which the
         * search cannot check, and because with it Q no longer converges to the value of every edge
         * (a solved edge is not visited again); the plain PUCT search stays what it was.
         *
         * @param solver whether terminal values are exact and solved nodes are skipped
         * @return this builder
         */
        public Builder solver(boolean solver) {
            this.solver = solver;
            return this;
        }

        /**
         * The search.
         *
         * @return an immutable search
         * @throws IllegalStateException if no evaluator was set
         */
        public Mcts build() {
            Preconditions.checkState(evaluator != null, "an evaluator is required: call evaluator(...) before build()");
            return new Mcts(this);
        }
    }
}
