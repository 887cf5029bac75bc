package dev.keel.core.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;

import java.util.Collection;

/**
 * Gradient housekeeping over a set of parameters. DJL's PyTorch gradient collector accumulates
 * into existing gradients and does not zero them when opened, so every pass starts with
 * {@link #zero}.
 */
public final class Gradients {

    private Gradients() {
    }

    /** Sets the gradients of {@code params} to zero (those without a gradient are skipped). */
    public static void zero(Collection<Parameter> params) {
        for (Parameter p : params) {
            NDArray a = p.getArray();
            if (a.hasGradient()) {
                // the indexer creates a scalar in the gradient's manager: keep it in a scope of its own
                try (NDManager scope = a.getManager().newSubManager()) {
                    NDArray g = a.getGradient();
                    g.attach(scope);
                    g.set(new NDIndex("..."), 0f);
                }
            }
        }
    }

    /** The L2 norm of all gradients together (NaN or infinity if any gradient is). */
    public static double globalNorm(Collection<Parameter> params) {
        double sq = 0;
        for (Parameter p : params) {
            NDArray a = p.getArray();
            if (a.hasGradient()) {
                try (NDArray g = a.getGradient(); NDArray g2 = g.square(); NDArray s = g2.sum()) {
                    sq += s.getFloat();
                }
            }
        }
        return Math.sqrt(sq);
    }

    /** Multiplies every gradient by {@code factor}. */
    public static void scale(Collection<Parameter> params, float factor) {
        for (Parameter p : params) {
            NDArray a = p.getArray();
            if (a.hasGradient()) {
                try (NDArray g = a.getGradient()) {
                    g.muli(factor);
                }
            }
        }
    }

    /** Copies the gradient of {@code p} (zeros if it has none) into a new array in {@code p}'s manager. */
    public static NDArray copyOf(Parameter p) {
        NDArray a = p.getArray();
        if (!a.hasGradient()) {
            return a.zerosLike();
        }
        try (NDArray g = a.getGradient()) {
            return g.duplicate();
        }
    }
}
