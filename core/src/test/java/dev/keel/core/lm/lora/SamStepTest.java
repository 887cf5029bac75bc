package dev.keel.core.lm.lora;

import dev.keel.core.testkit.TinyFixtures;
import dev.keel.core.internal.Gradients;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.internal.LmLoss;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

/**
 * Gradients through DJL autograd on LoRA parameters, checked by one SAM step against the independent
 * PyTorch reference (a test helper only; the SAM optimizer belongs to the sam module).
 */
class SamStepTest {

    /** Zeroes the gradients of {@code params}: DJL's PyTorch collector does not. */
    static void zeroGradients(Iterable<Parameter> params) {
        for (Parameter p : params) {
            NDArray a = p.getArray();
            if (a.hasGradient()) {
                try (NDArray g = a.getGradient()) {
                    g.set(new NDIndex("..."), 0f);
                }
            }
        }
    }

    /** Loss and gradients (by parameter name) at the current weights. */
    static float lossAndGradients(LlamaModel model, Map<String, Parameter> params, Map<String, float[]> grads) {
        zeroGradients(params.values());
        float loss;
        try (NDManager step = model.manager().newSubManager();
             GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray ids = TinyFixtures.vectorsInputIds(step);
            NDArray l = LmLoss.mean(model.forward(ids, null, null, true), ids, null);
            gc.backward(l);
            loss = l.getFloat();
        }
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            try (NDArray g = e.getValue().getArray().getGradient()) {
                grads.put(e.getKey(), g.toFloatArray());
            }
        }
        return loss;
    }

    @Test
    void oneSamStepMatchesTheReference() throws IOException {
        double rho = 0.05;
        float lr = 0.1f;
        try (LlamaModel model = TinyFixtures.vectorsModel();
             LoraAdapter lora = LoraAdapter.load(model, TinyFixtures.vectorsDir())) {
            Map<String, Parameter> params = lora.parameters();
            Map<String, float[]> g = new LinkedHashMap<>();
            float loss = lossAndGradients(model, params, g);
            assertThat((double) loss).isCloseTo(TinyFixtures.vectors().get("loss_with_adapter").doubleValue(), offset(1e-4));
            double sq = 0;
            for (float[] v : g.values()) {
                for (float x : v) {
                    sq += (double) x * x;
                }
            }
            double norm = Math.sqrt(sq);
            double expectedNorm = TinyFixtures.vectors().get("sam").get("grad_norm").doubleValue();
            // perturb: w += e, e = rho * g / (||g|| + 1e-12)
            List<NDArray> perturbations = new ArrayList<>();
            for (Map.Entry<String, Parameter> e : params.entrySet()) {
                NDArray w = e.getValue().getArray();
                NDArray eps = w.getManager().create(g.get(e.getKey()), w.getShape()).mul((float) (rho / (norm + 1e-12)));
                w.addi(eps);
                perturbations.add(eps);
            }
            Map<String, float[]> ge = new LinkedHashMap<>();
            float perturbedLoss = lossAndGradients(model, params, ge);
            int i = 0;
            for (Parameter p : params.values()) {
                NDArray eps = perturbations.get(i++);
                p.getArray().subi(eps);
                eps.close();
            }
            // SGD step with the gradient at the perturbed point
            for (Map.Entry<String, Parameter> e : params.entrySet()) {
                NDArray w = e.getValue().getArray();
                try (NDArray step = w.getManager().create(ge.get(e.getKey()), w.getShape()).mul(lr)) {
                    w.subi(step);
                }
            }
            double expectedPerturbed = TinyFixtures.vectors().get("sam").get("loss_at_perturbed_weights").doubleValue();
            double worst = 0;
            for (Map.Entry<String, Parameter> e : params.entrySet()) {
                float[] expected = TinyFixtures.expected("sam_step." + e.getKey());
                worst = Math.max(worst, TinyFixtures.maxAbsDiff(e.getValue().getArray().toFloatArray(), expected));
            }
            System.out.printf("|grad_norm - expected| = %.3g, |loss_at_perturbed - expected| = %.3g,"
                    + " max |sam_step - expected| = %.3g%n", Math.abs(norm - expectedNorm),
                    Math.abs(perturbedLoss - expectedPerturbed), worst);
            assertThat(norm).isCloseTo(expectedNorm, offset(1e-4 * Math.max(1, expectedNorm)));
            assertThat((double) perturbedLoss).isCloseTo(expectedPerturbed, offset(1e-4));
            assertThat(worst).isLessThan(1e-4);
            // gradients were zeroed between passes: a third pass at the new weights gives fresh gradients
            Map<String, float[]> again = new LinkedHashMap<>();
            lossAndGradients(model, params, again);
            Map<String, float[]> twice = new LinkedHashMap<>();
            lossAndGradients(model, params, twice);
            for (String k : again.keySet()) {
                assertThat(twice.get(k)).containsExactly(again.get(k));
            }
        }
    }
}
