package dev.keel.core.lm.train;

/** Learning-rate schedules after a linear warm-up. */
public enum LrSchedule {
    /** The peak rate after warm-up. */
    CONSTANT,
    /** Linear decay from the peak to {@code minLrRatio * peak} at the last step. */
    LINEAR,
    /** Half-cosine decay from the peak to {@code minLrRatio * peak} at the last step. */
    COSINE;

    /**
     * The rate for 0-based {@code step} of {@code totalSteps}: linear warm-up over {@code warmupSteps}
     * (step {@code s} gets {@code peak * (s + 1) / warmupSteps}), then this schedule.
     *
     * @param peak the peak rate
     * @param step the optimizer step
     * @param warmupSteps the warmup steps
     * @param totalSteps the total steps
     * @param minLrRatio the min lr ratio
     * @return the learning rate at that step
     */
    public double rate(double peak, int step, int warmupSteps, int totalSteps, double minLrRatio) {
        if (step < warmupSteps) {
            return peak * (step + 1) / warmupSteps;
        }
        double floor = peak * minLrRatio;
        int decaySteps = Math.max(1, totalSteps - warmupSteps);
        double progress = Math.min(1.0, (double) (step - warmupSteps) / decaySteps);
        switch (this) {
            case LINEAR:
                return floor + (peak - floor) * (1 - progress);
            case COSINE:
                return floor + (peak - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
            default:
                return peak;
        }
    }
}
