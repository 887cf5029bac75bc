package dev.keel.core.lm.search;

import dev.keel.core.internal.Preconditions;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * The decoders {@link Mcts} is compared with, costed in the same unit (forward token-steps after the
 * prompt's prefill) and picking their answer with the same {@link Evaluator}: greedy decoding,
 * best-of-N sampling within a token budget, and beam search within a token budget. The evaluator
 * sees each finished (or budget-cut) reply as a leaf that cannot be continued: a rollout evaluator
 * scores it as it is.
 *
 * <pre>{@code
 * Baselines b = new Baselines(steps, evaluator, tokenizer::decode, Set.of(2L), 16);
 * Answer g = b.greedy(prompt);
 * Answer n = b.bestOfN(prompt, 64, 1.0, 42);
 * Answer w = b.beam(prompt, 64, 4);
 * }</pre>
 */
public final class Baselines {

    private final StepModel model;
    private final Evaluator evaluator;
    private final Function<long[], String> decoder;
    private final Set<Long> stops;
    private final int maxTokens;

    /**
     * Baselines over {@code model}.
     *
     * @param model      the step model
     * @param evaluator  what picks among candidate replies (and values the answer)
     * @param decoder    token ids to text
     * @param stopTokens the tokens that end a reply
     * @param maxTokens  the most generated tokens of a reply, at least 1
     * @throws IllegalArgumentException if {@code maxTokens < 1}
     */
    public Baselines(StepModel model, Evaluator evaluator, Function<long[], String> decoder,
                     Collection<Long> stopTokens, int maxTokens) {
        this.model = Preconditions.notNull(model, "model");
        this.evaluator = Preconditions.notNull(evaluator, "evaluator");
        this.decoder = Preconditions.notNull(decoder, "decoder");
        this.stops = Set.copyOf(Preconditions.noNulls(stopTokens, "stopTokens"));
        Preconditions.checkArgument(maxTokens >= 1, "maxTokens must be >= 1, was " + maxTokens);
        this.maxTokens = maxTokens;
    }

    /**
     * Greedy decoding (the most likely token at each step, the lower id on a tie).
     *
     * @param prompt the prompt's token ids
     * @return the reply, valued by the evaluator
     */
    public Answer greedy(long[] prompt) {
        try (StepModel.State root = model.root(prompt)) {
            Sample s = decode(prompt, root, 0, null, Long.MAX_VALUE);
            return answer("greedy", prompt, s, s.steps);
        }
    }

    /**
     * Samples replies at {@code temperature} until {@code tokenBudget} forward token-steps are spent
     * (the last reply is cut where the budget ends), and returns the one the evaluator values most
     * (the first on a tie).
     *
     * @param prompt      the prompt's token ids
     * @param tokenBudget forward token-steps, at least 1
     * @param temperature the sampling temperature, &gt; 0
     * @param seed        the sampler's seed
     * @return the best sample
     * @throws IllegalArgumentException if the budget is below 1 or the temperature not &gt; 0
     */
    public Answer bestOfN(long[] prompt, long tokenBudget, double temperature, long seed) {
        return bestOfN(prompt, tokenBudget, temperature, seed, Double.POSITIVE_INFINITY);
    }

    /**
     * As {@link #bestOfN(long[], long, double, long)}, stopping early once a finished sample is worth
     * at least {@code stopAtValue} (for a verifier's 1: the answer is found).
     *
     * @param prompt      the prompt's token ids
     * @param tokenBudget forward token-steps, at least 1
     * @param temperature the sampling temperature, &gt; 0
     * @param seed        the sampler's seed
     * @param stopAtValue the value that ends sampling, {@code +∞} for never
     * @return the best sample
     * @throws IllegalArgumentException if the budget is below 1 or the temperature not &gt; 0
     */
    public Answer bestOfN(long[] prompt, long tokenBudget, double temperature, long seed, double stopAtValue) {
        Preconditions.checkArgument(tokenBudget >= 1, "tokenBudget must be >= 1, was " + tokenBudget);
        Preconditions.checkArgument(temperature > 0 && Double.isFinite(temperature),
                "temperature must be > 0 and finite, was " + temperature);
        SplittableRandom rnd = new SplittableRandom(seed);
        long spent = 0;
        Answer best = null;
        int samples = 0;
        try (StepModel.State root = model.root(prompt)) {
            while (spent < tokenBudget) {
                Sample s = decode(prompt, root, temperature, rnd, tokenBudget - spent);
                spent += s.steps;
                samples++;
                Answer a = answer("best-of-n", prompt, s, 0);
                if (best == null || a.value() > best.value()) {
                    best = a;
                }
                if (a.terminal() && a.value() >= stopAtValue) {
                    break;
                }
                if (s.steps == 0 && samples >= tokenBudget) {
                    break; // replies that cost nothing (an immediate stop, one-token replies): stop at budget many
                }
            }
        }
        return new Answer(best.method(), best.tokens(), best.text(), best.terminal(), best.value(), spent);
    }

    /**
     * Beam search of {@code width} beams by summed log-probability: each step extends every live beam
     * (one forward token-step each) and keeps the {@code width} best continuations; a stop token
     * finishes a beam. It ends when no beam is live, at {@code maxTokens}, or when the next step would
     * exceed {@code tokenBudget}. Of the finished beams (the live ones where none finished) the
     * evaluator's best is returned, the more likely on a tie.
     *
     * @param prompt      the prompt's token ids
     * @param tokenBudget forward token-steps, at least 1
     * @param width       beams, at least 1
     * @return the best beam
     * @throws IllegalArgumentException if the budget or the width is below 1
     */
    public Answer beam(long[] prompt, long tokenBudget, int width) {
        Preconditions.checkArgument(tokenBudget >= 1, "tokenBudget must be >= 1, was " + tokenBudget);
        Preconditions.checkArgument(width >= 1, "width must be >= 1, was " + width);
        long spent = 0;
        List<Beam> finished = new ArrayList<>();
        List<Beam> live = new ArrayList<>();
        StepModel.State root = model.root(prompt);
        live.add(new Beam(new long[0], 0, root));
        try {
            while (!live.isEmpty()) {
                List<Beam> cand = new ArrayList<>();
                for (Beam b : live) {
                    float[] lp = b.state.logProbs();
                    int[] top = SearchTree.topK(lp, Math.min(width, lp.length));
                    for (int id : top) {
                        long[] gen = stops.contains((long) id) ? b.tokens : append(b.tokens, id);
                        cand.add(new Beam(gen, b.logLik + lp[id], b.state, stops.contains((long) id)));
                    }
                }
                cand.sort(Comparator.comparingDouble((Beam c) -> -c.logLik));
                List<Beam> grow = new ArrayList<>();
                for (Beam c : cand.subList(0, Math.min(width, cand.size()))) {
                    if (c.stopped || c.tokens.length >= maxTokens
                            || prompt.length + c.tokens.length >= model.contextLength()) {
                        finished.add(new Beam(c.tokens, c.logLik, null, true));
                    } else {
                        grow.add(c);
                    }
                }
                if (grow.isEmpty() || spent + grow.size() > tokenBudget) {
                    if (finished.isEmpty()) {
                        for (Beam g : grow) {
                            finished.add(new Beam(g.tokens, g.logLik, null, false));
                        }
                    }
                    break;
                }
                List<Beam> extended = new ArrayList<>();
                for (Beam g : grow) {
                    StepModel.State s = model.extend(g.state, g.tokens[g.tokens.length - 1]);
                    spent++;
                    extended.add(new Beam(g.tokens, g.logLik, s));
                }
                for (Beam b : live) {
                    b.state.close();
                }
                live = extended;
            }
        } finally {
            for (Beam b : live) {
                b.state.close();
            }
            root.close();
        }
        Answer best = null;
        double bestLl = Double.NEGATIVE_INFINITY;
        for (Beam f : finished) {
            Sample s = new Sample(f.tokens, f.stopped, f.logLik, 0);
            Answer a = answer("beam", prompt, s, 0);
            if (best == null || a.value() > best.value() || a.value() == best.value() && f.logLik > bestLl) {
                best = a;
                bestLl = f.logLik;
            }
        }
        return new Answer(best.method(), best.tokens(), best.text(), best.terminal(), best.value(), spent);
    }

    private record Beam(long[] tokens, double logLik, StepModel.State state, boolean stopped) {
        Beam(long[] tokens, double logLik, StepModel.State state) {
            this(tokens, logLik, state, false);
        }
    }

    private record Sample(long[] tokens, boolean terminal, double logLik, long steps) {
    }

    /** Decodes from {@code root} (left open): greedy at temperature 0, else sampled; at most {@code budget} steps. */
    private Sample decode(long[] prompt, StepModel.State root, double temperature, SplittableRandom rnd, long budget) {
        long[] gen = new long[0];
        double ll = 0;
        long steps = 0;
        StepModel.State cur = root;
        boolean done = false;
        try {
            while (true) {
                float[] lp = cur.logProbs();
                int next = temperature == 0 ? SearchTree.topK(lp, 1)[0] : sample(lp, temperature, rnd);
                if (stops.contains((long) next)) {
                    done = true;
                    break;
                }
                gen = append(gen, next);
                ll += lp[next];
                if (gen.length >= maxTokens || prompt.length + gen.length >= model.contextLength()) {
                    done = true;
                    break;
                }
                if (steps >= budget) {
                    break;
                }
                StepModel.State nx = model.extend(cur, next);
                steps++;
                if (cur != root) {
                    cur.close();
                }
                cur = nx;
            }
        } finally {
            if (cur != root) {
                cur.close();
            }
        }
        return new Sample(gen, done, ll, steps);
    }

    private Answer answer(String method, long[] prompt, Sample s, long steps) {
        String text = decoder.apply(s.tokens);
        Leaf leaf = new FinishedLeaf(prompt, s.tokens, text, s.terminal, s.logLik);
        double v;
        try {
            v = evaluator.evaluate(leaf);
        } catch (RuntimeException e) {
            v = Double.NaN;
        }
        if (!Double.isFinite(v)) {
            v = Double.NEGATIVE_INFINITY;
        }
        return new Answer(method, s.tokens, text, s.terminal, v == Double.NEGATIVE_INFINITY ? Double.NaN : v, steps);
    }

    /** A token drawn from {@code softmax(lp / t)}, {@code t > 0} (shared with the search's sampled rollouts). */
    static int sample(float[] lp, double t, SplittableRandom rnd) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : lp) {
            max = Math.max(max, l / t);
        }
        double[] w = new double[lp.length];
        double sum = 0;
        for (int i = 0; i < lp.length; i++) {
            w[i] = Math.exp(lp[i] / t - max);
            sum += w[i];
        }
        double r = rnd.nextDouble() * sum;
        double acc = 0;
        for (int i = 0; i < lp.length; i++) {
            acc += w[i];
            if (r < acc) {
                return i;
            }
        }
        return lp.length - 1;
    }

    private static long[] append(long[] a, long t) {
        long[] out = Arrays.copyOf(a, a.length + 1);
        out[a.length] = t;
        return out;
    }

    /** A reply that is done (or cut by the budget) and cannot be continued. */
    private record FinishedLeaf(long[] promptIds, long[] tokens, String text, boolean isTerminal, double logLikelihood)
            implements Leaf {
        @Override
        public long[] prompt() {
            return promptIds.clone();
        }

        @Override
        public long[] generated() {
            return tokens.clone();
        }

        @Override
        public Leaf complete(double temperature) {
            return this;
        }
    }
}
