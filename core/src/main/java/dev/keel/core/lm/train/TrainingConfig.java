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

    public double learningRate() {
        return learningRate;
    }

    public double weightDecay() {
        return weightDecay;
    }

    public double beta1() {
        return beta1;
    }

    public double beta2() {
        return beta2;
    }

    public double epsilon() {
        return epsilon;
    }

    public int warmupSteps() {
        return warmupSteps;
    }

    /** The number of optimizer steps, or 0 to derive it from {@link #epochs()}. */
    public int totalSteps() {
        return totalSteps;
    }

    public int epochs() {
        return epochs;
    }

    public LrSchedule schedule() {
        return schedule;
    }

    public double minLrRatio() {
        return minLrRatio;
    }

    /** The gradient-norm clipping threshold; 0 turns clipping off. */
    public double maxGradNorm() {
        return maxGradNorm;
    }

    public int batchSize() {
        return batchSize;
    }

    /** Micro-batches per optimizer step. */
    public int gradientAccumulation() {
        return gradientAccumulation;
    }

    /** Examples are cut to this many tokens; 0 keeps them whole. */
    public int maxLength() {
        return maxLength;
    }

    public long padTokenId() {
        return padTokenId;
    }

    public long seed() {
        return seed;
    }

    /** Steps between checkpoints; 0 writes one only at the end (or when stopped). */
    public int checkpointEvery() {
        return checkpointEvery;
    }

    public int keepCheckpoints() {
        return keepCheckpoints;
    }

    public int logEvery() {
        return logEvery;
    }

    /** The values as ordered strings, for provenance. */
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

        public Builder learningRate(double v) {
            learningRate = Preconditions.checkPositive(v, "learningRate");
            return this;
        }

        public Builder weightDecay(double v) {
            weightDecay = Preconditions.checkNonNegative(v, "weightDecay");
            return this;
        }

        public Builder betas(double b1, double b2) {
            Preconditions.checkArgument(b1 >= 0 && b1 < 1, "beta1 must be in [0, 1), was " + b1);
            Preconditions.checkArgument(b2 >= 0 && b2 < 1, "beta2 must be in [0, 1), was " + b2);
            beta1 = b1;
            beta2 = b2;
            return this;
        }

        public Builder epsilon(double v) {
            epsilon = Preconditions.checkPositive(v, "epsilon");
            return this;
        }

        public Builder warmupSteps(int v) {
            warmupSteps = Preconditions.checkNonNegative(v, "warmupSteps");
            return this;
        }

        public Builder totalSteps(int v) {
            totalSteps = Preconditions.checkPositive(v, "totalSteps");
            return this;
        }

        public Builder epochs(int v) {
            epochs = Preconditions.checkPositive(v, "epochs");
            return this;
        }

        public Builder schedule(LrSchedule v) {
            schedule = Preconditions.notNull(v, "schedule");
            return this;
        }

        public Builder minLrRatio(double v) {
            minLrRatio = Preconditions.checkInRange(v, 0, 1, "minLrRatio");
            return this;
        }

        public Builder maxGradNorm(double v) {
            maxGradNorm = Preconditions.checkNonNegative(v, "maxGradNorm");
            return this;
        }

        public Builder batchSize(int v) {
            batchSize = Preconditions.checkPositive(v, "batchSize");
            return this;
        }

        public Builder gradientAccumulation(int v) {
            gradientAccumulation = Preconditions.checkPositive(v, "gradientAccumulation");
            return this;
        }

        public Builder maxLength(int v) {
            maxLength = Preconditions.checkNonNegative(v, "maxLength");
            Preconditions.checkArgument(v == 0 || v >= 2, "maxLength must be 0 or >= 2, was " + v);
            return this;
        }

        public Builder padTokenId(long v) {
            Preconditions.checkArgument(v >= 0, "padTokenId must be >= 0, was " + v);
            padTokenId = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public Builder checkpointEvery(int v) {
            checkpointEvery = Preconditions.checkNonNegative(v, "checkpointEvery");
            return this;
        }

        public Builder keepCheckpoints(int v) {
            keepCheckpoints = Preconditions.checkPositive(v, "keepCheckpoints");
            return this;
        }

        public Builder logEvery(int v) {
            logEvery = Preconditions.checkPositive(v, "logEvery");
            return this;
        }

        public TrainingConfig build() {
            Preconditions.checkArgument(totalSteps == 0 || warmupSteps <= totalSteps,
                    "warmupSteps (" + warmupSteps + ") must not exceed totalSteps (" + totalSteps + ")");
            return new TrainingConfig(this);
        }
    }
}
