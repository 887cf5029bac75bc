package dev.keel.examples.sam;

import dev.keel.core.internal.Preconditions;
import dev.keel.core.chat.ChatRecord;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.generate.ChatTemplate;
import dev.keel.core.lm.generate.LmTokenizer;
import dev.keel.core.lm.lora.LoraConfig;
import dev.keel.core.lm.train.ChatExamples;
import dev.keel.core.lm.train.TrainingConfig;
import dev.keel.core.lm.train.TrainingExample;
import dev.keel.sam.FineTuneResult;
import dev.keel.sam.LoraFineTuner;
import dev.keel.sam.OptimizerChoice;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * The fine-tuning part of an experiment's configuration, shared by the forgetting and the safety
 * experiments: the seeds (one run per seed and optimizer), the training loop's settings, the LoRA
 * configuration and the optimizers compared. It runs one fine-tuning of the grid with {@link #fit}.
 *
 * @param seeds      distinct seeds; each run's adapter initialisation and batch order use one
 * @param training   the training loop's settings (each run replaces the seed, and may change the steps)
 * @param lora       the adapters' configuration
 * @param optimizers the optimizers compared, distinct, not empty
 */
public record FineTuneSettings(List<Long> seeds, TrainingConfig training, LoraConfig lora,
                               List<OptimizerChoice> optimizers) {

    /**
     * Checks and copies the values.
     *
     * @param seeds      distinct seeds, not empty
     * @param training   the training loop's settings
     * @param lora       the adapters' configuration
     * @param optimizers distinct optimizers, not empty
     * @throws IllegalArgumentException if a value is null, empty or repeated
     */
    public FineTuneSettings {
        seeds = List.copyOf(Preconditions.notEmpty(seeds, "seeds"));
        Preconditions.checkArgument(new HashSet<>(seeds).size() == seeds.size(), "seeds must be distinct, were " + seeds);
        Preconditions.notNull(training, "training");
        Preconditions.notNull(lora, "lora");
        optimizers = List.copyOf(Preconditions.notEmpty(optimizers, "optimizers"));
        Preconditions.checkArgument(new HashSet<>(optimizers).size() == optimizers.size(),
                "optimizers must be distinct, were " + optimizers);
    }

    /**
     * The optimizers' command-line forms, which label the runs.
     *
     * @return e.g. {@code [none, sam:0.05]}
     */
    public List<String> optimizerSpecs() {
        return optimizers.stream().map(OptimizerChoice::spec).toList();
    }

    /**
     * The LoRA and optimizer settings in words, for a table's notes.
     *
     * @return e.g. {@code LoRA r=8 alpha=16.0 on [q_proj, v_proj]}
     */
    public String describeLora() {
        return String.format(Locale.ROOT, "LoRA r=%d alpha=%s on %s", lora.rank(), lora.alpha(), lora.targetModules());
    }

    /**
     * Encodes chat records for training in {@code template}: the final assistant reply is the target,
     * followed by the model's eos token unless the template ends turns itself.
     *
     * @param records   the chat records
     * @param tokenizer the model's tokenizer
     * @param template  the chat template the model reads
     * @param model     the model (its eos token id)
     * @return the examples, in order
     */
    public static List<TrainingExample> encode(List<ChatRecord> records, LmTokenizer tokenizer, ChatTemplate template,
                                               LlamaModel model) {
        return ChatExamples.encodeAll(records, tokenizer, template, template.endOfReplyToken(model.config().eosTokenId()));
    }

    /**
     * Fine-tunes one new adapter of the grid on {@code data}.
     *
     * @param model     the model (it gets the adapter; the caller closes the result's adapter)
     * @param data      the training examples
     * @param optimizer one of {@link #optimizers}
     * @param seed      one of {@link #seeds}
     * @param perRun    changes the run's training settings (after the seed is set), e.g. its step count
     * @return the trained adapter and the run's metrics
     * @throws IOException if a checkpoint cannot be written
     */
    public FineTuneResult fit(LlamaModel model, List<TrainingExample> data, OptimizerChoice optimizer, long seed,
                              Consumer<TrainingConfig.Builder> perRun) throws IOException {
        TrainingConfig.Builder t = training.toBuilder().seed(seed);
        perRun.accept(t);
        return LoraFineTuner.builder(model, data).training(t.build()).lora(lora).optimizer(optimizer).build().fit();
    }

    /**
     * The setters the experiments' configuration builders share; each builder extends it and reads
     * the result with {@link #fineTune()}.
     *
     * @param <B> the concrete builder
     */
    public abstract static class Builder<B extends Builder<B>> {
        private List<Long> seeds = List.of(1L, 2L, 3L);
        private TrainingConfig training;
        private LoraConfig lora = LoraFineTuner.DEFAULT_LORA;
        private List<OptimizerChoice> optimizers;

        /**
         * Starts with seeds 1, 2, 3, LoRA r 8 / alpha 16 on q_proj and v_proj, and the given defaults.
         *
         * @param training   the default training settings
         * @param optimizers the default optimizers
         */
        protected Builder(TrainingConfig training, List<OptimizerChoice> optimizers) {
            this.training = training;
            this.optimizers = optimizers;
        }

        /**
         * This builder, typed.
         *
         * @return this
         */
        protected abstract B self();

        /**
         * The seeds, one run per seed and optimizer.
         *
         * @param seeds distinct seeds
         * @return this builder
         */
        public B seeds(long... seeds) {
            List<Long> s = new ArrayList<>();
            for (long x : seeds) {
                s.add(x);
            }
            this.seeds = s;
            return self();
        }

        /**
         * The seeds, one run per seed and optimizer.
         *
         * @param seeds distinct seeds, no nulls
         * @return this builder
         * @throws IllegalArgumentException if the list is null or holds a null
         */
        public B seeds(List<Long> seeds) {
            this.seeds = Preconditions.noNulls(seeds, "seeds");
            return self();
        }

        /**
         * The training loop's settings (the seed is replaced per run).
         *
         * @param training the settings
         * @return this builder
         * @throws IllegalArgumentException if {@code training} is null
         */
        public B training(TrainingConfig training) {
            this.training = Preconditions.notNull(training, "training");
            return self();
        }

        /**
         * The peak AdamW rate.
         *
         * @param lr the rate, &gt; 0
         * @return this builder
         * @throws IllegalArgumentException if {@code lr} is not a finite number &gt; 0
         */
        public B learningRate(double lr) {
            Preconditions.checkArgument(lr > 0 && Double.isFinite(lr), "learningRate must be > 0, was " + lr);
            return training(training.toBuilder().learningRate(lr).build());
        }

        /**
         * Examples per optimizer step.
         *
         * @param size the batch size, &gt; 0
         * @return this builder
         * @throws IllegalArgumentException if {@code size} is not &gt; 0
         */
        public B batchSize(int size) {
            Preconditions.checkArgument(size > 0, "batchSize must be > 0, was " + size);
            return training(training.toBuilder().batchSize(size).build());
        }

        /**
         * The adapters' configuration.
         *
         * @param lora the configuration
         * @return this builder
         * @throws IllegalArgumentException if {@code lora} is null
         */
        public B lora(LoraConfig lora) {
            this.lora = Preconditions.notNull(lora, "lora");
            return self();
        }

        /**
         * LoRA rank, alpha and target modules (none given: q_proj and v_proj).
         *
         * @param rank    the rank, &gt; 0
         * @param alpha   {@code lora_alpha}, &gt; 0
         * @param targets the target modules
         * @return this builder
         * @throws IllegalArgumentException if {@code rank} or {@code alpha} is not &gt; 0
         */
        public B lora(int rank, double alpha, String... targets) {
            Preconditions.checkArgument(rank > 0, "rank must be > 0, was " + rank);
            Preconditions.checkArgument(alpha > 0 && Double.isFinite(alpha), "loraAlpha must be > 0, was " + alpha);
            LoraConfig.Builder b = LoraConfig.builder().rank(rank).alpha(alpha);
            b.targetModules(targets.length > 0 ? targets : lora.targetModules().toArray(new String[0]));
            return lora(b.build());
        }

        /**
         * The optimizers compared.
         *
         * @param optimizers distinct choices
         * @return this builder
         */
        public B optimizers(OptimizerChoice... optimizers) {
            this.optimizers = List.of(optimizers);
            return self();
        }

        /**
         * The optimizers compared, in their command-line forms (see {@link OptimizerChoice#parse}).
         *
         * @param specs e.g. {@code none}, {@code sam:0.05}, {@code looksam:0.05:5}
         * @return this builder
         * @throws IllegalArgumentException naming a spec that is none of the accepted forms
         */
        public B optimizers(String... specs) {
            List<OptimizerChoice> o = new ArrayList<>();
            for (String s : specs) {
                o.add(OptimizerChoice.parse(s));
            }
            return optimizers(o.toArray(new OptimizerChoice[0]));
        }

        /**
         * The training settings as set so far.
         *
         * @return the settings
         */
        protected TrainingConfig training() {
            return training;
        }

        /**
         * The fine-tuning settings as set.
         *
         * @return the settings
         * @throws IllegalArgumentException if the seeds or optimizers are empty or repeated
         */
        protected FineTuneSettings fineTune() {
            return new FineTuneSettings(seeds, training, lora, optimizers);
        }
    }
}
