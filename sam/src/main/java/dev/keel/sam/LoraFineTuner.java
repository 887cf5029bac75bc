package dev.keel.sam;

import ai.djl.nn.Parameter;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.chat.ChatRecord;
import dev.keel.core.lm.CausalLm;
import dev.keel.core.lm.generate.ChatTemplate;
import dev.keel.core.lm.generate.LmTokenizer;
import dev.keel.core.lm.lora.LoraAdapter;
import dev.keel.core.lm.lora.LoraConfig;
import dev.keel.core.lm.train.ChatExamples;
import dev.keel.core.lm.train.LmTrainer;
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
 * trainer's AdamW its base optimizer. It composes three settings objects rather than re-declaring
 * them: a {@link TrainingConfig} (rate, schedule, steps, batch, seed), a {@link LoraConfig} (rank,
 * alpha, targets) and one {@link OptimizerChoice}. {@link #fit()} attaches a new adapter to the model
 * and returns it with the run's metrics; the caller saves and closes the adapter.
 *
 * <pre>{@code
 * FineTuneResult r = LoraFineTuner.builder(model, examples)
 *         .training(TrainingConfig.builder().epochs(3).learningRate(2e-4).seed(42).build())
 *         .lora(LoraConfig.builder().rank(8).alpha(16).targetModules("q_proj", "v_proj").build())
 *         .optimizer(OptimizerChoice.sam(0.05)).build().fit();
 * try (LoraAdapter adapter = r.adapter()) {
 *     adapter.save(Path.of("adapter"));
 * }
 * }</pre>
 */
public final class LoraFineTuner {

    /** The LoRA configuration a builder starts with: r 8, alpha 16 on q_proj and v_proj. */
    public static final LoraConfig DEFAULT_LORA =
            LoraConfig.builder().rank(8).alpha(16).targetModules("q_proj", "v_proj").build();

    private final CausalLm model;
    private final List<TrainingExample> data;
    private final LoraConfig lora;
    private final OptimizerChoice optimizer;
    private final Sam.Scope scope;
    private final boolean trainBase;
    private final TrainingConfig config;
    private final Path checkpointDir;
    private final boolean resume;
    private final boolean allowConfigChange;
    private final Map<String, String> runSettings;
    private final List<TrainingListener> listeners;

    private LoraFineTuner(Builder b) {
        this.model = b.model;
        this.data = List.copyOf(b.data);
        this.lora = b.lora;
        this.optimizer = b.optimizer;
        this.scope = b.scope;
        this.trainBase = b.trainBase;
        this.config = b.training;
        this.checkpointDir = b.checkpointDir;
        this.resume = b.resume;
        this.allowConfigChange = b.allowConfigChange;
        this.runSettings = new LinkedHashMap<>(b.runSettings);
        this.listeners = List.copyOf(b.listeners);
    }

    /**
     * Starts a fine-tuner of {@code model} on tokenised examples.
     *
     * @param model    the model the adapter is attached to
     * @param examples the training examples, not empty
     * @return a builder with the defaults of {@link TrainingConfig}, {@link #DEFAULT_LORA} and a plain optimizer
     * @throws IllegalArgumentException if {@code model} is null or {@code examples} null or empty
     */
    public static Builder builder(CausalLm model, List<TrainingExample> examples) {
        return new Builder(model, examples);
    }

    /**
     * Starts a fine-tuner of {@code model} on chat records, encoded with {@code template} and
     * {@code tokenizer}; the final assistant reply of each is the target, followed by the model's eos
     * token unless the template {@linkplain dev.keel.core.lm.generate.ChatTemplate#endsTurnWithEos() ends turns itself}.
     *
     * @param model     the model the adapter is attached to
     * @param records   the chat records, not empty
     * @param tokenizer the model's tokenizer
     * @param template  the chat template the model reads
     * @return a builder with the defaults of {@link #builder(CausalLm, List)}
     * @throws IllegalArgumentException if an argument is null, {@code records} is empty or a record does not encode
     */
    public static Builder builder(CausalLm model, List<ChatRecord> records, LmTokenizer tokenizer,
                                  ChatTemplate template) {
        Preconditions.notNull(model, "model");
        Preconditions.notEmpty(records, "records");
        Preconditions.notNull(template, "template");
        return new Builder(model, ChatExamples.encodeAll(records, tokenizer, template,
                template.endOfReplyToken(model.eosTokenId())));
    }

    /**
     * The training configuration the run uses.
     *
     * @return the configuration
     */
    public TrainingConfig trainingConfig() {
        return config;
    }

    /**
     * The LoRA configuration of the adapter {@link #fit} attaches.
     *
     * @return the configuration
     */
    public LoraConfig loraConfig() {
        return lora;
    }

    /**
     * How each step's gradient is computed.
     *
     * @return the optimizer choice
     */
    public OptimizerChoice optimizer() {
        return optimizer;
    }

    /**
     * Attaches a new adapter (seeded with the training seed), trains it and returns it with the
     * metrics history. The model's base weights are made trainable only for the run when
     * {@link Builder#trainBaseWeights} is set.
     *
     * @return the trained adapter (the caller closes it) and the run's metrics
     * @throws IOException if a checkpoint cannot be read or written
     */
    public FineTuneResult fit() throws IOException {
        LoraAdapter adapter = LoraAdapter.create(model, lora, config.seed());
        boolean ok = false;
        Sam.Builder samBuilder = optimizer.samBuilder(scope);
        Sam strategy = samBuilder == null ? null : samBuilder.build();
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
                    .checkpointDir(checkpointDir).resume(resume).allowConfigChange(allowConfigChange)
                    .runSettings(settings()).listener(recorder)
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

    /**
     * The settings a checkpoint records beside the training configuration, and a resume compares:
     * the optimizer, the LoRA configuration, whether base weights train, SAM's scope, then the
     * caller's {@link Builder#runSettings}.
     *
     * @return the settings, by name
     */
    public Map<String, String> settings() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("optimizer", optimizer.spec());
        m.put("samScope", scope.name());
        m.put("loraRank", Integer.toString(lora.rank()));
        m.put("loraAlpha", Double.toString(lora.alpha()));
        m.put("loraDropout", Double.toString(lora.dropout()));
        m.put("loraTargets", lora.targetRegex() != null ? "regex:" + lora.targetRegex() : String.join(",", lora.targetModules()));
        m.put("loraRslora", Boolean.toString(lora.useRslora()));
        m.put("trainBaseWeights", Boolean.toString(trainBase));
        m.put("examples", Integer.toString(data.size()));
        m.putAll(runSettings);
        return m;
    }

    /**
     * Builds a {@link LoraFineTuner}. The model and the data are required and given to
     * {@link LoraFineTuner#builder(CausalLm, List)}; everything else is optional: the training
     * configuration ({@link TrainingConfig}'s defaults: 1 epoch, lr 2e-4, batch 8, seed 0), the LoRA
     * configuration ({@link #DEFAULT_LORA}), the optimizer ({@link OptimizerChoice#plain()}), SAM's
     * scope (LoRA parameters), base-weight training (off), a checkpoint directory (none) and listeners.
     */
    public static final class Builder {
        private final CausalLm model;
        private final List<TrainingExample> data;
        private TrainingConfig training = TrainingConfig.builder().build();
        private LoraConfig lora = DEFAULT_LORA;
        private OptimizerChoice optimizer = OptimizerChoice.plain();
        private Sam.Scope scope = Sam.Scope.LORA;
        private boolean trainBase;
        private Path checkpointDir;
        private boolean resume = true;
        private boolean allowConfigChange;
        private final Map<String, String> runSettings = new LinkedHashMap<>();
        private final List<TrainingListener> listeners = new ArrayList<>();

        private Builder(CausalLm model, List<TrainingExample> data) {
            this.model = Preconditions.notNull(model, "model");
            this.data = Preconditions.notEmpty(data, "data");
        }

        /**
         * The training loop's settings.
         *
         * @param config rate, schedule, steps or epochs, batch, seed, logging
         * @return this builder
         * @throws IllegalArgumentException if {@code config} is null
         */
        public Builder training(TrainingConfig config) {
            this.training = Preconditions.notNull(config, "training");
            return this;
        }

        /**
         * The adapter's configuration.
         *
         * @param config rank, alpha, target modules
         * @return this builder
         * @throws IllegalArgumentException if {@code config} is null
         */
        public Builder lora(LoraConfig config) {
            this.lora = Preconditions.notNull(config, "lora");
            return this;
        }

        /**
         * How each step's gradient is computed (plain by default).
         *
         * @param choice plain, SAM, ASAM or LookSAM
         * @return this builder
         * @throws IllegalArgumentException if {@code choice} is null
         */
        public Builder optimizer(OptimizerChoice choice) {
            this.optimizer = Preconditions.notNull(choice, "optimizer");
            return this;
        }

        /**
         * Which trainable parameters SAM perturbs (default LoRA only); ignored by a plain optimizer.
         *
         * @param scope which trainable parameters SAM perturbs
         * @return this builder
         * @throws IllegalArgumentException if {@code scope} is null
         */
        public Builder samScope(Sam.Scope scope) {
            this.scope = Preconditions.notNull(scope, "scope");
            return this;
        }

        /**
         * Also trains the base weights (default false: LoRA only).
         *
         * @param train whether the base weights are trained too
         * @return this builder
         */
        public Builder trainBaseWeights(boolean train) {
            this.trainBase = train;
            return this;
        }

        /**
         * Checkpoints (with the adapter in PEFT layout) go here; the run resumes from the latest.
         *
         * @param dir the checkpoint directory, or {@code null} for none
         * @return this builder
         */
        public Builder checkpointDir(Path dir) {
            this.checkpointDir = dir;
            return this;
        }

        /**
         * Whether {@link LoraFineTuner#fit()} resumes from the checkpoint directory's latest
         * checkpoint (default true; false starts afresh and overwrites the checkpoints).
         *
         * @param resume whether to resume
         * @return this builder
         */
        public Builder resume(boolean resume) {
            this.resume = resume;
            return this;
        }

        /**
         * Whether a resume may continue although its settings differ from the checkpoint's (default
         * false: the resume is refused naming each differing field and both values).
         *
         * @param allow whether to allow a changed configuration
         * @return this builder
         */
        public Builder allowConfigChange(boolean allow) {
            this.allowConfigChange = allow;
            return this;
        }

        /**
         * More settings that identify the run (e.g. a hash of the data file, the model directory),
         * recorded in each checkpoint and compared on resume.
         *
         * @param settings the settings, by name
         * @return this builder
         * @throws IllegalArgumentException if {@code settings} is null
         */
        public Builder runSettings(Map<String, String> settings) {
            runSettings.putAll(Preconditions.notNull(settings, "settings"));
            return this;
        }

        /**
         * Adds a listener of the training loop.
         *
         * @param listener told of each step and checkpoint
         * @return this builder
         * @throws IllegalArgumentException if {@code listener} is null
         */
        public Builder listener(TrainingListener listener) {
            listeners.add(Preconditions.notNull(listener, "listener"));
            return this;
        }

        /**
         * Builds the fine-tuner.
         *
         * @return the fine-tuner
         */
        public LoraFineTuner build() {
            return new LoraFineTuner(this);
        }
    }
}
