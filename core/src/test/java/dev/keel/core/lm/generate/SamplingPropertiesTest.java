package dev.keel.core.lm.generate;

import dev.keel.core.chat.GenerationOptions;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.Size;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

class SamplingPropertiesTest {

    /** The sampled token always lies in the smallest set of most likely tokens whose mass reaches top-p. */
    @Property(tries = 300, seed = "3")
    void samplesStayInTheNucleus(@ForAll @Size(min = 1, max = 40) List<@FloatRange(min = -20, max = 20) Float> values,
                                 @ForAll @DoubleRange(min = 0.01, max = 1.0) double topP,
                                 @ForAll @DoubleRange(min = 0.1, max = 3.0) double temperature,
                                 @ForAll long seed) {
        float[] logits = toArray(values);
        GenerationOptions o = GenerationOptions.builder().temperature(temperature).topP(topP).build();
        long token = Generator.choose(logits, o, new SplittableRandom(seed));
        double[] p = new double[logits.length];
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l / temperature);
        }
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(logits[i] / temperature - max);
            sum += p[i];
        }
        double pt = p[(int) token] / sum;
        // mass of tokens strictly more likely than the chosen one must be below top-p
        double above = 0;
        for (double q : p) {
            if (q / sum > pt) {
                above += q / sum;
            }
        }
        if (above >= topP + 1e-9) {
            throw new AssertionError("token " + token + " outside the nucleus: " + Arrays.toString(logits));
        }
    }

    /** Greedy decoding picks the first maximal logit. */
    @Property(tries = 200, seed = "4")
    void greedyIsArgmax(@ForAll @Size(min = 1, max = 40) List<@FloatRange(min = -5, max = 5) Float> values) {
        float[] logits = toArray(values);
        long token = Generator.choose(logits, GenerationOptions.defaults(), new SplittableRandom(0));
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] > logits[(int) token] || (logits[i] == logits[(int) token] && i < token)) {
                throw new AssertionError("not the first argmax: " + token + " in " + Arrays.toString(logits));
            }
        }
    }

    private static float[] toArray(List<Float> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }
}
