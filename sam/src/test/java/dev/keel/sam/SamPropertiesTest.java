package dev.keel.sam;

import dev.keel.core.testkit.TinyFixtures;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.lora.LoraAdapter;
import dev.keel.core.lm.lora.LoraConfig;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Scale;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

/** Acceptance 2: invariants of the SAM step and the landscape, over random inputs. */
class SamPropertiesTest {

    private static final NDManager MANAGER = NDManager.newBaseManager(Device.cpu());

    @Provide
    Arbitrary<List<List<Float>>> gradients() {
        Arbitrary<Float> entry = Arbitraries.floats().between(-100f, 100f);
        return entry.list().ofMinSize(1).ofMaxSize(20).list().ofMinSize(1).ofMaxSize(4)
                .filter(l -> l.stream().flatMap(List::stream).anyMatch(x -> Math.abs(x) > 1e-3f));
    }

    /** ||e|| = rho for any gradient that is not zero. */
    @Property(tries = 200)
    void epsilonHasNormRho(@ForAll("gradients") List<List<Float>> g, @ForAll @DoubleRange(min = 1e-4, max = 10) @Scale(6) double rho) {
        try (NDManager m = MANAGER.newSubManager()) {
            List<NDArray> arrays = new ArrayList<>();
            for (List<Float> t : g) {
                float[] v = new float[t.size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = t.get(i);
                }
                arrays.add(m.create(v));
            }
            List<NDArray> eps = Sam.epsilon(arrays, arrays, rho, false, 0, m);
            assertThat(Math.sqrt(Sam.sumSquares(eps))).isCloseTo(rho, offset(1e-5 * rho));
        }
    }

    /** With rho -> 0 a SAM step is the base step. */
    @Property(tries = 4)
    void vanishingRhoGivesTheBaseStep(@ForAll @LongRange(min = 0, max = 1000) long seed) {
        try (LlamaModel model = TinyFixtures.tinyModel(seed);
             LoraAdapter lora = LoraAdapter.create(model, LoraConfig.builder().rank(2).alpha(4).build(), seed)) {
            Map<String, Parameter> p = lora.parameters();
            LmObjective objective = LmObjective.of(model, p, TinyFixtures.randomExamples(2, 8, seed));
            // give lora_B a value so both factors take gradients
            objective.run();
            BaseOptimizer.sgd(p).step(0.5);
            Map<String, float[]> start = SamTest.snapshot(p);
            objective.run();
            BaseOptimizer.sgd(p).step(0.1);
            Map<String, float[]> plain = SamTest.snapshot(p);
            set(p, start);
            try (Sam sam = Sam.builder().rho(1e-7).parameters(p).base(BaseOptimizer.sgd(p)).build()) {
                sam.step(objective, 0.1);
            }
            for (String k : plain.keySet()) {
                assertThat(TinyFixtures.maxAbsDiff(p.get(k).getArray().toFloatArray(), plain.get(k))).as(k).isLessThan(1e-6);
            }
        }
    }

    /** After the ascent the base optimizer sees exactly the weights the step started from. */
    @Property(tries = 6)
    void weightsAreRestoredExactlyAfterTheAscent(@ForAll @LongRange(min = 0, max = 1000) long seed,
                                                 @ForAll @DoubleRange(min = 1e-3, max = 3) @Scale(4) double rho,
                                                 @ForAll boolean adaptive) {
        try (LlamaModel model = TinyFixtures.tinyModel(seed);
             LoraAdapter lora = LoraAdapter.create(model, LoraConfig.builder().rank(2).alpha(4).build(), seed)) {
            Map<String, Parameter> p = lora.parameters();
            LmObjective objective = LmObjective.of(model, p, TinyFixtures.randomExamples(2, 8, seed + 1));
            objective.run();
            BaseOptimizer.sgd(p).step(0.5);
            Map<String, float[]> before = SamTest.snapshot(p);
            List<Map<String, float[]>> seen = new ArrayList<>();
            Sam.Builder b = Sam.builder().rho(rho).parameters(p).base(SamTest.spy(p, seen));
            if (adaptive) {
                b.asam(0.01);
            }
            try (Sam sam = b.build()) {
                sam.step(objective, 0.1);
                assertThat(sam.lastStats().epsilonNorm()).isPositive();
            }
            for (String k : before.keySet()) {
                assertThat(seen.get(0).get(k)).as(k).containsExactly(before.get(k));
            }
        }
    }

    /** The landscape at (0, 0) is the loss at the weights. */
    @Property(tries = 4)
    void landscapeCentreIsTheUnperturbedLoss(@ForAll @LongRange(min = 0, max = 1000) long seed,
                                             @ForAll boolean loraOnly) {
        try (LlamaModel model = TinyFixtures.tinyModel(seed);
             LoraAdapter lora = LoraAdapter.create(model, LoraConfig.builder().rank(2).alpha(4).build(), seed)) {
            LmObjective objective = LmObjective.of(model, lora.parameters(), TinyFixtures.randomExamples(2, 6, seed));
            objective.run();
            BaseOptimizer.sgd(lora.parameters()).step(0.5);
            double loss = objective.loss();
            Map<String, Parameter> params = loraOnly ? lora.parameters() : LossLandscape.allParameters(model, lora);
            Landscape l = LossLandscape.builder().objective(objective).parameters(params).grid(3).seed(seed).build().compute();
            assertThat(l.at(1, 1)).isCloseTo(loss, offset(1e-6));
            assertThat(l.baseLoss()).isCloseTo(loss, offset(1e-6));
        }
    }

    private static void set(Map<String, Parameter> p, Map<String, float[]> values) {
        p.forEach((k, v) -> v.getArray().set(values.get(k)));
    }
}
