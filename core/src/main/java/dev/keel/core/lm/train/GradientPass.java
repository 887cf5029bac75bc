package dev.keel.core.lm.train;

/**
 * One full gradient computation for the current training step: zeroes the gradients, runs forward
 * and backward over every micro-batch of the step (so gradients hold the gradient of the step's mean
 * loss) and returns that loss. A {@link StepStrategy} may run it more than once per step.
 */
@FunctionalInterface
public interface GradientPass {

    /**
     * Computes the gradients at the current weights and returns the mean loss.
     *
     * @return the loss of the pass
     */
    float run();
}
