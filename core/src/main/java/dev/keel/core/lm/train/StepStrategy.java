package dev.keel.core.lm.train;

import ai.djl.nn.Parameter;

import java.util.Map;

/**
 * How a training step obtains its gradients before the optimizer update. The default runs one
 * {@link GradientPass}. An optimizer wrapper such as SAM runs it twice: once at the weights, then at
 * perturbed weights (which it restores before returning), leaving the second gradients in place.
 *
 * <pre>{@code
 * StepStrategy sam = (pass, params) -> {
 *     float loss = pass.run();                       // g at w
 *     ... add e = rho * g / ||g|| to params ...
 *     pass.run();                                    // g at w + e
 *     ... subtract e ...
 *     return loss;
 * };
 * }</pre>
 */
@FunctionalInterface
public interface StepStrategy {

    /**
     * Leaves the gradients for the update in the parameters and returns the loss to report.
     *
     * @param pass   computes gradients at the current weights
     * @param params the trainable parameters, by name
     * @return the loss at the current weights
     */
    float computeGradients(GradientPass pass, Map<String, Parameter> params);

    /**
     * One gradient pass per step.
     *
     * @return the one-pass strategy
     */
    static StepStrategy standard() {
        return (pass, params) -> pass.run();
    }
}
