package dev.keel.sam;

import ai.djl.nn.Parameter;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.chat.ChatRecord;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.generate.ChatTemplate;
import dev.keel.core.lm.generate.LmTokenizer;
import dev.keel.core.lm.lora.LoraAdapter;
import dev.keel.core.lm.lora.LoraConfig;
import dev.keel.core.lm.train.ChatExamples;
import dev.keel.core.lm.train.LmTrainer;
import dev.keel.core.lm.train.LrSchedule;
import dev.keel.core.lm.train.StepStrategy;
import dev.keel.core.lm.train.TrainingConfig;
import dev.keel.core.lm.train.TrainingExample;
import dev.keel.core.lm.train.TrainingListener;
import dev.keel.core.lm.train.TrainingResult;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * LoRA fine-tuning with or without SAM, on Keel's training loop ({@link LmTrainer}: AdamW, warm-up
 * and decay, clipping, checkpoints), where SAM is the trainer's {@link StepStrategy} and the
 * trainer's AdamW its base optimizer. {@link #fit()} attaches a new adapter to the model and returns
 * it with the run's metrics; the caller saves and closes the adapter.
 *
 * <pre>{@code
 * FineTuneResult r = LoraFineTuner.builder().model(model).data(examples)
 *         .lora(8, 16, "q_proj", "v_proj").sam(0.05).epochs(3).learningRate(2e-4).seed(42).build().fit();
 * try (LoraAdapter adapter = r.adapter()) {
 *     adapter.save(Path.of("adapter"));
 * }
 * }</pre>
 */
public final class LoraFineTuner {

    private final LlamaModel model;
    private final List<TrainingExample> data;
    private final LoraConfig lora;
    private final Sam.Builder sam;
    private final boolean trainBase;
    private final TrainingConfig config;
    private final Path checkpointDir;
    private final List<TrainingListener> listeners;

    private LoraFineTuner(Builder b) {
        this.model = b.model;
        this.data = List.copyOf(b.data);
        this.lora = b.lora;
        this.sam = b.sam;
        this.trainBase = b.trainBase;
        TrainingConfig.Builder c = TrainingConfig.builder().learningRate(b.learningRate).epochs(b.epochs)
                .batchSize(b.batchSize).seed(b.seed).warmupSteps(b.warmupSteps).maxGradNorm(b.maxGradNorm)
                .schedule(b.schedule).weightDecay(b.weightDecay).logEvery(b.logEvery);
        if (b.totalSteps > 0) {
            c.totalSteps(b.totalSteps);
        }
        if (b.maxLength > 0) {
            c.maxLength(b.maxLength);
        }
        this.config = c.build();
        this.checkpointDir = b.checkpointDir;
        this.listeners = List.copyOf(b.listeners);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The training configuration the run uses. */
    public TrainingConfig trainingConfig() {
        return config;
    }

    /** Attaches a new adapter (seeded), trains it and returns it with the metrics history. */
    public FineTuneResult fit() throws IOException {
        LoraAdapter adapter = LoraAdapter.create(model, lora, config.seed());
        boolean ok = false;
        Sam strategy = sam == null ? null : sam.build();
        boolean baseWasTrainable = model.isBaseTrainable();
        try {
            Map<String, Parameter> params = new LinkedHashMap<>(adapter.parameters());
            if (trainBase) {
                model.setBaseTrainable(true);
                params.putAll(model.parameters());
            }
            List<FineTuneResult.StepMetrics> history = new ArrayList<>();
            TrainingListener recorder = new TrainingListener() {
                @Override
                public void onStep(Progress p) {
                    Sam.StepStats s = strategy == null ? null : strategy.lastStats();
                    history.add(new FineTuneResult.StepMetrics(p.step(), p.loss(), s == null ? Float.NaN : s.perturbedLoss(),
                            p.gradNorm(), s == null ? 0 : s.epsilonNorm(), p.learningRate(), s == null ? 1 : s.passes()));
                }
            };
            LmTrainer.Builder tb = LmTrainer.builder().model(model).parameters(params).config(config)
                    .checkpointDir(checkpointDir).listener(recorder)
                    .stepStrategy(strategy == null ? StepStrategy.standard() : strategy);
            if (checkpointDir != null) {
                tb.checkpointExtras(adapter::save);
            }
            listeners.forEach(tb::listener);
            long started = System.nanoTime();
            TrainingResult result;
            try (LmTrainer trainer = tb.build()) {
                result = trainer.fit(data);
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            long passes = strategy == null ? result.steps() : strategy.gradientPasses();
            FineTuneResult out = new FineTuneResult(adapter, result, history,
                    strategy == null ? "adamw" : strategy.describe() + "+adamw", passes, seconds);
            ok = true;
            return out;
        } finally {
            if (strategy != null) {
                strategy.close();
            }
            if (trainBase && !baseWasTrainable) {
                model.setBaseTrainable(false);
            }
            if (!ok) {
                adapter.close();
            }
        }
    }

    /** Builds a {@link LoraFineTuner}; defaults: r 8, alpha 16, q_proj and v_proj, no SAM, 1 epoch, lr 2e-4, batch 8, seed 0. */
    public static final class Builder {
        private LlamaModel model;
        private List<TrainingExample> data;
        private LoraConfig lora = LoraConfig.builder().rank(8).alpha(16).targetModules("q_proj", "v_proj").build();
        private Sam.Builder sam;
        private Sam.Scope scope = Sam.Scope.LORA;
        private boolean trainBase;
        private int epochs = 1;
        private int totalSteps;
        private double learningRate = 2e-4;
        private int batchSize = 8;
        private long seed;
        private int warmupSteps;
        private double maxGradNorm = 1.0;
        private double weightDecay;
        private LrSchedule schedule = LrSchedule.COSINE;
        private int maxLength;
        private int logEvery = 10;
        private Path checkpointDir;
        private final List<TrainingListener> listeners = new ArrayList<>();

        private Builder() {
        }

        public Builder model(LlamaModel model) {
            this.model = Preconditions.notNull(model, "model");
            return this;
        }

        /** Tokenised examples. */
        public Builder data(List<TrainingExample> examples) {
            Preconditions.notEmpty(examples, "data");
            this.data = examples;
            return this;
        }

        /** Chat records, encoded with {@code template} and {@code tokenizer}; the final assistant reply is the target. */
        public Builder data(List<ChatRecord> records, LmTokenizer tokenizer, ChatTemplate template) {
            Preconditions.notEmpty(records, "data");
            Preconditions.checkState(model != null, "set the model before chat data (its eos token id is needed)");
            return data(ChatExamples.encodeAll(records, tokenizer, template, model.config().eosTokenId()));
        }

        /** Rank {@code r}, {@code lora_alpha} and target modules (none: q_proj and v_proj). */
        public Builder lora(int r, double alpha, String... targets) {
            LoraConfig.Builder b = LoraConfig.builder().rank(r).alpha(alpha);
            b.targetModules(targets == null || targets.length == 0 ? new String[] {"q_proj", "v_proj"} : targets);
            this.lora = b.build();
            return this;
        }

        /** A full LoRA configuration. */
        public Builder lora(LoraConfig config) {
            this.lora = Preconditions.notNull(config, "lora");
            return this;
        }

        /** Plain SAM with radius {@code rho}. */
        public Builder sam(double rho) {
            this.sam = Sam.builder().rho(rho).scope(scope);
            return this;
        }

        /** ASAM with radius {@code rho} and {@code T = |w| + eta}. */
        public Builder asam(double rho, double eta) {
            this.sam = Sam.builder().rho(rho).asam(eta).scope(scope);
            return this;
        }

        /** LookSAM: ascent every {@code k} steps, reuse weight {@code alpha}. */
        public Builder lookSam(double rho, int k, double alpha) {
            this.sam = Sam.builder().rho(rho).lookSam(k, alpha).scope(scope);
            return this;
        }

        /** No SAM (the default). */
        public Builder noSam() {
            this.sam = null;
            return this;
        }

        /** Which trainable parameters SAM perturbs (default LoRA only). */
        public Builder samScope(Sam.Scope scope) {
            this.scope = Preconditions.notNull(scope, "scope");
            if (sam != null) {
                sam.scope(scope);
            }
            return this;
        }

        /** Also train the base weights (default false: LoRA only). */
        public Builder trainBaseWeights(boolean train) {
            this.trainBase = train;
            return this;
        }

        public Builder epochs(int epochs) {
            Preconditions.checkArgument(epochs > 0, "epochs must be > 0, was " + epochs);
            this.epochs = epochs;
            return this;
        }

        /** Optimizer steps; overrides epochs when > 0. */
        public Builder totalSteps(int steps) {
            Preconditions.checkArgument(steps > 0, "totalSteps must be > 0, was " + steps);
            this.totalSteps = steps;
            return this;
        }

        public Builder learningRate(double lr) {
            Preconditions.checkArgument(lr > 0 && Double.isFinite(lr), "learningRate must be > 0, was " + lr);
            this.learningRate = lr;
            return this;
        }

        public Builder batchSize(int size) {
            Preconditions.checkArgument(size > 0, "batchSize must be > 0, was " + size);
            this.batchSize = size;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder warmupSteps(int steps) {
            Preconditions.checkArgument(steps >= 0, "warmupSteps must be >= 0, was " + steps);
            this.warmupSteps = steps;
            return this;
        }

        /** Gradient-norm clipping threshold; 0 turns it off (default 1). */
        public Builder maxGradNorm(double norm) {
            Preconditions.checkArgument(norm >= 0, "maxGradNorm must be >= 0, was " + norm);
            this.maxGradNorm = norm;
            return this;
        }

        public Builder weightDecay(double wd) {
            Preconditions.checkArgument(wd >= 0, "weightDecay must be >= 0, was " + wd);
            this.weightDecay = wd;
            return this;
        }

        public Builder schedule(LrSchedule schedule) {
            this.schedule = Preconditions.notNull(schedule, "schedule");
            return this;
        }

        /** Examples are cut to this many tokens; 0 keeps them whole. */
        public Builder maxLength(int tokens) {
            Preconditions.checkArgument(tokens >= 0, "maxLength must be >= 0, was " + tokens);
            this.maxLength = tokens;
            return this;
        }

        public Builder logEvery(int steps) {
            Preconditions.checkArgument(steps > 0, "logEvery must be > 0, was " + steps);
            this.logEvery = steps;
            return this;
        }

        /** Checkpoints (with the adapter in PEFT layout) go here; the run resumes from the latest. */
        public Builder checkpointDir(Path dir) {
            this.checkpointDir = dir;
            return this;
        }

        public Builder listener(TrainingListener listener) {
            listeners.add(Preconditions.notNull(listener, "listener"));
            return this;
        }

        public LoraFineTuner build() {
            Preconditions.checkState(model != null, "model must be set");
            Preconditions.checkState(data != null, "data must be set");
            return new LoraFineTuner(this);
        }
    }
}
