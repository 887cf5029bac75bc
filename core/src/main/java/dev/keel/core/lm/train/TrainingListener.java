package dev.keel.core.lm.train;

import java.nio.file.Path;
import java.time.Duration;

/** Receives a trainer's progress, e.g. to render a progress bar. Called on the training thread. */
public interface TrainingListener {

    /**
     * After each optimizer step.
     *
     * @param progress the step just taken
     */
    default void onStep(Progress progress) {
    }

    /**
     * After a checkpoint was written.
     *
     * @param step the optimizer step
     * @param dir the directory
     */
    default void onCheckpoint(int step, Path dir) {
    }

    /**
     * When the run ends, however it ends.
     *
     * @param result how the run ended
     */
    default void onEnd(TrainingResult result) {
    }

    /**
     * The state after one optimizer step.
     *
     * @param step            steps completed (1-based)
     * @param totalSteps      steps in the run
     * @param epoch           the epoch the step's last batch came from (0-based)
     * @param loss            the step's mean loss (before the update)
     * @param learningRate    the rate used for the update
     * @param gradNorm        the gradient norm before clipping
     * @param tokensPerSecond target tokens processed per second in this run so far
     * @param eta             estimated time to the end of the run
     */
    record Progress(int step, int totalSteps, int epoch, float loss, double learningRate, double gradNorm,
                    double tokensPerSecond, Duration eta) {
    }
}
