package dev.keel.sam;

import dev.keel.core.testkit.TinyFixtures;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.lora.LoraAdapter;
import dev.keel.core.lm.lora.LoraConfig;
import dev.keel.core.lm.train.AdamW;
import dev.keel.core.lm.train.TrainingExample;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

class SamTest {

    /** Acceptance 1: one SAM step (LoRA only, SGD lr 0.1, rho 0.05) against the PyTorch reference. */
    @Test
    void oneSamStepMatchesTheReferenceVector() throws IOException {
        try (LlamaModel model = LlamaModel.load(TinyFixtures.vectorsDir(), Device.cpu());
             LoraAdapter lora = LoraAdapter.load(model, TinyFixtures.vectorsDir());
             Sam sam = Sam.builder().rho(0.05).parameters(lora.parameters())
                     .base(BaseOptimizer.sgd(lora.parameters())).build()) {
            LmObjective objective = LmObjective.of(model, lora.parameters(), TinyFixtures.vectorExamples());
            float loss = sam.step(objective, 0.1);
            Sam.StepStats stats = sam.lastStats();
            double expectedLoss = TinyFixtures.vectors().get("loss_with_adapter").doubleValue();
            double expectedNorm = TinyFixtures.vectors().get("sam").get("grad_norm").doubleValue();
            double expectedPerturbed = TinyFixtures.vectors().get("sam").get("loss_at_perturbed_weights").doubleValue();
            double worst = 0;
            for (Map.Entry<String, Parameter> e : lora.parameters().entrySet()) {
                float[] expected = TinyFixtures.expected("sam_step." + e.getKey());
                worst = Math.max(worst, TinyFixtures.maxAbsDiff(e.getValue().getArray().toFloatArray(), expected));
            }
            System.out.printf("SAM vs reference: |loss| %.3g, |grad_norm| %.3g, |loss_at_perturbed| %.3g,"
                            + " max |sam_step| %.3g, ||e|| = %.9f%n", Math.abs(loss - expectedLoss),
                    Math.abs(stats.gradNorm() - expectedNorm), Math.abs(stats.perturbedLoss() - expectedPerturbed),
                    worst, stats.epsilonNorm());
            assertThat((double) loss).isCloseTo(expectedLoss, offset(1e-4));
            assertThat(stats.gradNorm()).isCloseTo(expectedNorm, offset(1e-4));
            assertThat((double) stats.perturbedLoss()).isCloseTo(expectedPerturbed, offset(1e-4));
            assertThat(worst).isLessThan(1e-4);
            assertThat(stats.epsilonNorm()).isCloseTo(0.05, offset(1e-6));
            assertThat(stats.passes()).isEqualTo(2);
            assertThat(sam.gradientPasses()).isEqualTo(2);
        }
    }

    @Test
    void asamEpsilonFollowsTheFormula() {
        try (LlamaModel model = TinyFixtures.tinyModel(1);
             var m = model.manager().newSubManager()) {
            NDArray g1 = m.create(new float[] {1f, -2f, 0.5f});
            NDArray g2 = m.create(new float[] {3f, 0f});
            NDArray w1 = m.create(new float[] {0.5f, -1f, 0f});
            NDArray w2 = m.create(new float[] {-2f, 4f});
            double rho = 0.3;
            double eta = 0.01;
            List<NDArray> eps = Sam.epsilon(List.of(g1, g2), List.of(w1, w2), rho, true, eta, m);
            float[][] g = {{1f, -2f, 0.5f}, {3f, 0f}};
            float[][] w = {{0.5f, -1f, 0f}, {-2f, 4f}};
            double norm = 0;
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < g[i].length; j++) {
                    double t = Math.abs(w[i][j]) + eta;
                    norm += t * t * g[i][j] * g[i][j];
                }
            }
            norm = Math.sqrt(norm);
            for (int i = 0; i < 2; i++) {
                float[] e = eps.get(i).toFloatArray();
                for (int j = 0; j < g[i].length; j++) {
                    double t = Math.abs(w[i][j]) + eta;
                    assertThat((double) e[j]).isCloseTo(rho * t * t * g[i][j] / norm, offset(1e-6));
                }
            }
            // ||T^-1 e|| = rho: the adaptive ball
            double inv = 0;
            for (int i = 0; i < 2; i++) {
                float[] e = eps.get(i).toFloatArray();
                for (int j = 0; j < e.length; j++) {
                    double t = Math.abs(w[i][j]) + eta;
                    inv += (e[j] / t) * (e[j] / t);
                }
            }
            assertThat(Math.sqrt(inv)).isCloseTo(rho, offset(1e-5));
        }
    }

    @Test
    void asamStepRunsTwoPassesAndRestoresTheWeights() {
        try (LlamaModel model = TinyFixtures.tinyModel(3);
             LoraAdapter lora = LoraAdapter.create(model, LoraConfig.builder().rank(2).alpha(4).build(), 3)) {
            List<TrainingExample> data = TinyFixtures.randomExamples(2, 8, 3);
            LmObjective objective = LmObjective.of(model, lora.parameters(), data);
            Map<String, float[]> before = snapshot(lora.parameters());
            List<Map<String, float[]>> seen = new ArrayList<>();
            BaseOptimizer spy = spy(lora.parameters(), seen);
            try (Sam sam = Sam.builder().rho(0.5).asam(0.01).parameters(lora.parameters()).base(spy).build()) {
                sam.step(objective, 0.01);
                assertThat(sam.lastStats().passes()).isEqualTo(2);
                assertThat(sam.lastStats().perturbedLoss()).isGreaterThan(sam.lastStats().loss() - 1e-3f);
            }
            for (String k : before.keySet()) {
                assertThat(seen.get(0).get(k)).containsExactly(before.get(k));
            }
        }
    }

    @Test
    void lookSamAscendsEveryKStepsAndReusesInBetween() {
        try (LlamaModel model = TinyFixtures.tinyModel(4);
             LoraAdapter lora = LoraAdapter.create(model, LoraConfig.builder().rank(2).alpha(4).build(), 4)) {
            List<TrainingExample> data = TinyFixtures.randomExamples(2, 8, 4);
            LmObjective objective = LmObjective.of(model, lora.parameters(), data);
            List<Map<String, float[]>> grads = new ArrayList<>();
            BaseOptimizer recorder = new BaseOptimizer() {
                @Override
                public void step(double learningRate) {
                    grads.add(gradients(lora.parameters()));
                    BaseOptimizer.sgd(lora.parameters()).step(learningRate);
                }

                @Override
                public String name() {
                    return "recorder";
                }
            };
            try (Sam sam = Sam.builder().rho(0.05).lookSam(3, 0.7).parameters(lora.parameters()).base(recorder).build()) {
                List<Integer> passes = new ArrayList<>();
                for (int i = 0; i < 7; i++) {
                    sam.step(objective, 0.05);
                    passes.add(sam.lastStats().passes());
                }
                assertThat(passes).containsExactly(2, 1, 1, 2, 1, 1, 2);
                assertThat(sam.gradientPasses()).isEqualTo(10);
            }
            // a reuse step differs from the plain gradient at the same weights (the stored g_v is added)
            Map<String, float[]> plain = new LinkedHashMap<>();
            objective.run();
            plain.putAll(gradients(lora.parameters()));
            assertThat(plain).isNotEmpty();
            assertThat(grads).hasSize(7);
        }
    }

    @Test
    void lookSamReuseAddsTheScaledOrthogonalComponent() {
        try (LlamaModel model = TinyFixtures.tinyModel(5);
             LoraAdapter lora = LoraAdapter.create(model, LoraConfig.builder().rank(2).alpha(4).build(), 5)) {
            LmObjective objective = LmObjective.of(model, lora.parameters(), TinyFixtures.randomExamples(2, 8, 5));
            // first step at w0 with no update (lr ~ 0 through a no-op base), so step 2 sees the same weights
            BaseOptimizer noop = new BaseOptimizer() {
                @Override
                public void step(double learningRate) {
                }

                @Override
                public String name() {
                    return "noop";
                }
            };
            try (Sam look = Sam.builder().rho(0.05).lookSam(2, 1.0).parameters(lora.parameters()).base(noop).build();
                 Sam full = Sam.builder().rho(0.05).parameters(lora.parameters()).base(noop).build()) {
                look.computeGradients(objective, lora.parameters());
                Map<String, float[]> gs = gradients(lora.parameters());
                look.computeGradients(objective, lora.parameters());
                Map<String, float[]> reused = gradients(lora.parameters());
                objective.run();
                Map<String, float[]> g = gradients(lora.parameters());
                // expected: g + (||g|| / ||g_v||) g_v with g_v = gs - (<gs, g> / ||g||^2) g
                double dot = 0;
                double gg = 0;
                for (String k : g.keySet()) {
                    for (int i = 0; i < g.get(k).length; i++) {
                        dot += (double) gs.get(k)[i] * g.get(k)[i];
                        gg += (double) g.get(k)[i] * g.get(k)[i];
                    }
                }
                double vv = 0;
                Map<String, double[]> v = new LinkedHashMap<>();
                for (String k : g.keySet()) {
                    double[] vk = new double[g.get(k).length];
                    for (int i = 0; i < vk.length; i++) {
                        vk[i] = gs.get(k)[i] - dot / gg * g.get(k)[i];
                        vv += vk[i] * vk[i];
                    }
                    v.put(k, vk);
                }
                double factor = Math.sqrt(gg) / Math.sqrt(vv);
                for (String k : g.keySet()) {
                    for (int i = 0; i < g.get(k).length; i++) {
                        assertThat((double) reused.get(k)[i]).isCloseTo(g.get(k)[i] + factor * v.get(k)[i], offset(1e-4));
                    }
                }
                assertThat(full.lastStats()).isNull();
            }
        }
    }

    @Test
    void samWithAdamWBaseTrains() {
        try (LlamaModel model = TinyFixtures.tinyModel(6);
             LoraAdapter lora = LoraAdapter.create(model, LoraConfig.builder().rank(4).alpha(8).build(), 6)) {
            LmObjective objective = LmObjective.of(model, lora.parameters(), TinyFixtures.randomExamples(2, 8, 6));
            double before = objective.loss();
            try (Sam sam = Sam.builder().rho(0.05).parameters(lora.parameters())
                    .base(BaseOptimizer.adamW(new AdamW(lora.parameters(), 0.9, 0.999, 1e-8, 0, model.manager())))
                    .build()) {
                for (int i = 0; i < 10; i++) {
                    sam.step(objective, 1e-2);
                }
            }
            assertThat(objective.loss()).isLessThan(before);
        }
    }

    @Test
    void badInputIsRejectedWithTheValue() {
        assertThatThrownBy(() -> Sam.builder().rho(0)).hasMessageContaining("rho must be > 0, was 0.0");
        assertThatThrownBy(() -> Sam.builder().rho(-0.1)).hasMessageContaining("was -0.1");
        assertThatThrownBy(() -> Sam.builder().rho(Double.NaN)).hasMessageContaining("NaN");
        assertThatThrownBy(() -> Sam.builder().asam(-1)).hasMessageContaining("eta must be >= 0, was -1.0");
        assertThatThrownBy(() -> Sam.builder().lookSam(0, 0.5)).hasMessageContaining("k must be >= 1, was 0");
        assertThatThrownBy(() -> Sam.builder().lookSam(2, -0.5)).hasMessageContaining("alpha must be >= 0, was -0.5");
        try (Sam sam = Sam.builder().build()) {
            assertThatThrownBy(() -> sam.step(() -> 0f, 0.1)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("base optimizer");
        }
        try (LlamaModel model = TinyFixtures.tinyModel(7); Sam sam = Sam.builder().build()) {
            model.setBaseTrainable(true);
            Map<String, Parameter> base = Map.of("model.norm.weight", model.parameters().get("model.norm.weight"));
            assertThatThrownBy(() -> sam.computeGradients(() -> 0f, base)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("model.norm.weight").hasMessageContaining("ALL_TRAINABLE");
        }
    }

    static Map<String, float[]> snapshot(Map<String, Parameter> params) {
        Map<String, float[]> out = new LinkedHashMap<>();
        params.forEach((k, p) -> out.put(k, p.getArray().toFloatArray()));
        return out;
    }

    static Map<String, float[]> gradients(Map<String, Parameter> params) {
        Map<String, float[]> out = new LinkedHashMap<>();
        params.forEach((k, p) -> {
            try (NDArray g = p.getArray().getGradient()) {
                out.put(k, g.toFloatArray());
            }
        });
        return out;
    }

    /** A base optimizer that records the weights it is asked to update, then does nothing. */
    static BaseOptimizer spy(Map<String, Parameter> params, List<Map<String, float[]>> seen) {
        return new BaseOptimizer() {
            @Override
            public void step(double learningRate) {
                seen.add(snapshot(params));
            }

            @Override
            public String name() {
                return "spy";
            }
        };
    }
}
