package dev.keel.core.lm.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.chat.GenerationOptions;
import dev.keel.core.lm.KvCache;
import dev.keel.core.lm.LlamaModel;

import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Generates tokens from a {@link LlamaModel}: greedy (temperature 0) or temperature and nucleus
 * (top-p) sampling from a seeded generator (seed 0 when the options give none, so runs repeat),
 * stopping at a stop token, at {@code maxTokens}, at the model's context length, or when the callback
 * says so. With the KV cache each step feeds only the newest token; without it the whole sequence
 * is recomputed (same tokens, slower).
 *
 * <pre>{@code
 * GenerationResult r = new Generator(model).generate(promptIds,
 *         GenerationOptions.builder().maxTokens(32).build(), Set.of(2L), true, null);
 * }</pre>
 */
public final class Generator {

    /** Sees the tokens generated so far after each new one; returns {@code false} to stop. */
    @FunctionalInterface
    public interface TokenCallback {
        /**
         * Whether on token.
         *
         * @param generated the tokens generated so far
         * @return whether generation continues
         */
        boolean onToken(long[] generated);
    }

    private final LlamaModel model;

    /**
     * A generator over {@code model}.
     *
     * @param model the model that predicts each next token
     */
    public Generator(LlamaModel model) {
        this.model = Preconditions.notNull(model, "model");
    }

    /**
     * Generates a continuation of {@code prompt}.
     *
     * @param prompt       the prompt's token ids, not empty
     * @param options      temperature, top-p, max new tokens, seed (stop strings are the caller's, see callback)
     * @param stopTokenIds tokens that end generation (not included in the result)
     * @param useCache     whether to use a KV cache
     * @param callback     called after each new token, or {@code null}
     * @return the generated tokens and why generation stopped
     */
    public GenerationResult generate(long[] prompt, GenerationOptions options, Collection<Long> stopTokenIds,
                                     boolean useCache, TokenCallback callback) {
        Preconditions.notNull(prompt, "prompt");
        Preconditions.notNull(options, "options");
        Preconditions.checkArgument(prompt.length > 0, "prompt must hold at least one token");
        int maxPos = model.config().maxPositionEmbeddings();
        Preconditions.checkArgument(prompt.length <= maxPos, "prompt of " + prompt.length
                + " tokens exceeds max_position_embeddings (" + maxPos + ")");
        Set<Long> stops = stopTokenIds == null ? Set.of() : new HashSet<>(stopTokenIds);
        SplittableRandom rnd = new SplittableRandom(options.seed() != null ? options.seed() : 0L);
        long[] seq = Arrays.copyOf(prompt, prompt.length + Math.min(options.maxTokens(), maxPos - prompt.length + 1));
        int len = prompt.length;
        int produced = 0;
        GenerationResult.FinishReason reason;
        try (NDManager sm = model.manager().newSubManager();
             KvCache cache = useCache ? new KvCache(sm, model.config().numHiddenLayers()) : null) {
            float[] logits = lastLogits(sm, Arrays.copyOf(seq, len), cache);
            while (true) {
                long next = choose(logits, options, rnd);
                if (stops.contains(next)) {
                    reason = GenerationResult.FinishReason.STOP_TOKEN;
                    break;
                }
                seq[len++] = next;
                produced++;
                if (callback != null && !callback.onToken(Arrays.copyOfRange(seq, prompt.length, len))) {
                    reason = GenerationResult.FinishReason.STOPPED;
                    break;
                }
                if (produced >= options.maxTokens()) {
                    reason = GenerationResult.FinishReason.MAX_TOKENS;
                    break;
                }
                if (len >= maxPos) {
                    reason = GenerationResult.FinishReason.LENGTH;
                    break;
                }
                logits = useCache ? lastLogits(sm, new long[] {next}, cache) : lastLogits(sm, Arrays.copyOf(seq, len), null);
            }
        }
        return new GenerationResult(Arrays.copyOfRange(seq, prompt.length, len), reason);
    }

    private float[] lastLogits(NDManager parent, long[] ids, KvCache cache) {
        try (NDManager step = parent.newSubManager()) {
            NDArray in = step.create(ids).reshape(1, ids.length);
            NDArray logits = model.forward(in, null, cache, false);
            return logits.get(new NDIndex("0, -1, :")).toFloatArray();
        }
    }

    /** Picks the next token: argmax at temperature 0, else a top-p sample at the temperature. */
    static long choose(float[] logits, GenerationOptions options, SplittableRandom rnd) {
        if (options.temperature() == 0) {
            int best = 0;
            for (int i = 1; i < logits.length; i++) {
                if (logits[i] > logits[best]) {
                    best = i;
                }
            }
            return best;
        }
        double t = options.temperature();
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l / t);
        }
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(logits[i] / t - max);
            sum += p[i];
        }
        Integer[] order = new Integer[p.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
            p[i] /= sum;
        }
        Arrays.sort(order, (a, b) -> p[b] != p[a] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
        double kept = 0;
        int n = 0;
        while (n < order.length) {
            kept += p[order[n]];
            n++;
            if (kept >= options.topP()) {
                break;
            }
        }
        double r = rnd.nextDouble() * kept;
        double acc = 0;
        for (int i = 0; i < n; i++) {
            acc += p[order[i]];
            if (r < acc) {
                return order[i];
            }
        }
        return order[n - 1];
    }
}
