package dev.keel.core.lm.search;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.lm.KvCache;
import dev.keel.core.lm.CausalLm;
import dev.keel.core.lm.LmState;

/**
 * A {@link StepModel} over any {@link CausalLm} (every architecture {@code core} loads: the
 * Llama-family decoders and RWKV-4): a state holds its prefix's {@link LmState} and next-token
 * log-probabilities; {@link #extend} copies the parent's state and runs one forward step over the new
 * token only. A Transformer's state of a prefix of length {@code T} holds
 * {@code 2 · layers · kvHeads · headDim · T} cached values ({@link KvCache}), an RWKV state the same
 * fixed size at any length; both plus the vocabulary's log-probabilities.
 *
 * <pre>{@code
 * try (LmStepModel steps = new LmStepModel(model)) {
 *     SearchResult r = Mcts.builder(steps).evaluator(e).simulations(64).build().search(prompt);
 * }
 * }</pre>
 */
public final class LmStepModel implements StepModel {

    private final CausalLm model;
    private final NDManager manager;
    private boolean closed;

    /**
     * Step access to {@code model}; the model stays the caller's to close (after this).
     *
     * @param model the language model
     */
    public LmStepModel(CausalLm model) {
        this.model = Preconditions.notNull(model, "model");
        this.manager = model.manager().newSubManager();
    }

    @Override
    public State root(long[] prompt) {
        checkOpen();
        Preconditions.notNull(prompt, "prompt");
        Preconditions.checkArgument(prompt.length > 0, "prompt must hold at least one token");
        Preconditions.checkArgument(prompt.length <= contextLength(), "prompt of " + prompt.length
                + " tokens exceeds the context length (" + contextLength() + ")");
        for (long t : prompt) {
            checkToken(t);
        }
        LmState cache = model.newState(manager);
        try {
            return new CachedState(cache, step(cache, prompt), prompt.length);
        } catch (RuntimeException e) {
            cache.close();
            throw e;
        }
    }

    @Override
    public State extend(State parent, long token) {
        checkOpen();
        Preconditions.notNull(parent, "parent");
        Preconditions.checkArgument(parent instanceof CachedState, "parent is not a state of this model: " + parent);
        CachedState p = (CachedState) parent;
        Preconditions.checkState(!p.closed, "parent state is closed");
        Preconditions.checkState(p.length < contextLength(), "parent state is at the context length ("
                + contextLength() + ")");
        checkToken(token);
        LmState cache = p.cache.copy(manager);
        try {
            return new CachedState(cache, step(cache, new long[] {token}), p.length + 1);
        } catch (RuntimeException e) {
            cache.close();
            throw e;
        }
    }

    private void checkToken(long t) {
        Preconditions.checkArgument(t >= 0 && t < vocabSize(), "token must be in [0, " + vocabSize() + "), was " + t);
    }

    private float[] step(LmState cache, long[] ids) {
        float[] logits;
        try (NDManager sm = manager.newSubManager()) {
            NDArray in = sm.create(ids).reshape(1, ids.length);
            NDArray out = model.forward(in, null, cache, false);
            logits = out.get(new NDIndex("0, -1, :")).toFloatArray();
        }
        return logSoftmax(logits);
    }

    /** Natural-log softmax in double precision, stored as floats. */
    static float[] logSoftmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        double log = max + Math.log(sum);
        float[] out = new float[logits.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (logits[i] - log);
        }
        return out;
    }

    @Override
    public int vocabSize() {
        return model.vocabSize();
    }

    @Override
    public int contextLength() {
        return model.contextLength();
    }

    private void checkOpen() {
        Preconditions.checkState(!closed, "LmStepModel is closed");
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            manager.close();
        }
    }

    @Override
    public String toString() {
        return "LmStepModel[" + model + "]";
    }

    private static final class CachedState implements State {
        final LmState cache;
        final float[] logProbs;
        final int length;
        boolean closed;

        CachedState(LmState cache, float[] logProbs, int length) {
            this.cache = cache;
            this.logProbs = logProbs;
            this.length = length;
        }

        @Override
        public float[] logProbs() {
            Preconditions.checkState(!closed, "state is closed");
            return logProbs;
        }

        @Override
        public int length() {
            return length;
        }

        @Override
        public long bytes() {
            return closed ? 0 : cache.bytes() + 4L * logProbs.length;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                cache.close();
            }
        }
    }
}
