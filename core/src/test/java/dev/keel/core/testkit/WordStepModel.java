package dev.keel.core.testkit;

import dev.keel.core.lm.search.StepModel;

import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * A toy step model over a vocabulary of words: the next word's probabilities are a fixed function of
 * the words generated so far (the prompt is ignored). Counts its forward steps. Shared by the tests of
 * the search evaluators in fewl and safety.
 */
public final class WordStepModel implements StepModel {

    /** The vocabulary, by token id. */
    public final List<String> words;
    private final Function<List<String>, double[]> next;
    /** Forward steps taken so far. */
    public int steps;

    /**
     * A model over {@code words} whose next-word probabilities are {@code next(generated words)}.
     *
     * @param words the vocabulary
     * @param next  the probabilities of the next word, one per word
     */
    public WordStepModel(List<String> words, Function<List<String>, double[]> next) {
        this.words = words;
        this.next = next;
    }

    /**
     * The words of {@code ids}, separated by spaces.
     *
     * @param ids token ids
     * @return the text
     */
    public String decode(long[] ids) {
        StringBuilder sb = new StringBuilder();
        for (long id : ids) {
            sb.append(sb.length() == 0 ? "" : " ").append(words.get((int) id));
        }
        return sb.toString();
    }

    /** A prefix: the generated words and their next-word log-probabilities. */
    public final class WordState implements State {
        private final long[] generated;
        private final float[] logProbs;

        WordState(long[] generated) {
            this.generated = generated;
            List<String> g = Arrays.stream(generated).mapToObj(i -> words.get((int) i)).toList();
            double[] p = next.apply(g);
            logProbs = new float[words.size()];
            for (int i = 0; i < p.length; i++) {
                logProbs[i] = (float) Math.log(p[i]);
            }
        }

        @Override
        public float[] logProbs() {
            return logProbs;
        }

        @Override
        public int length() {
            return generated.length + 1;
        }

        @Override
        public long bytes() {
            return 64;
        }

        @Override
        public void close() {
        }
    }

    @Override
    public State root(long[] prompt) {
        return new WordState(new long[0]);
    }

    @Override
    public State extend(State parent, long token) {
        steps++;
        long[] g = ((WordState) parent).generated;
        long[] out = Arrays.copyOf(g, g.length + 1);
        out[g.length] = token;
        return new WordState(out);
    }

    @Override
    public int vocabSize() {
        return words.size();
    }

    @Override
    public int contextLength() {
        return 64;
    }

    @Override
    public void close() {
    }
}
