package dev.keel.core.lm.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.chat.GenerationOptions;
import dev.keel.core.lm.CausalLm;
import dev.keel.core.lm.LmState;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Generates tokens from a {@link CausalLm} (a Transformer with its KV cache or RWKV with its recurrent state): greedy (temperature 0) or temperature and nucleus
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

    private final CausalLm model;

    /**
     * A generator over {@code model}.
     *
     * @param model the model that predicts each next token
     */
    public Generator(CausalLm model) {
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
        return generate(prompt, options, stopTokenIds, useCache, 0, callback);
    }

    /** As {@link #generate(long[], GenerationOptions, Collection, boolean, TokenCallback)}, with top-k. */
    GenerationResult generate(long[] prompt, GenerationOptions options, Collection<Long> stopTokenIds,
                              boolean useCache, int topK, TokenCallback callback) {
        Preconditions.notNull(prompt, "prompt");
        Preconditions.notNull(options, "options");
        Preconditions.checkArgument(prompt.length > 0, "prompt must hold at least one token");
        int maxPos = model.contextLength();
        Preconditions.checkArgument(prompt.length <= maxPos, "prompt of " + prompt.length
                + " tokens exceeds the context length (" + maxPos + ")");
        Set<Long> stops = stopTokenIds == null ? Set.of() : new HashSet<>(stopTokenIds);
        SplittableRandom rnd = new SplittableRandom(options.seed() != null ? options.seed() : 0L);
        long[] seq = Arrays.copyOf(prompt, prompt.length + Math.min(options.maxTokens(), maxPos - prompt.length + 1));
        int len = prompt.length;
        int produced = 0;
        GenerationResult.FinishReason reason;
        try (NDManager sm = model.manager().newSubManager();
             LmState cache = useCache ? model.newState(sm) : null) {
            float[] logits = lastLogits(sm, Arrays.copyOf(seq, len), cache);
            while (true) {
                long next = choose(logits, options.temperature(), options.topP(), topK, rnd);
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

    private float[] lastLogits(NDManager parent, long[] ids, LmState cache) {
        try (NDManager step = parent.newSubManager()) {
            NDArray in = step.create(ids).reshape(1, ids.length);
            NDArray logits = model.forward(in, null, cache, false);
            return logits.get(new NDIndex("0, -1, :")).toFloatArray();
        }
    }

    /**
     * One prompt of a batch: its own options (temperature, top-p, token limit, seed), stop ids,
     * top-k and callback.
     *
     * @param prompt       the prompt's token ids, not empty
     * @param options      temperature, top-p, max new tokens and seed of this row (stop strings are the callback's)
     * @param stopTokenIds tokens that end this row (not included in its result); null for none
     * @param topK         keep only the {@code topK} most likely tokens before top-p when sampling; 0 for all
     * @param callback     called after each new token of this row, or {@code null}
     */
    public record Request(long[] prompt, GenerationOptions options, Collection<Long> stopTokenIds, int topK,
                          TokenCallback callback) {

        /**
         * A request, checked.
         *
         * @param prompt       the prompt's token ids, not empty
         * @param options      the row's options
         * @param stopTokenIds the row's stop ids, or null for none
         * @param topK         0 for all tokens, else the number kept
         * @param callback     the row's callback, or null
         * @throws IllegalArgumentException if the prompt is empty or {@code topK < 0}
         */
        public Request {
            Preconditions.notNull(prompt, "prompt");
            Preconditions.notNull(options, "options");
            Preconditions.checkArgument(prompt.length > 0, "prompt must hold at least one token");
            Preconditions.checkArgument(topK >= 0, "topK must be >= 0, was " + topK);
            prompt = prompt.clone();
            stopTokenIds = stopTokenIds == null ? Set.of() : Set.copyOf(stopTokenIds);
        }

        /**
         * A request without top-k and without a callback.
         *
         * @param prompt       the prompt's token ids, not empty
         * @param options      the row's options
         * @param stopTokenIds the row's stop ids, or null for none
         */
        public Request(long[] prompt, GenerationOptions options, Collection<Long> stopTokenIds) {
            this(prompt, options, stopTokenIds, 0, null);
        }

        /**
         * The prompt.
         *
         * @return a copy of the prompt's token ids
         */
        @Override
        public long[] prompt() {
            return prompt.clone();
        }
    }

    /**
     * Generates continuations of several prompts at once with the KV cache: the prompts are
     * left-padded to one length and run through one forward pass, then each step feeds one token per
     * still-running row. A row that finishes (stop token, callback, its token limit, or the context
     * length) is dropped from the batch and from the cache, and left padding that all remaining rows
     * share is cut, so the padded length never exceeds the longest running row's real length.
     *
     * <p>Each row has its own seeded generator (its options' seed, else 0), so with equal logits a
     * row's tokens are those {@link #generate} gives for the prompt alone. Logits of a padded batch can
     * differ from batch-1 logits in the last float bits (different matrix shapes), which can flip a
     * near-tie between two tokens; exact ties are broken towards the lower id in both.
     *
     * @param requests the prompts, each with its options, stop ids, top-k and callback
     * @return one result per request, in request order
     * @throws IllegalArgumentException if a prompt exceeds {@code max_position_embeddings}
     */
    public List<GenerationResult> generateBatch(List<Request> requests) {
        Preconditions.noNulls(requests, "requests");
        int n = requests.size();
        List<GenerationResult> results = new ArrayList<>(Collections.nCopies(n, null));
        if (n == 0) {
            return results;
        }
        int maxPos = model.contextLength();
        int vocab = model.vocabSize();
        int longest = 0;
        for (int i = 0; i < n; i++) {
            int len = requests.get(i).prompt.length;
            Preconditions.checkArgument(len <= maxPos, "prompt " + i + " of " + len
                    + " tokens exceeds the context length (" + maxPos + ")");
            longest = Math.max(longest, len);
        }
        Row[] rows = new Row[n];
        for (int i = 0; i < n; i++) {
            rows[i] = new Row(i, requests.get(i), maxPos);
        }
        List<Row> running = new ArrayList<>(List.of(rows));
        try (NDManager sm = model.manager().newSubManager();
             LmState cache = model.newState(sm)) {
            // prefill: left-padded prompts, padding masked (and fed token 0)
            int b = n;
            long[] ids = new long[b * longest];
            for (Row r : running) {
                r.padding = longest - r.prompt.length;
                System.arraycopy(r.prompt, 0, ids, r.index * longest + r.padding, r.prompt.length);
            }
            int width = longest;
            float[] logits = step(sm, ids, b, longest, mask(running, width), cache, vocab);
            while (true) {
                List<Row> still = new ArrayList<>(running.size());
                for (int ri = 0; ri < running.size(); ri++) {
                    Row r = running.get(ri);
                    if (r.advance(logits, ri * vocab, vocab, maxPos)) {
                        still.add(r);
                    } else {
                        results.set(r.index, r.result());
                    }
                }
                if (still.isEmpty()) {
                    break;
                }
                if (still.size() < running.size()) {
                    int drop = Integer.MAX_VALUE;
                    for (Row r : still) {
                        drop = Math.min(drop, r.padding);
                    }
                    long[] keep = new long[still.size()];
                    int k = 0;
                    for (int ri = 0; ri < running.size(); ri++) {
                        if (still.contains(running.get(ri))) {
                            keep[k++] = ri;
                        }
                    }
                    cache.retain(keep, drop);
                    width -= drop;
                    for (Row r : still) {
                        r.padding -= drop;
                    }
                    running = still;
                }
                width++;
                long[] next = new long[running.size()];
                for (int ri = 0; ri < next.length; ri++) {
                    next[ri] = running.get(ri).last();
                }
                logits = step(sm, next, next.length, 1, mask(running, width), cache, vocab);
            }
        }
        return results;
    }

    /** [rows, width] with 0 over each row's left padding and 1 elsewhere. */
    private static float[] mask(List<Row> running, int width) {
        float[] m = new float[running.size() * width];
        for (int ri = 0; ri < running.size(); ri++) {
            Arrays.fill(m, ri * width + running.get(ri).padding, (ri + 1) * width, 1f);
        }
        return m;
    }

    /** One forward over {@code [b, t]} ids with the mask {@code [b, cached + t]}; the last position's logits. */
    private float[] step(NDManager parent, long[] ids, int b, int t, float[] mask, LmState cache, int vocab) {
        try (NDManager step = parent.newSubManager()) {
            NDArray in = step.create(ids).reshape(b, t);
            NDArray m = step.create(mask).reshape(b, mask.length / b);
            NDArray logits = model.forward(in, m, cache, false);
            float[] out = logits.get(new NDIndex(":, -1, :")).toFloatArray();
            Preconditions.checkState(out.length == b * vocab, "logits of " + out.length + " values for " + b
                    + " rows of vocab " + vocab);
            return out;
        }
    }

    /** One row of a batch: its sequence so far and its own generator. */
    private static final class Row {
        final int index;
        final long[] prompt;
        final GenerationOptions options;
        final Set<Long> stops;
        final int topK;
        final TokenCallback callback;
        final SplittableRandom rnd;
        final long[] seq;
        int len;
        int produced;
        int padding;
        GenerationResult.FinishReason reason;

        Row(int index, Request r, int maxPos) {
            this.index = index;
            this.prompt = r.prompt;
            this.options = r.options;
            this.stops = new HashSet<>(r.stopTokenIds);
            this.topK = r.topK;
            this.callback = r.callback;
            this.rnd = new SplittableRandom(options.seed() != null ? options.seed() : 0L);
            this.seq = Arrays.copyOf(prompt, prompt.length + Math.min(options.maxTokens(), maxPos - prompt.length + 1));
            this.len = prompt.length;
        }

        /** Picks this row's next token from its logits; whether the row keeps running. */
        boolean advance(float[] logits, int from, int vocab, int maxPos) {
            long next = choose(Arrays.copyOfRange(logits, from, from + vocab), options.temperature(), options.topP(),
                    topK, rnd);
            if (stops.contains(next)) {
                reason = GenerationResult.FinishReason.STOP_TOKEN;
                return false;
            }
            seq[len++] = next;
            produced++;
            if (callback != null && !callback.onToken(Arrays.copyOfRange(seq, prompt.length, len))) {
                reason = GenerationResult.FinishReason.STOPPED;
                return false;
            }
            if (produced >= options.maxTokens()) {
                reason = GenerationResult.FinishReason.MAX_TOKENS;
                return false;
            }
            if (len >= maxPos) {
                reason = GenerationResult.FinishReason.LENGTH;
                return false;
            }
            return true;
        }

        long last() {
            return seq[len - 1];
        }

        GenerationResult result() {
            return new GenerationResult(Arrays.copyOfRange(seq, prompt.length, len), reason);
        }
    }

    /** Picks the next token: argmax at temperature 0, else a top-p sample at the temperature. */
    static long choose(float[] logits, GenerationOptions options, SplittableRandom rnd) {
        return choose(logits, options.temperature(), options.topP(), 0, rnd);
    }

    /**
     * Picks the next token: argmax at temperature 0 (lowest id on a tie), else a sample at the
     * temperature from the {@code topK} most likely tokens (all for 0) cut to the smallest set whose
     * probability reaches {@code topP}.
     */
    static long choose(float[] logits, double temperature, double topP, int topK, SplittableRandom rnd) {
        if (temperature == 0) {
            int best = 0;
            for (int i = 1; i < logits.length; i++) {
                if (logits[i] > logits[best]) {
                    best = i;
                }
            }
            return best;
        }
        double t = temperature;
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
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        int limit = topK > 0 ? Math.min(topK, p.length) : p.length;
        int[] order = mostLikely(logits, limit);
        double mass = 1;
        if (limit < p.length) {
            mass = 0;
            for (int i = 0; i < limit; i++) {
                mass += p[order[i]];
            }
        }
        // top-k renormalises before top-p, as transformers' warpers do
        double kept = 0;
        int n = 0;
        while (n < limit) {
            kept += p[order[n]] / mass;
            n++;
            if (kept >= topP) {
                break;
            }
        }
        double r = rnd.nextDouble() * kept;
        double acc = 0;
        for (int i = 0; i < n; i++) {
            acc += p[order[i]] / mass;
            if (r < acc) {
                return order[i];
            }
        }
        return order[n - 1];
    }

    /**
     * The {@code limit} most likely token ids, most likely first and the lower id first on a tie. The
     * order by logit is the order by probability (the softmax is monotonic); sorting primitive keys
     * (the logit's order in the high half, the id in the low half) keeps this fast for a vocabulary of
     * 150k, and a bounded heap finds a small top-k in one pass.
     */
    static int[] mostLikely(float[] logits, int limit) {
        int v = logits.length;
        long[] keys;
        if (limit >= v / 4) {
            keys = new long[v];
            for (int i = 0; i < v; i++) {
                keys[i] = key(logits[i], i);
            }
            Arrays.sort(keys);
        } else {
            // max-heap of the best `limit` keys seen so far (smaller key = more likely)
            long[] heap = new long[limit];
            int size = 0;
            for (int i = 0; i < v; i++) {
                long k = key(logits[i], i);
                if (size < limit) {
                    heap[size] = k;
                    int c = size++;
                    while (c > 0 && heap[(c - 1) / 2] < heap[c]) {
                        long t = heap[c];
                        heap[c] = heap[(c - 1) / 2];
                        heap[(c - 1) / 2] = t;
                        c = (c - 1) / 2;
                    }
                } else if (k < heap[0]) {
                    heap[0] = k;
                    int c = 0;
                    while (true) {
                        int l = 2 * c + 1;
                        int r = l + 1;
                        int big = c;
                        if (l < size && heap[l] > heap[big]) {
                            big = l;
                        }
                        if (r < size && heap[r] > heap[big]) {
                            big = r;
                        }
                        if (big == c) {
                            break;
                        }
                        long t = heap[c];
                        heap[c] = heap[big];
                        heap[big] = t;
                        c = big;
                    }
                }
            }
            keys = Arrays.copyOf(heap, size);
            Arrays.sort(keys);
        }
        int[] order = new int[limit];
        for (int i = 0; i < limit; i++) {
            order[i] = (int) (keys[i] & 0xFFFFFFFFL);
        }
        return order;
    }

    /** A key that sorts ascending by descending logit, then ascending id. */
    private static long key(float logit, int id) {
        int bits = Float.floatToIntBits(logit == 0f ? 0f : logit);
        int ordered = bits ^ ((bits >> 31) & 0x7FFFFFFF);
        return ((long) ~ordered << 32) | (id & 0xFFFFFFFFL);
    }
}
