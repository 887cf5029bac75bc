package dev.keel.core.lm.train;

import dev.keel.core.Provenance;

import java.nio.file.Path;
import java.util.List;

/**
 * How a training run ended.
 *
 * @param status         why it ended
 * @param steps          steps completed, counting those before a resume
 * @param losses         the loss of every completed step, from step 1 (including resumed ones)
 * @param lastCheckpoint the newest checkpoint directory, or {@code null}
 * @param message        a human-readable summary
 * @param provenance     library version, model, configuration, seed and start time of the run
 */
public record TrainingResult(Status status, int steps, List<Float> losses, Path lastCheckpoint, String message,
                             Provenance provenance) {

    /** Why a run ended. */
    public enum Status {
        /** All steps were taken. */
        COMPLETED,
        /** {@link LmTrainer#requestStop()} was called. */
        STOPPED,
        /** The loss or the gradients became NaN or infinite; the weights are those of the last good step. */
        DIVERGED
    }

    /**
     * The training result.
     *
     * @param status how the run ended
     * @param steps optimizer steps taken in all
     * @param losses the loss of every step
     * @param lastCheckpoint the last checkpoint
     * @param message what happened, in words
     * @param provenance version, model, config, seed and time of the run
     */
    public TrainingResult {
        losses = List.copyOf(losses);
    }
}
