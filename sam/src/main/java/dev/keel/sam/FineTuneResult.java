package dev.keel.sam;

import dev.keel.core.internal.Preconditions;
import dev.keel.core.lm.lora.LoraAdapter;
import dev.keel.core.lm.train.TrainingResult;

import java.util.List;
import java.util.Locale;

/**
 * What {@link LoraFineTuner#fit()} produced: the trained adapter (attached to the model; the caller
 * saves and closes it), the trainer's result and a per-step metrics history.
 *
 * @param adapter        the trained adapter
 * @param training       how the run ended, losses and provenance
 * @param history        one entry per optimizer step
 * @param optimizer      e.g. {@code adamw} or {@code sam(rho=0.05)+adamw}
 * @param gradientPasses forward/backward passes over the step's batch, all steps together
 * @param seconds        wall-clock time of the run
 */
public record FineTuneResult(LoraAdapter adapter, TrainingResult training, List<StepMetrics> history, String optimizer,
                             long gradientPasses, double seconds) {

    /**
     * The fine tune result.
     *
     * @param adapter the LoRA adapter
     * @param training the training settings
     * @param history one entry per optimizer step
     * @param optimizer e.g. {@code adamw} or {@code sam(rho=0.05)+adamw}
     * @param gradientPasses the gradient passes
     * @param seconds wall-clock time of the run
     */
    public FineTuneResult {
        Preconditions.notNull(adapter, "adapter");
        Preconditions.notNull(training, "training");
        history = List.copyOf(history);
    }

    /**
     * One optimizer step.
     *
     * @param step          1-based step
     * @param loss          the loss at the weights before the update
     * @param perturbedLoss the loss at {@code w + e} (NaN without SAM or on a LookSAM reuse step)
     * @param gradNorm      the norm of the gradient used for the update, before clipping
     * @param epsilonNorm   {@code ||e||} (0 without ascent)
     * @param learningRate  the rate of the update
     * @param passes        gradient passes the step took
     */
    public record StepMetrics(int step, float loss, float perturbedLoss, double gradNorm, double epsilonNorm,
                              double learningRate, int passes) {
    }

    /**
     * The history as CSV with a header.
     *
     * @return the history csv
     */
    public String historyCsv() {
        StringBuilder sb = new StringBuilder("step,loss,perturbed_loss,grad_norm,epsilon_norm,learning_rate,passes\n");
        for (StepMetrics m : history) {
            sb.append(String.format(Locale.ROOT, "%d,%.6f,%.6f,%.6g,%.6g,%.6g,%d%n", m.step(), m.loss(), m.perturbedLoss(),
                    m.gradNorm(), m.epsilonNorm(), m.learningRate(), m.passes()));
        }
        return sb.toString();
    }

    /**
     * The loss of the last step, or NaN if none was taken.
     *
     * @return the final loss
     */
    public float finalLoss() {
        return history.isEmpty() ? Float.NaN : history.get(history.size() - 1).loss();
    }
}
