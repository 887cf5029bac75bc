package dev.keel.core.lm.train;

import dev.keel.core.internal.Gradients;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.Provenance;
import dev.keel.core.lm.CausalLm;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.internal.LmLoss;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Trains the given parameters of a {@link CausalLm} ({@link LlamaModel} or RWKV) (a LoRA adapter's, or the base weights after
 * {@link CausalLm#setBaseTrainable}) on {@link TrainingExample}s with AdamW, a warm-up +
 * cosine/linear schedule, gradient clipping and accumulation over right-padded batches, and a loss
 * over target (response) tokens only.
 *
 * <p>Everything random derives from the seed: the batch order of each epoch and the dropout of each
 * micro-batch, so a run resumed from a checkpoint continues the same loss curve. Checkpoints
 * ({@code step-NNNNNN/} under the checkpoint directory, plus a {@code latest} pointer) are written
 * to a temporary directory and renamed into place. A NaN or infinite loss or gradient stops the run
 * before the update, with the last good checkpoint kept.
 *
 * <p>A resume is refused when the run's settings differ from the checkpoint's: every value of
 * {@link TrainingConfig#asMap()} (learning rate, schedule, steps, batch, seed, ...) and every
 * {@linkplain Builder#runSettings caller setting} (e.g. the optimizer, the LoRA rank, a hash of the
 * data) is compared, and the {@link IllegalArgumentException} names each differing field with both
 * values, unless {@link Builder#allowConfigChange(boolean)} is set (then the differences are logged
 * as a warning and the run continues with the new settings).
 *
 * <p>Dropout is seeded per micro-batch through {@code Engine.setRandomSeed}, which reseeds the
 * engine-wide generator; DJL's PyTorch engine allows one gradient collector at a time, so a
 * {@link StepStrategy} must not open its own around {@link GradientPass#run()}.
 *
 * <pre>{@code
 * try (LmTrainer trainer = LmTrainer.builder().model(model).parameters(lora.parameters())
 *         .config(TrainingConfig.builder().totalSteps(100).build()).checkpointDir(dir).build()) {
 *     TrainingResult r = trainer.fit(examples);
 * }
 * }</pre>
 */
public final class LmTrainer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LmTrainer.class);

    /** Writes extra files (e.g. the adapter in PEFT layout) into a checkpoint directory being made. */
    @FunctionalInterface
    public interface CheckpointExtras {
        /**
         * The write.
         *
         * @param dir the directory
         * @throws IOException if a file cannot be read or written
         */
        void write(Path dir) throws IOException;
    }

    private final CausalLm model;
    private final Map<String, Parameter> params;
    private final TrainingConfig config;
    private final Path checkpointDir;
    private final boolean resume;
    private final List<TrainingListener> listeners;
    private final StepStrategy strategy;
    private final CheckpointExtras extras;
    private final AdamW optimizer;
    private final Map<String, String> runSettings;
    private final boolean allowConfigChange;
    private volatile boolean stopRequested;
    private boolean closed;

    private LmTrainer(Builder b) {
        this.model = b.model;
        this.params = new LinkedHashMap<>(b.params);
        this.config = b.config;
        this.checkpointDir = b.checkpointDir;
        this.resume = b.resume;
        this.listeners = List.copyOf(b.listeners);
        this.strategy = b.strategy;
        this.extras = b.extras;
        this.runSettings = new LinkedHashMap<>(b.runSettings);
        this.allowConfigChange = b.allowConfigChange;
        this.optimizer = new AdamW(params, config.beta1(), config.beta2(), config.epsilon(), config.weightDecay(),
                model.manager());
    }

    /**
     * Starts a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Asks the run to end after the current step (writing a checkpoint if a directory is set). */
    public void requestStop() {
        stopRequested = true;
    }

    /**
     * The optimizer, e.g. for an optimizer wrapper that needs its state.
     *
     * @return the optimizer
     */
    public AdamW optimizer() {
        return optimizer;
    }

    /**
     * Trains on {@code examples}, resuming from the latest checkpoint if there is one and resume is on.
     *
     * @param examples the training examples
     * @return how the run ended, with its losses and provenance
     * @throws IOException if a file cannot be read or written
     * @throws IllegalArgumentException if the latest checkpoint was written with other settings (naming each
     *                                  differing field and both values) and config changes are not allowed
     */
    public TrainingResult fit(List<TrainingExample> examples) throws IOException {
        Preconditions.checkState(!closed, "LmTrainer is closed");
        Preconditions.notEmpty(examples, "examples");
        List<TrainingExample> data = new ArrayList<>(examples.size());
        int maxPos = model.contextLength();
        int maxLen = config.maxLength() > 0 ? Math.min(config.maxLength(), maxPos) : maxPos;
        for (TrainingExample e : examples) {
            data.add(e.truncate(maxLen));
        }
        int batchesPerEpoch = (data.size() + config.batchSize() - 1) / config.batchSize();
        int totalSteps = config.totalSteps() > 0 ? config.totalSteps()
                : Math.max(1, (config.epochs() * batchesPerEpoch + config.gradientAccumulation() - 1)
                / config.gradientAccumulation());
        List<Float> losses = new ArrayList<>();
        int step = 0;
        Path lastCheckpoint = null;
        Checkpoints checkpoints = checkpointDir == null ? null : new Checkpoints(checkpointDir, config.keepCheckpoints());
        if (resume && checkpoints != null) {
            lastCheckpoint = checkpoints.latest().orElse(null);
            if (lastCheckpoint != null) {
                checkSettings(lastCheckpoint);
                step = Checkpoints.restore(lastCheckpoint, params, optimizer, losses);
                LOG.info("resumed from {} at step {}", lastCheckpoint, step);
            }
        }
        Batches batches = new Batches(data, config.batchSize(), config.seed());
        Provenance provenance = Provenance.of(model.toString(), config.asMap(), config.seed());
        long started = System.nanoTime();
        long tokens = 0;
        int stepsThisRun = 0;
        TrainingResult result = null;
        while (step < totalSteps) {
            final int s = step;
            List<List<TrainingExample>> micro = new ArrayList<>();
            for (int k = 0; k < config.gradientAccumulation(); k++) {
                micro.add(batches.batch((long) s * config.gradientAccumulation() + k));
            }
            long targetTokens = 0;
            for (List<TrainingExample> mb : micro) {
                for (TrainingExample e : mb) {
                    targetTokens += e.targetCount();
                }
            }
            final long n = targetTokens;
            int[] pass = {0};
            GradientPass gradientPass = () -> runPass(micro, n, s, pass[0]++);
            float loss = n == 0 ? 0f : strategy.computeGradients(gradientPass, params);
            double norm = Gradients.globalNorm(params.values());
            if (!Float.isFinite(loss) || !Double.isFinite(norm)) {
                String msg = String.format(Locale.ROOT, "%s at step %d (loss %s, gradient norm %s); stopped before the "
                                + "update, last good checkpoint: %s", !Float.isFinite(loss) ? "loss is not finite"
                                : "gradient is not finite", s + 1, loss, norm,
                        lastCheckpoint == null ? "none" : lastCheckpoint);
                LOG.error(msg);
                Gradients.zero(params.values());
                result = new TrainingResult(TrainingResult.Status.DIVERGED, step, losses, lastCheckpoint, msg, provenance);
                break;
            }
            if (config.maxGradNorm() > 0 && norm > config.maxGradNorm()) {
                Gradients.scale(params.values(), (float) (config.maxGradNorm() / (norm + 1e-6)));
            }
            double lr = config.schedule().rate(config.learningRate(), s, config.warmupSteps(), totalSteps,
                    config.minLrRatio());
            optimizer.step(lr);
            Gradients.zero(params.values());
            step++;
            stepsThisRun++;
            losses.add(loss);
            tokens += n;
            double seconds = (System.nanoTime() - started) / 1e9;
            Duration eta = Duration.ofMillis((long) (seconds / stepsThisRun * (totalSteps - step) * 1000));
            int epoch = (int) (((long) step * config.gradientAccumulation() - 1) / batchesPerEpoch);
            TrainingListener.Progress progress = new TrainingListener.Progress(step, totalSteps, epoch, loss, lr, norm,
                    tokens / Math.max(seconds, 1e-9), eta);
            if (step % config.logEvery() == 0 || step == totalSteps) {
                LOG.info(String.format(Locale.ROOT, "step %d/%d epoch %d loss %.4f lr %.3g grad-norm %.3g %.0f tok/s ETA %s",
                        step, totalSteps, epoch, loss, lr, norm, progress.tokensPerSecond(), eta));
            }
            for (TrainingListener l : listeners) {
                l.onStep(progress);
            }
            boolean stop = stopRequested && step < totalSteps;
            boolean due = checkpoints != null && (step == totalSteps || stop
                    || (config.checkpointEvery() > 0 && step % config.checkpointEvery() == 0));
            if (due) {
                lastCheckpoint = writeCheckpoint(checkpoints, step, losses);
            }
            if (stop) {
                stopRequested = false;
                result = new TrainingResult(TrainingResult.Status.STOPPED, step, losses, lastCheckpoint,
                        "stopped at step " + step + " of " + totalSteps, provenance);
                break;
            }
        }
        if (result == null) {
            result = new TrainingResult(TrainingResult.Status.COMPLETED, step, losses, lastCheckpoint,
                    "completed " + step + " steps", provenance);
        }
        for (TrainingListener l : listeners) {
            l.onEnd(result);
        }
        return result;
    }

    /** Zeroes the gradients, then forward/backward over every micro-batch, weighting by target tokens. */
    private float runPass(List<List<TrainingExample>> micro, long targetTokens, int step, int pass) {
        Gradients.zero(params.values());
        double total = 0;
        for (int k = 0; k < micro.size(); k++) {
            List<TrainingExample> batch = micro.get(k);
            if (batch.isEmpty()) {
                continue;
            }
            long dropoutSeed = new SplittableRandom(config.seed() * 1_000_003L + step * 131L + k * 7L + pass).nextLong();
            Engine.getInstance().setRandomSeed((int) (dropoutSeed ^ (dropoutSeed >>> 32)));
            try (NDManager sm = model.manager().newSubManager()) {
                NDArray[] arrays = collate(sm, batch, config.padTokenId());
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray logits = model.forward(arrays[0], arrays[1], null, true);
                    NDArray sum = LmLoss.sum(logits, arrays[0], arrays[2]);
                    NDArray scaled = sum.div(sm.create((float) targetTokens));
                    gc.backward(scaled);
                    total += sum.getFloat();
                }
            }
        }
        return (float) (total / targetTokens);
    }

    /**
     * Right-pads a batch: input ids, attention mask and label mask, each {@code [B, L]}.
     *
     * @param manager the manager that owns the arrays
     * @param batch the examples of the batch
     * @param padTokenId the pad token id
     * @return input ids, label mask and attention mask, each [batch, longest length]
     */
    public static NDArray[] collate(NDManager manager, List<TrainingExample> batch, long padTokenId) {
        Preconditions.notEmpty(batch, "batch");
        int len = 0;
        for (TrainingExample e : batch) {
            len = Math.max(len, e.length());
        }
        long[] ids = new long[batch.size() * len];
        float[] attention = new float[ids.length];
        float[] labels = new float[ids.length];
        java.util.Arrays.fill(ids, padTokenId);
        for (int b = 0; b < batch.size(); b++) {
            long[] x = batch.get(b).inputIds();
            boolean[] m = batch.get(b).labelMask();
            for (int t = 0; t < x.length; t++) {
                ids[b * len + t] = x[t];
                attention[b * len + t] = 1;
                labels[b * len + t] = m[t] && t > 0 ? 1 : 0;
            }
        }
        Shape shape = new Shape(batch.size(), len);
        return new NDArray[] {manager.create(ids, shape), manager.create(attention, shape), manager.create(labels, shape)};
    }

    /** Deterministic batches: micro-batch {@code i} comes from epoch {@code i / batchesPerEpoch}'s permutation. */
    private static final class Batches {
        private final List<TrainingExample> data;
        private final int batchSize;
        private final long seed;
        private final int perEpoch;
        private int cachedEpoch = -1;
        private int[] order;

        Batches(List<TrainingExample> data, int batchSize, long seed) {
            this.data = data;
            this.batchSize = batchSize;
            this.seed = seed;
            this.perEpoch = (data.size() + batchSize - 1) / batchSize;
        }

        List<TrainingExample> batch(long index) {
            int epoch = (int) (index / perEpoch);
            int within = (int) (index % perEpoch);
            if (epoch != cachedEpoch) {
                order = new int[data.size()];
                for (int i = 0; i < order.length; i++) {
                    order[i] = i;
                }
                SplittableRandom r = new SplittableRandom(seed * 31L + epoch);
                for (int i = order.length - 1; i > 0; i--) {
                    int j = r.nextInt(i + 1);
                    int t = order[i];
                    order[i] = order[j];
                    order[j] = t;
                }
                cachedEpoch = epoch;
            }
            List<TrainingExample> out = new ArrayList<>(batchSize);
            for (int i = within * batchSize; i < Math.min(data.size(), (within + 1) * batchSize); i++) {
                out.add(data.get(order[i]));
            }
            return out;
        }
    }

    /** The settings a checkpoint records and a resume compares: the configuration, then the caller's. */
    private Map<String, String> settings() {
        Map<String, String> m = new LinkedHashMap<>(config.asMap());
        m.putAll(runSettings);
        return m;
    }

    /** Refuses (or, when allowed, logs) every setting that differs from the checkpoint's. */
    private void checkSettings(Path checkpoint) throws IOException {
        Map<String, String> saved = Checkpoints.settings(checkpoint);
        Map<String, String> now = settings();
        List<String> diffs = new ArrayList<>();
        java.util.Set<String> names = new java.util.LinkedHashSet<>(saved.keySet());
        names.addAll(now.keySet());
        for (String name : names) {
            String a = saved.get(name);
            String b = now.get(name);
            if (!java.util.Objects.equals(a, b)) {
                diffs.add(name + ": checkpoint " + (a == null ? "(not set)" : a) + ", now " + (b == null ? "(not set)" : b));
            }
        }
        if (diffs.isEmpty()) {
            return;
        }
        String msg = "the run's configuration differs from that of checkpoint " + checkpoint + ": " + String.join("; ", diffs);
        if (!allowConfigChange) {
            throw new IllegalArgumentException("cannot resume: " + msg
                    + " (resume with the same settings, or allow the change explicitly)");
        }
        LOG.warn("resuming although {}", msg);
    }

    private Path writeCheckpoint(Checkpoints checkpoints, int step, List<Float> losses) throws IOException {
        Path target = checkpoints.write(step, params, optimizer, losses,
                Provenance.of(model.toString(), config.asMap(), config.seed()), settings(), extras);
        for (TrainingListener lis : listeners) {
            lis.onCheckpoint(step, target);
        }
        LOG.info("checkpoint {}", target);
        return target;
    }

    /** Frees the optimizer state; idempotent. The model and its parameters stay the caller's. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        optimizer.close();
    }

    /** Builds an {@link LmTrainer}. */
    public static final class Builder {
        private CausalLm model;
        private Map<String, Parameter> params;
        private TrainingConfig config = TrainingConfig.builder().build();
        private Path checkpointDir;
        private boolean resume = true;
        private final List<TrainingListener> listeners = new ArrayList<>();
        private StepStrategy strategy = StepStrategy.standard();
        private CheckpointExtras extras;
        private final Map<String, String> runSettings = new LinkedHashMap<>();
        private boolean allowConfigChange;

        private Builder() {
        }

        /**
         * Settings of the run beyond the {@link TrainingConfig} (e.g. the optimizer, the LoRA rank, a
         * hash of the training data), recorded in each checkpoint and compared on resume. Names must
         * not clash with those of {@link TrainingConfig#asMap()}.
         *
         * @param settings the settings, by name; added to those given before
         * @return this builder
         * @throws IllegalArgumentException if {@code settings} is null, holds a null name or value, or a
         *                                  name of the training configuration
         */
        public Builder runSettings(Map<String, String> settings) {
            Preconditions.notNull(settings, "settings");
            java.util.Set<String> reserved = TrainingConfig.builder().build().asMap().keySet();
            for (Map.Entry<String, String> e : settings.entrySet()) {
                Preconditions.checkArgument(e.getKey() != null && e.getValue() != null,
                        "run settings must not hold null names or values, was " + e.getKey() + "=" + e.getValue());
                Preconditions.checkArgument(!reserved.contains(e.getKey()),
                        "run setting \"" + e.getKey() + "\" is a TrainingConfig field; set it on the config");
                runSettings.put(e.getKey(), e.getValue());
            }
            return this;
        }

        /**
         * Whether a resume may continue with settings that differ from the checkpoint's (default
         * false: {@link LmTrainer#fit} refuses, naming each difference).
         *
         * @param allow whether to allow a changed configuration
         * @return this builder
         */
        public Builder allowConfigChange(boolean allow) {
            this.allowConfigChange = allow;
            return this;
        }

        /**
         * Sets the model.
         *
         * @param model the model
         * @return this builder
         */
        public Builder model(CausalLm model) {
            this.model = Preconditions.notNull(model, "model");
            return this;
        }

        /**
         * The parameters to train, by name; each must take gradients.
         *
         * @param params the parameters, by name
         * @return this builder
         */
        public Builder parameters(Map<String, Parameter> params) {
            Preconditions.notNull(params, "parameters");
            Preconditions.checkArgument(!params.isEmpty(), "parameters must not be empty");
            for (Map.Entry<String, Parameter> e : params.entrySet()) {
                Preconditions.checkArgument(e.getValue().getArray().hasGradient(),
                        "parameter \"" + e.getKey() + "\" does not take gradients (frozen?)");
            }
            this.params = params;
            return this;
        }

        /**
         * Sets the config.
         *
         * @param config the configuration
         * @return this builder
         */
        public Builder config(TrainingConfig config) {
            this.config = Preconditions.notNull(config, "config");
            return this;
        }

        /**
         * Where checkpoints go; {@code null} for none.
         *
         * @param dir the directory
         * @return this builder
         */
        public Builder checkpointDir(Path dir) {
            this.checkpointDir = dir;
            return this;
        }

        /**
         * Whether {@link #fit} resumes from the checkpoint directory's latest checkpoint (default true).
         *
         * @param resume whether to resume
         * @return this builder
         */
        public Builder resume(boolean resume) {
            this.resume = resume;
            return this;
        }

        /**
         * Sets the listener.
         *
         * @param listener told of each step, checkpoint and the end
         * @return this builder
         */
        public Builder listener(TrainingListener listener) {
            listeners.add(Preconditions.notNull(listener, "listener"));
            return this;
        }

        /**
         * Sets the step strategy.
         *
         * @param strategy how each step computes its gradients
         * @return this builder
         */
        public Builder stepStrategy(StepStrategy strategy) {
            this.strategy = Preconditions.notNull(strategy, "strategy");
            return this;
        }

        /**
         * Sets the checkpoint extras.
         *
         * @param extras writes more files into each checkpoint
         * @return this builder
         */
        public Builder checkpointExtras(CheckpointExtras extras) {
            this.extras = extras;
            return this;
        }

        /**
         * Builds the value, checking the settings together.
         *
         * @return the immutable result
         */
        public LmTrainer build() {
            Preconditions.checkState(model != null, "model must be set");
            Preconditions.checkState(params != null, "parameters must be set");
            return new LmTrainer(this);
        }
    }
}
