package dev.keel.core.lm.train;

import dev.keel.core.internal.Preconditions;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Hyper-parameters of an {@link LmTrainer} run. Immutable; build with {@link #builder()}.
 *
 * <pre>{@code
 * TrainingConfig c = TrainingConfig.builder().learningRate(2e-4).warmupSteps(10).totalSteps(200)
 *         .schedule(LrSchedule.COSINE).batchSize(8).gradientAccumulation(2).maxGradNorm(1.0).seed(42).build();
 * }</pre>
 */
public final class TrainingConfig {

    private final double learningRate;
    private final double weightDecay;
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final int warmupSteps;
    private final int totalSteps;
    private final int epochs;
    private final LrSchedule schedule;
    private final double minLrRatio;
    private final double maxGradNorm;
    private final int batchSize;
    private final int gradientAccumulation;
    private final int maxLength;
    private final long padTokenId;
    private final long seed;
    private final int checkpointEvery;
    private final int keepCheckpoints;
    private final int logEvery;

    private TrainingConfig(Builder b) {
        learningRate = b.learningRate;
        weightDecay = b.weightDecay;
        beta1 = b.beta1;
        beta2 = b.beta2;
        epsilon = b.epsilon;
        warmupSteps = b.warmupSteps;
        totalSteps = b.totalSteps;
        epochs = b.epochs;
        schedule = b.schedule;
        minLrRatio = b.minLrRatio;
        maxGradNorm = b.maxGradNorm;
        batchSize = b.batchSize;
        gradientAccumulation = b.gradientAccumulation;
        maxLength = b.maxLength;
        padTokenId = b.padTokenId;
        seed = b.seed;
        checkpointEvery = b.checkpointEvery;
        keepCheckpoints = b.keepCheckpoints;
        logEvery = b.logEvery;
    }

    /**
     * Starts a configuration with the defaults: lr 2e-4, no weight decay, betas 0.9/0.999, epsilon
     * 1e-8, no warm-up, 1 epoch, cosine schedule, clipping at 1, batch 8, no accumulation, whole
     * examples, pad token 0, seed 0, a checkpoint only at the end (2 kept), a log line every 10 steps.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder holding this configuration's values, to derive a variant (another seed, step count...).
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.learningRate = learningRate;
        b.weightDecay = weightDecay;
        b.beta1 = beta1;
        b.beta2 = beta2;
        b.epsilon = epsilon;
        b.warmupSteps = warmupSteps;
        b.totalSteps = totalSteps;
        b.epochs = epochs;
        b.schedule = schedule;
        b.minLrRatio = minLrRatio;
        b.maxGradNorm = maxGradNorm;
        b.batchSize = batchSize;
        b.gradientAccumulation = gradientAccumulation;
        b.maxLength = maxLength;
        b.padTokenId = padTokenId;
        b.seed = seed;
        b.checkpointEvery = checkpointEvery;
        b.keepCheckpoints = keepCheckpoints;
        b.logEvery = logEvery;
        return b;
    }

    /**
     * The learning rate.
     *
     * @return the learning rate
     */
    public double learningRate() {
        return learningRate;
    }

    /**
     * The weight decay.
     *
     * @return the weight decay
     */
    public double weightDecay() {
        return weightDecay;
    }

    /**
     * The beta1.
     *
     * @return the beta1
     */
    public double beta1() {
        return beta1;
    }

    /**
     * The beta2.
     *
     * @return the beta2
     */
    public double beta2() {
        return beta2;
    }

    /**
     * The epsilon.
     *
     * @return the epsilon
     */
    public double epsilon() {
        return epsilon;
    }

    /**
     * The warmup steps.
     *
     * @return the warmup steps
     */
    public int warmupSteps() {
        return warmupSteps;
    }

    /**
     * The number of optimizer steps, or 0 to derive it from {@link #epochs()}.
     *
     * @return the total steps
     */
    public int totalSteps() {
        return totalSteps;
    }

    /**
     * The epochs.
     *
     * @return the epochs
     */
    public int epochs() {
        return epochs;
    }

    /**
     * The schedule.
     *
     * @return the schedule
     */
    public LrSchedule schedule() {
        return schedule;
    }

    /**
     * The min lr ratio.
     *
     * @return the min lr ratio
     */
    public double minLrRatio() {
        return minLrRatio;
    }

    /**
     * The gradient-norm clipping threshold; 0 turns clipping off.
     *
     * @return the max grad norm
     */
    public double maxGradNorm() {
        return maxGradNorm;
    }

    /**
     * The batch size.
     *
     * @return the batch size
     */
    public int batchSize() {
        return batchSize;
    }

    /**
     * Micro-batches per optimizer step.
     *
     * @return the gradient accumulation
     */
    public int gradientAccumulation() {
        return gradientAccumulation;
    }

    /**
     * Examples are cut to this many tokens; 0 keeps them whole.
     *
     * @return the max length
     */
    public int maxLength() {
        return maxLength;
    }

    /**
     * The pad token id.
     *
     * @return the pad token id
     */
    public long padTokenId() {
        return padTokenId;
    }

    /**
     * The seed.
     *
     * @return the seed
     */
    public long seed() {
        return seed;
    }

    /**
     * Steps between checkpoints; 0 writes one only at the end (or when stopped).
     *
     * @return the checkpoint every
     */
    public int checkpointEvery() {
        return checkpointEvery;
    }

    /**
     * The keep checkpoints.
     *
     * @return the keep checkpoints
     */
    public int keepCheckpoints() {
        return keepCheckpoints;
    }

    /**
     * The log every.
     *
     * @return the log every
     */
    public int logEvery() {
        return logEvery;
    }

    /**
     * The values as ordered strings, for provenance.
     *
     * @return the values by name, in a fixed order
     */
    public Map<String, String> asMap() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("learningRate", Double.toString(learningRate));
        m.put("weightDecay", Double.toString(weightDecay));
        m.put("beta1", Double.toString(beta1));
        m.put("beta2", Double.toString(beta2));
        m.put("epsilon", Double.toString(epsilon));
        m.put("warmupSteps", Integer.toString(warmupSteps));
        m.put("totalSteps", Integer.toString(totalSteps));
        m.put("epochs", Integer.toString(epochs));
        m.put("schedule", schedule.name());
        m.put("minLrRatio", Double.toString(minLrRatio));
        m.put("maxGradNorm", Double.toString(maxGradNorm));
        m.put("batchSize", Integer.toString(batchSize));
        m.put("gradientAccumulation", Integer.toString(gradientAccumulation));
        m.put("maxLength", Integer.toString(maxLength));
        m.put("padTokenId", Long.toString(padTokenId));
        m.put("seed", Long.toString(seed));
        return m;
    }

    @Override
    public String toString() {
        return "TrainingConfig" + asMap();
    }

    /** Builds a {@link TrainingConfig}; each value is checked as it is set. */
    public static final class Builder {
        private double learningRate = 2e-4;
        private double weightDecay = 0.0;
        private double beta1 = 0.9;
        private double beta2 = 0.999;
        private double epsilon = 1e-8;
        private int warmupSteps;
        private int totalSteps;
        private int epochs = 1;
        private LrSchedule schedule = LrSchedule.COSINE;
        private double minLrRatio;
        private double maxGradNorm = 1.0;
        private int batchSize = 8;
        private int gradientAccumulation = 1;
        private int maxLength;
        private long padTokenId;
        private long seed;
        private int checkpointEvery;
        private int keepCheckpoints = 2;
        private int logEvery = 10;

        private Builder() {
        }

        /**
         * Sets the learning rate.
         *
         * @param v the learning rate
         * @return this builder
         */
        public Builder learningRate(double v) {
            learningRate = Preconditions.checkPositive(v, "learningRate");
            return this;
        }

        /**
         * Sets the weight decay.
         *
         * @param v the weight decay
         * @return this builder
         */
        public Builder weightDecay(double v) {
            weightDecay = Preconditions.checkNonNegative(v, "weightDecay");
            return this;
        }

        /**
         * Sets the betas.
         *
         * @param b1 AdamW's first-moment decay, in [0, 1)
         * @param b2 AdamW's second-moment decay, in [0, 1)
         * @return this builder
         */
        public Builder betas(double b1, double b2) {
            Preconditions.checkArgument(b1 >= 0 && b1 < 1, "beta1 must be in [0, 1), was " + b1);
            Preconditions.checkArgument(b2 >= 0 && b2 < 1, "beta2 must be in [0, 1), was " + b2);
            beta1 = b1;
            beta2 = b2;
            return this;
        }

        /**
         * Sets the epsilon.
         *
         * @param v the epsilon
         * @return this builder
         */
        public Builder epsilon(double v) {
            epsilon = Preconditions.checkPositive(v, "epsilon");
            return this;
        }

        /**
         * Sets the warmup steps.
         *
         * @param v the warmup steps
         * @return this builder
         */
        public Builder warmupSteps(int v) {
            warmupSteps = Preconditions.checkNonNegative(v, "warmupSteps");
            return this;
        }

        /**
         * Sets the total steps.
         *
         * @param v the total steps
         * @return this builder
         */
        public Builder totalSteps(int v) {
            totalSteps = Preconditions.checkPositive(v, "totalSteps");
            return this;
        }

        /**
         * Sets the epochs.
         *
         * @param v the epochs
         * @return this builder
         */
        public Builder epochs(int v) {
            epochs = Preconditions.checkPositive(v, "epochs");
            return this;
        }

        /**
         * Sets the schedule.
         *
         * @param v the schedule
         * @return this builder
         */
        public Builder schedule(LrSchedule v) {
            schedule = Preconditions.notNull(v, "schedule");
            return this;
        }

        /**
         * Sets the min lr ratio.
         *
         * @param v the min lr ratio
         * @return this builder
         */
        public Builder minLrRatio(double v) {
            minLrRatio = Preconditions.checkInRange(v, 0, 1, "minLrRatio");
            return this;
        }

        /**
         * Sets the max grad norm.
         *
         * @param v the max grad norm
         * @return this builder
         */
        public Builder maxGradNorm(double v) {
            maxGradNorm = Preconditions.checkNonNegative(v, "maxGradNorm");
            return this;
        }

        /**
         * Sets the batch size.
         *
         * @param v the batch size
         * @return this builder
         */
        public Builder batchSize(int v) {
            batchSize = Preconditions.checkPositive(v, "batchSize");
            return this;
        }

        /**
         * Sets the gradient accumulation.
         *
         * @param v the gradient accumulation
         * @return this builder
         */
        public Builder gradientAccumulation(int v) {
            gradientAccumulation = Preconditions.checkPositive(v, "gradientAccumulation");
            return this;
        }

        /**
         * Sets the max length.
         *
         * @param v the max length
         * @return this builder
         */
        public Builder maxLength(int v) {
            maxLength = Preconditions.checkNonNegative(v, "maxLength");
            Preconditions.checkArgument(v == 0 || v >= 2, "maxLength must be 0 or >= 2, was " + v);
            return this;
        }

        /**
         * Sets the pad token id.
         *
         * @param v the pad token id
         * @return this builder
         */
        public Builder padTokenId(long v) {
            Preconditions.checkArgument(v >= 0, "padTokenId must be >= 0, was " + v);
            padTokenId = v;
            return this;
        }

        /**
         * Sets the seed.
         *
         * @param v the seed
         * @return this builder
         */
        public Builder seed(long v) {
            seed = v;
            return this;
        }

        /**
         * Sets the checkpoint every.
         *
         * @param v the checkpoint every
         * @return this builder
         */
        public Builder checkpointEvery(int v) {
            checkpointEvery = Preconditions.checkNonNegative(v, "checkpointEvery");
            return this;
        }

        /**
         * Sets the keep checkpoints.
         *
         * @param v the keep checkpoints
         * @return this builder
         */
        public Builder keepCheckpoints(int v) {
            keepCheckpoints = Preconditions.checkPositive(v, "keepCheckpoints");
            return this;
        }

        /**
         * Sets the log every.
         *
         * @param v the log every
         * @return this builder
         */
        public Builder logEvery(int v) {
            logEvery = Preconditions.checkPositive(v, "logEvery");
            return this;
        }

        /**
         * Builds the value, checking the settings together.
         *
         * @return the immutable result
         */
        public TrainingConfig build() {
            Preconditions.checkArgument(totalSteps == 0 || warmupSteps <= totalSteps,
                    "warmupSteps (" + warmupSteps + ") must not exceed totalSteps (" + totalSteps + ")");
            return new TrainingConfig(this);
        }
    }
}
