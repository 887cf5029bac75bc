package dev.keel.core.lm.search;

import java.util.Arrays;
import java.util.function.Function;

/** A step model with fixed next-token probabilities per prefix; counts its forward steps. */
final class FakeStepModel implements StepModel {

    static final long BYTES_PER_STATE = 100;

    private final int vocab;
    private final Function<long[], double[]> probs;
    private final int context;
    int extends_;
    int roots;
    int open;

    FakeStepModel(int vocab, int context, Function<long[], double[]> probs) {
        this.vocab = vocab;
        this.context = context;
        this.probs = probs;
    }

    final class FakeState implements State {
        final long[] tokens;
        final float[] logProbs;
        boolean closed;

        FakeState(long[] tokens) {
            this.tokens = tokens;
            double[] p = probs.apply(tokens.clone());
            logProbs = new float[vocab];
            for (int i = 0; i < vocab; i++) {
                logProbs[i] = (float) Math.log(p[i]);
            }
            open++;
        }

        @Override
        public float[] logProbs() {
            if (closed) {
                throw new IllegalStateException("closed");
            }
            return logProbs;
        }

        @Override
        public int length() {
            return tokens.length;
        }

        @Override
        public long bytes() {
            return closed ? 0 : BYTES_PER_STATE;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                open--;
            }
        }
    }

    @Override
    public State root(long[] prompt) {
        roots++;
        return new FakeState(prompt.clone());
    }

    @Override
    public State extend(State parent, long token) {
        FakeState p = (FakeState) parent;
        if (p.closed) {
            throw new IllegalStateException("parent closed");
        }
        extends_++;
        long[] t = Arrays.copyOf(p.tokens, p.tokens.length + 1);
        t[p.tokens.length] = token;
        return new FakeState(t);
    }

    @Override
    public int vocabSize() {
        return vocab;
    }

    @Override
    public int contextLength() {
        return context;
    }

    @Override
    public void close() {
    }
}
