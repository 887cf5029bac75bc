package dev.keel.sam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.lm.train.AdamW;
import dev.keel.core.internal.Gradients;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The optimizer that {@link Sam} wraps: one update of the parameters it was made for, with the
 * gradients that are in them now. Implementations do not zero the gradients.
 *
 * <pre>{@code
 * BaseOptimizer sgd = BaseOptimizer.sgd(lora.parameters());
 * BaseOptimizer adam = BaseOptimizer.adamW(new AdamW(lora.parameters(), 0.9, 0.999, 1e-8, 0.0, model.manager()));
 * }</pre>
 */
public interface BaseOptimizer extends AutoCloseable {

    /**
     * Applies one update with learning rate {@code learningRate}.
     *
     * @param learningRate the learning rate, > 0
     */
    void step(double learningRate);

    /**
     * A name for reports and provenance, e.g. {@code sgd}.
     *
     * @return the name
     */
    String name();

    /** Frees optimizer state, if any; idempotent. */
    @Override
    default void close() {
    }

    /**
     * Plain stochastic gradient descent, {@code w -= lr * g}.
     *
     * @param params the parameters, by name
     * @return the optimizer
     */
    static BaseOptimizer sgd(Map<String, Parameter> params) {
        Preconditions.notNull(params, "params");
        Preconditions.checkArgument(!params.isEmpty(), "params must not be empty");
        Map<String, Parameter> copy = new LinkedHashMap<>(params);
        return new BaseOptimizer() {
            @Override
            public void step(double learningRate) {
                for (Parameter p : copy.values()) {
                    NDArray w = p.getArray();
                    if (!w.hasGradient()) {
                        continue;
                    }
                    try (NDManager tmp = w.getManager().newSubManager()) {
                        NDArray g = w.getGradient();
                        g.attach(tmp);
                        NDArray update = g.mul((float) learningRate);
                        update.attach(tmp);
                        w.subi(update);
                    }
                }
            }

            @Override
            public String name() {
                return "sgd";
            }
        };
    }

    /**
     * Keel's {@link AdamW} (decoupled weight decay); closing this closes it.
     *
     * @param adamW the adam w
     * @return the optimizer
     */
    static BaseOptimizer adamW(AdamW adamW) {
        Preconditions.notNull(adamW, "adamW");
        return new BaseOptimizer() {
            @Override
            public void step(double learningRate) {
                adamW.step(learningRate);
            }

            @Override
            public String name() {
                return "adamw";
            }

            @Override
            public void close() {
                adamW.close();
            }
        };
    }

    /**
     * Zeroes the gradients of {@code params}; a convenience for loops that call {@link #step} themselves.
     *
     * @param params the parameters, by name
     */
    static void zeroGradients(Map<String, Parameter> params) {
        Gradients.zero(params.values());
    }
}
