package dev.keel.core.lm.train;

import dev.keel.core.internal.Gradients;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

class LrScheduleAndAdamWTest {

    @Test
    void schedulesWarmUpThenDecay() {
        assertThat(LrSchedule.COSINE.rate(1.0, 0, 4, 14, 0)).isEqualTo(0.25);
        assertThat(LrSchedule.COSINE.rate(1.0, 3, 4, 14, 0)).isEqualTo(1.0);
        assertThat(LrSchedule.COSINE.rate(1.0, 4, 4, 14, 0)).isEqualTo(1.0);
        assertThat(LrSchedule.COSINE.rate(1.0, 9, 4, 14, 0)).isCloseTo(0.5, offset(1e-12));
        assertThat(LrSchedule.COSINE.rate(1.0, 14, 4, 14, 0.1)).isCloseTo(0.1, offset(1e-12));
        assertThat(LrSchedule.LINEAR.rate(2.0, 9, 4, 14, 0)).isCloseTo(1.0, offset(1e-12));
        assertThat(LrSchedule.CONSTANT.rate(2.0, 13, 4, 14, 0)).isEqualTo(2.0);
    }

    @Test
    void adamWMatchesTheTextbookUpdate() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray w = m.create(new float[] {0.5f, -1.0f, 2.0f});
            w.setRequiresGradient(true);
            Parameter p = Parameter.builder().setName("w").setType(Parameter.Type.WEIGHT).build();
            p.setArray(w);
            double lr = 0.1;
            double wd = 0.01;
            double b1 = 0.9;
            double b2 = 0.999;
            double eps = 1e-8;
            double[] ref = {0.5, -1.0, 2.0};
            double[] mm = new double[3];
            double[] vv = new double[3];
            try (AdamW opt = new AdamW(Map.of("w", p), b1, b2, eps, wd, m)) {
                for (int t = 1; t <= 3; t++) {
                    Gradients.zero(java.util.List.of(p));
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        // loss = sum(w^3) / 3, gradient w^2
                        gc.backward(w.pow(3).sum().div(3f));
                    }
                    opt.step(lr);
                    for (int i = 0; i < 3; i++) {
                        double g = ref[i] * ref[i];
                        mm[i] = b1 * mm[i] + (1 - b1) * g;
                        vv[i] = b2 * vv[i] + (1 - b2) * g * g;
                        ref[i] *= 1 - lr * wd;
                        ref[i] -= lr * (mm[i] / (1 - Math.pow(b1, t))) / (Math.sqrt(vv[i] / (1 - Math.pow(b2, t))) + eps);
                    }
                }
                float[] got = w.toFloatArray();
                for (int i = 0; i < 3; i++) {
                    assertThat((double) got[i]).isCloseTo(ref[i], offset(1e-5));
                }
                assertThat(opt.steps()).isEqualTo(3);
                opt.close();
            }
            assertThat(Gradients.globalNorm(java.util.List.of(p))).isPositive();
            Gradients.zero(java.util.List.of(p));
            assertThat(Gradients.globalNorm(java.util.List.of(p))).isZero();
        }
    }
}
