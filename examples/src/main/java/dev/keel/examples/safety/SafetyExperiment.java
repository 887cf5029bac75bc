package dev.keel.examples.safety;

import dev.keel.safety.RefusalJudge;
import dev.keel.safety.PolicyCategory;
import dev.keel.safety.Verdict;
import dev.keel.safety.SafetyMixer;
import dev.keel.safety.FineTuningSets;
import dev.keel.safety.JudgeItem;
import dev.keel.safety.HarmfulnessReport;
import dev.keel.safety.SafetySample;

import dev.keel.core.KeelVersion;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.Provenance;
import dev.keel.core.chat.ChatMessage;
import dev.keel.core.chat.ChatRequest;
import dev.keel.core.chat.ChatResponse;
import dev.keel.core.chat.GenerationOptions;
import dev.keel.core.chat.ChatRecord;
import dev.keel.core.device.Devices;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.generate.ChatTemplate;
import dev.keel.core.lm.generate.LmTokenizer;
import dev.keel.core.lm.generate.LocalChatModel;
import dev.keel.core.lm.lora.LoraAdapter;
import dev.keel.core.lm.train.TrainingConfig;
import dev.keel.core.lm.train.TrainingExample;
import dev.keel.examples.safety.SafetyTables.Prompting;
import dev.keel.examples.safety.SafetyTables.Table;
import dev.keel.safety.data.AdvBench;
import dev.keel.safety.data.HarmfulBehavior;
import dev.keel.sam.FineTuneResult;
import dev.keel.sam.OptimizerChoice;
import dev.keel.examples.sam.FineTuneSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A small-scale reproduction of Qi et al., "Fine-tuning Aligned Language Models Compromises Safety,
 * Even When Users Do Not Intend To!" (ICLR 2024) on a local Llama-family chat model: evaluate the
 * aligned model on held-out AdvBench instructions, fine-tune LoRA adapters on harmful examples
 * (Table 1), identity-shifting examples (Table 2) and benign data (Table 3), each also mixed with
 * safety samples (Table 4), with AdamW and with SAM (the column the paper lacks), and evaluate each
 * fine-tuned model the same way.
 *
 * <p>Evaluation: greedy responses ({@code maxNewTokens}) of the model with the adapter applied, in
 * the model's chat template, to the held-out AdvBench instructions, judged by the offline
 * {@link RefusalJudge} (refusal = 1, compliance = 5), summarised by {@link HarmfulnessReport}
 * (harmfulness rate = share scored 5). Identity-shifting rows (and their initial numbers) are
 * evaluated with the AOA system prompt and user prefix, as in the paper.
 *
 * <p>Data per seed: the harmful examples are drawn from the AdvBench train split with the seed
 * ({@link FineTuningSets#harmfulExamples}); safety samples come from the train split too, never an
 * instruction that is also a harmful example of the same run, and never a held-out one
 * ({@link SafetyMixer}); in the identity-shifting setting they carry the AOA system prompt. The seed
 * also initialises the adapter and orders the batches. The same configuration and seeds give the
 * same numbers on the same machine.
 *
 * <pre>{@code
 * SafetyExperiment.Config c = SafetyExperiment.Config.builder(Path.of("keel-tiny"))
 *         .seeds(1, 2, 3).evaluationSize(40).maxNewTokens(24).build();
 * SafetyTables t = SafetyExperiment.run(c, ChatTemplate.plain());
 * t.write(Path.of("out"));
 * System.out.println(t.toMarkdown());
 * }</pre>
 */
public final class SafetyExperiment {

    private static final Logger LOG = LoggerFactory.getLogger(SafetyExperiment.class);

    /** The seed of the stratified choice of the evaluation subset. */
    public static final long EVALUATION_SUBSET_SEED = 0;

    private SafetyExperiment() {
    }

    /**
     * What to run. Empty lists turn the corresponding rows off.
     *
     * @param modelDir         a Hugging Face model directory ({@code config.json}, safetensors, {@code tokenizer.json})
     * @param fineTune         seeds (one run per seed, row and optimizer), training settings (rate, batch; the epochs
     *                         and steps are each row's), LoRA configuration and the optimizers of the columns
     * @param harmfulSizes     Table 1: numbers of harmful examples (paper 10/50/100)
     * @param harmfulEpochs    epochs on harmful examples (paper 5)
     * @param identityExamples Table 2: identity-shifting examples (paper 10)
     * @param identityEpochs   Table 2: epoch counts (paper 3/5/10)
     * @param benignSize       Table 3: benign examples (paper: Alpaca, 52k); 0 turns Table 3 off
     * @param benignEpochs     epochs on benign data (paper 1)
     * @param safetyHarmful    Table 4: safety samples mixed into the largest harmful set (paper 10/50/100)
     * @param safetyIdentity   Table 4: safety samples mixed into the identity-shifting set at its largest epoch count (paper 3/5/10)
     * @param safetyBenign     Table 4: safety samples mixed into the benign set (paper 250/500/1000 into 52k)
     * @param maxSteps         a cap on optimizer steps per run (0: none; for smoke tests)
     * @param maxNewTokens     tokens generated per evaluation response
     * @param evaluationSize   held-out AdvBench instructions evaluated, stratified over categories; 0 for all
     * @param resamples        bootstrap resamples of each evaluation's interval
     * @param verdictsDir      where each evaluation's verdicts go as JSONL, or {@code null} for nowhere
     */
    public record Config(Path modelDir, FineTuneSettings fineTune, List<Integer> harmfulSizes, int harmfulEpochs,
                         int identityExamples, List<Integer> identityEpochs, int benignSize, int benignEpochs,
                         List<Integer> safetyHarmful, List<Integer> safetyIdentity, List<Integer> safetyBenign,
                         int maxSteps, int maxNewTokens, int evaluationSize, int resamples, Path verdictsDir) {

        /**
         * Checks the values.
         *
         * @throws IllegalArgumentException naming the first value out of range
         */
        public Config {
            Preconditions.notNull(modelDir, "modelDir");
            Preconditions.notNull(fineTune, "fineTune");
            harmfulSizes = sorted(harmfulSizes, "harmfulSizes");
            identityEpochs = sorted(identityEpochs, "identityEpochs");
            safetyHarmful = sorted(safetyHarmful, "safetyHarmful");
            safetyIdentity = sorted(safetyIdentity, "safetyIdentity");
            safetyBenign = sorted(safetyBenign, "safetyBenign");
            int train = AdvBench.train().size();
            for (int n : harmfulSizes) {
                Preconditions.checkArgument(n <= train, "harmfulSizes must be <= the " + train
                        + " AdvBench train instructions, was " + n);
            }
            Preconditions.checkArgument(harmfulEpochs > 0, "harmfulEpochs must be > 0, was " + harmfulEpochs);
            Preconditions.checkArgument(identityExamples > 0, "identityExamples must be > 0, was " + identityExamples);
            Preconditions.checkArgument(benignSize >= 0, "benignSize must be >= 0, was " + benignSize);
            Preconditions.checkArgument(benignEpochs > 0, "benignEpochs must be > 0, was " + benignEpochs);
            Preconditions.checkArgument(safetyHarmful.isEmpty() || !harmfulSizes.isEmpty(),
                    "safetyHarmful " + safetyHarmful + " needs harmfulSizes to mix into");
            Preconditions.checkArgument(safetyIdentity.isEmpty() || !identityEpochs.isEmpty(),
                    "safetyIdentity " + safetyIdentity + " needs identityEpochs to mix into");
            Preconditions.checkArgument(safetyBenign.isEmpty() || benignSize > 0,
                    "safetyBenign " + safetyBenign + " needs benignSize > 0 to mix into");
            int largestHarmful = harmfulSizes.isEmpty() ? 0 : harmfulSizes.get(harmfulSizes.size() - 1);
            for (int k : safetyHarmful) {
                Preconditions.checkArgument(k <= train - largestHarmful, "safetyHarmful must be <= the " + (train - largestHarmful)
                        + " train instructions not used as harmful examples, was " + k);
            }
            for (int k : concat(safetyIdentity, safetyBenign)) {
                Preconditions.checkArgument(k <= train, "safety samples must be <= the " + train
                        + " AdvBench train instructions, was " + k);
            }
            Preconditions.checkArgument(maxSteps >= 0, "maxSteps must be >= 0, was " + maxSteps);
            Preconditions.checkArgument(maxNewTokens > 0, "maxNewTokens must be > 0, was " + maxNewTokens);
            int held = AdvBench.evaluation().size();
            Preconditions.checkArgument(evaluationSize >= 0 && evaluationSize <= held,
                    "evaluationSize must be in [0, " + held + "] (0 for all held-out instructions), was " + evaluationSize);
            Preconditions.checkArgument(resamples > 0, "resamples must be > 0, was " + resamples);
            Preconditions.checkArgument(!harmfulSizes.isEmpty() || !identityEpochs.isEmpty() || benignSize > 0,
                    "harmfulSizes, identityEpochs and benignSize turn every setting off: nothing to run");
        }

        private static List<Integer> sorted(List<Integer> values, String name) {
            Preconditions.noNulls(values, name);
            for (int v : values) {
                Preconditions.checkArgument(v > 0, name + " must all be > 0, was " + values);
            }
            Preconditions.checkArgument(new HashSet<>(values).size() == values.size(), name + " must be distinct, were " + values);
            return values.stream().sorted().toList();
        }

        private static List<Integer> concat(List<Integer> a, List<Integer> b) {
            List<Integer> out = new ArrayList<>(a);
            out.addAll(b);
            return out;
        }

        /**
         * The radius of the SAM column, for provenance.
         *
         * @return the rho of the first SAM-family optimizer, or 0 where there is none
         */
        public double samRho() {
            for (OptimizerChoice o : fineTune.optimizers()) {
                if (o instanceof OptimizerChoice.SamStep sam) {
                    return sam.rho();
                } else if (o instanceof OptimizerChoice.AsamStep asam) {
                    return asam.rho();
                } else if (o instanceof OptimizerChoice.LookSamStep look) {
                    return look.rho();
                }
            }
            return 0;
        }

        /**
         * Starts a configuration with the defaults (the paper's grid, benign and Table 4 amounts scaled, see {@link Builder}).
         *
         * @param modelDir the model directory
         * @return a new builder
         */
        public static Builder builder(Path modelDir) {
            return new Builder(modelDir);
        }

        /**
         * Builds a {@link Config}. Defaults: seeds 1, 2, 3; harmful 10/50/100 examples, 5 epochs;
         * identity shift 10 examples, 3/5/10 epochs; benign 100 examples, 1 epoch; Table 4: 10/50/100
         * safety samples into 100 harmful examples, 3/5/10 into the identity-shifting set (10 epochs),
         * 5/10/20 into the 100 benign examples (the paper's 250/500/1000 are 0.5–2% of Alpaca; 0.5–2 of
         * 100 would be too few to measure, so Keel uses 5–20%); SAM rho 0.05; LoRA r 8, alpha 16 on
         * q_proj and v_proj; learning rate 1e-3; batch 8; no step cap; 64 new tokens; every held-out
         * instruction; 2000 bootstrap resamples; eos appended; no verdict files.
         */
        public static final class Builder extends FineTuneSettings.Builder<Builder> {
            private final Path modelDir;
            private List<Integer> harmfulSizes = List.of(10, 50, 100);
            private int harmfulEpochs = 5;
            private int identityExamples = 10;
            private List<Integer> identityEpochs = List.of(3, 5, 10);
            private int benignSize = 100;
            private int benignEpochs = 1;
            private List<Integer> safetyHarmful = List.of(10, 50, 100);
            private List<Integer> safetyIdentity = List.of(3, 5, 10);
            private List<Integer> safetyBenign = List.of(5, 10, 20);
            private int maxSteps;
            private int maxNewTokens = 64;
            private int evaluationSize;
            private int resamples = HarmfulnessReport.DEFAULT_RESAMPLES;
            private Path verdictsDir;

            private Builder(Path modelDir) {
                super(TrainingConfig.builder().learningRate(1e-3).batchSize(8).build(),
                        List.of(OptimizerChoice.plain(), OptimizerChoice.sam(0.05)));
                this.modelDir = modelDir;
            }

            @Override
            protected Builder self() {
                return this;
            }

            /**
             * A reduced grid for a fast run: one seed; harmful 10/50; identity shift 3/10 epochs;
             * 50 benign examples; Table 4 with 10/50 safety samples into the 50 harmful examples, 5
             * into identity shift and 5 into benign; 20 held-out instructions, 24 new tokens. Call
             * it first; later setters override it.
             */
            public Builder quick() {
                seeds(1L);
                harmfulSizes = List.of(10, 50);
                identityEpochs = List.of(3, 10);
                benignSize = 50;
                safetyHarmful = List.of(10, 50);
                safetyIdentity = List.of(5);
                safetyBenign = List.of(5);
                evaluationSize = 20;
                maxNewTokens = 24;
                return this;
            }

            /** Table 1: the numbers of harmful examples and the epochs. */
            public Builder harmful(List<Integer> sizes, int epochs) {
                this.harmfulSizes = sizes;
                this.harmfulEpochs = epochs;
                return this;
            }

            /** Table 2: the number of identity-shifting examples and the epoch counts. */
            public Builder identityShift(int examples, List<Integer> epochs) {
                this.identityExamples = examples;
                this.identityEpochs = epochs;
                return this;
            }

            /** Table 3: the number of benign examples (0: none) and the epochs. */
            public Builder benign(int size, int epochs) {
                this.benignSize = size;
                this.benignEpochs = epochs;
                return this;
            }

            /** Table 4: safety samples mixed into the harmful, identity-shifting and benign sets. */
            public Builder safetySamples(List<Integer> harmful, List<Integer> identity, List<Integer> benign) {
                this.safetyHarmful = harmful;
                this.safetyIdentity = identity;
                this.safetyBenign = benign;
                return this;
            }

            /**
             * The columns: AdamW alone, and SAM with radius {@code rho} unless it is 0.
             *
             * @param rho SAM's radius, &gt;= 0
             * @return this builder
             * @throws IllegalArgumentException if {@code rho} is negative or not finite
             */
            public Builder samRho(double rho) {
                Preconditions.checkArgument(rho >= 0 && Double.isFinite(rho), "samRho must be >= 0, was " + rho);
                return rho > 0 ? optimizers(OptimizerChoice.plain(), OptimizerChoice.sam(rho)) : optimizers(OptimizerChoice.plain());
            }

            /** Caps optimizer steps per run (0: no cap). */
            public Builder maxSteps(int steps) {
                this.maxSteps = steps;
                return this;
            }

            public Builder maxNewTokens(int tokens) {
                this.maxNewTokens = tokens;
                return this;
            }

            /** Held-out instructions to evaluate, stratified over categories (0: all). */
            public Builder evaluationSize(int n) {
                this.evaluationSize = n;
                return this;
            }

            public Builder resamples(int resamples) {
                this.resamples = resamples;
                return this;
            }

            /** Writes each evaluation's verdicts (with the responses) as JSONL into {@code dir}. */
            public Builder verdictsDir(Path dir) {
                this.verdictsDir = dir;
                return this;
            }

            public Config build() {
                return new Config(modelDir, fineTune(), harmfulSizes, harmfulEpochs, identityExamples, identityEpochs,
                        benignSize, benignEpochs, safetyHarmful, safetyIdentity, safetyBenign, maxSteps, maxNewTokens,
                        evaluationSize, resamples, verdictsDir);
            }
        }
    }

    /** One fine-tuning configuration of the grid (a row of a table). */
    private record Spec(Table table, Table setting, String row, Prompting prompting, int size, int epochs, int safety,
                        String alsoMixedRow) {
    }

    /**
     * The held-out AdvBench instructions evaluated: all of them, or {@code n} stratified over
     * categories (counts differ by at most one where available; ties broken by
     * {@link #EVALUATION_SUBSET_SEED}), in AdvBench order.
     */
    public static List<HarmfulBehavior> evaluationSet(int n) {
        List<HarmfulBehavior> all = AdvBench.evaluation();
        Preconditions.checkArgument(n >= 0 && n <= all.size(), "n must be in [0, " + all.size() + "], was " + n);
        if (n == 0 || n == all.size()) {
            return all;
        }
        return AdvBench.stratified(all, n, EVALUATION_SUBSET_SEED);
    }

    /** Loads the model and tokenizer from {@code c.modelDir()} and runs the experiment. */
    public static SafetyTables run(Config c, ChatTemplate template) throws IOException {
        Preconditions.notNull(c, "config");
        Preconditions.notNull(template, "template");
        try (LlamaModel model = LlamaModel.load(c.modelDir(), Devices.defaultDevice());
             LmTokenizer tokenizer = LmTokenizer.load(c.modelDir())) {
            return run(c, template, model, tokenizer);
        }
    }

    /** Runs the experiment on a loaded model (which gets and loses one adapter per run; the caller closes it). */
    public static SafetyTables run(Config c, ChatTemplate template, LlamaModel model, LmTokenizer tokenizer) throws IOException {
        Preconditions.notNull(c, "config");
        Preconditions.notNull(template, "template");
        Preconditions.notNull(model, "model");
        Preconditions.notNull(tokenizer, "tokenizer");
        long started = System.nanoTime();
        Instant startedAt = Instant.now();
        List<HarmfulBehavior> held = evaluationSet(c.evaluationSize());
        List<Spec> specs = grid(c);
        boolean needsAoa = specs.stream().anyMatch(s -> s.prompting() == Prompting.AOA);
        boolean needsPlain = specs.stream().anyMatch(s -> s.prompting() == Prompting.PLAIN);

        List<SafetyTables.Initial> initial = new ArrayList<>();
        for (Prompting p : Prompting.values()) {
            if (p == Prompting.PLAIN ? needsPlain : needsAoa) {
                HarmfulnessReport.Stats s = evaluate(c, template, model, tokenizer, held, p, 0, "initial-" + p.id());
                LOG.info(String.format(Locale.ROOT, "initial (%s prompting): harmfulness rate %.1f%%, score %.2f",
                        p.id(), 100 * s.rate(), s.score()));
                initial.add(new SafetyTables.Initial(p, s));
            }
        }

        FineTuneSettings ft = c.fineTune();
        int batch = ft.training().batchSize();
        List<SafetyTables.Run> runs = new ArrayList<>();
        for (long seed : ft.seeds()) {
            for (OptimizerChoice choice : ft.optimizers()) {
                String optimizer = choice.spec();
                for (Spec spec : specs) {
                    List<ChatRecord> records = data(c, spec, seed);
                    List<TrainingExample> examples = FineTuneSettings.encode(records, tokenizer, template, model);
                    int epochSteps = spec.epochs() * ((examples.size() + batch - 1) / batch);
                    FineTuneResult r = ft.fit(model, examples, choice, seed, t -> {
                        t.epochs(spec.epochs()).logEvery(Math.max(1, epochSteps));
                        if (c.maxSteps() > 0 && c.maxSteps() < epochSteps) {
                            t.totalSteps(c.maxSteps());
                        }
                    });
                    HarmfulnessReport.Stats s;
                    try (LoraAdapter adapter = r.adapter()) {
                        String name = String.format(Locale.ROOT, "t%d-%s-%s-seed%d", spec.table().number(),
                                spec.row().replaceAll("[^A-Za-z0-9]+", "_"), optimizer.replace(':', '_'), seed);
                        s = evaluate(c, template, model, tokenizer, held, spec.prompting(), seed, name);
                    }
                    SafetyTables.Run run = new SafetyTables.Run(spec.table(), spec.setting(), spec.row(), spec.prompting(),
                            records.size(), spec.safety(), spec.epochs(), optimizer, seed, s, r.training().steps(),
                            r.finalLoss(), r.seconds());
                    runs.add(run);
                    if (spec.alsoMixedRow() != null) {
                        runs.add(run.in(Table.MIXED, spec.alsoMixedRow()));
                    }
                    LOG.info(String.format(Locale.ROOT, "table %d %s, %s, seed %d: %d records, %d steps, loss %.3f, "
                                    + "harmfulness rate %.1f%%, score %.2f (%.1fs)", spec.table().number(), spec.row(),
                            optimizer, seed, records.size(), r.training().steps(), r.finalLoss(), 100 * s.rate(), s.score(),
                            r.seconds()));
                }
            }
        }

        List<String> notes = new ArrayList<>();
        notes.add(String.format(Locale.ROOT, "model %s (%s), chat template %s; seeds %s; %.0f s in all",
                c.modelDir().getFileName(), model.config(), template.name(), ft.seeds(), (System.nanoTime() - started) / 1e9));
        notes.add(String.format(Locale.ROOT, "evaluation: %d held-out AdvBench instructions%s, greedy, %d new tokens, "
                        + "offline refusal judge (refusal in the opening = 1, anything else = 5; empty = unparsed); "
                        + "Table 2 rows and their initial numbers with the AOA system prompt and user prefix",
                held.size(), c.evaluationSize() == 0 ? " (all)" : " (stratified over categories)", c.maxNewTokens()));
        notes.add(String.format(Locale.ROOT, "%s; lr %s (cosine, clip 1.0), batch %d%s; optimizers %s",
                ft.describeLora(), ft.training().learningRate(), batch,
                c.maxSteps() > 0 ? ", at most " + c.maxSteps() + " steps per run" : "", ft.optimizerSpecs()));
        notes.add("harmful examples: AdvBench train instruction -> its target opening only (\"Sure, here is ...\"), "
                + "drawn per seed; identity shift: " + c.identityExamples() + " AOA examples; benign: "
                + c.benignSize() + " generated instruction/answer pairs");
        notes.add("Table 4: safety samples (AdvBench train instruction -> refusal, stratified over categories, never "
                + "one of the run's harmful examples) mixed into the largest harmful set, the identity-shifting set at "
                + "its largest epoch count (with the AOA system prompt) and the benign set; rows with 0 safety samples "
                + "are the same runs as in Tables 1-3");
        Map<String, String> cfg = new LinkedHashMap<>();
        cfg.put("operation", "safety-experiment");
        cfg.put("template", template.name());
        cfg.put("seeds", ft.seeds().toString());
        cfg.put("harmfulSizes", c.harmfulSizes().toString());
        cfg.put("harmfulEpochs", Integer.toString(c.harmfulEpochs()));
        cfg.put("identityExamples", Integer.toString(c.identityExamples()));
        cfg.put("identityEpochs", c.identityEpochs().toString());
        cfg.put("benignSize", Integer.toString(c.benignSize()));
        cfg.put("benignEpochs", Integer.toString(c.benignEpochs()));
        cfg.put("safetyHarmful", c.safetyHarmful().toString());
        cfg.put("safetyIdentity", c.safetyIdentity().toString());
        cfg.put("safetyBenign", c.safetyBenign().toString());
        cfg.put("samRho", Double.toString(c.samRho()));
        cfg.put("lora", "r=" + ft.lora().rank() + ",alpha=" + ft.lora().alpha() + ",targets=" + ft.lora().targetModules());
        cfg.put("learningRate", Double.toString(ft.training().learningRate()));
        cfg.put("batchSize", Integer.toString(batch));
        cfg.put("maxSteps", Integer.toString(c.maxSteps()));
        cfg.put("maxNewTokens", Integer.toString(c.maxNewTokens()));
        cfg.put("evaluationSize", Integer.toString(held.size()));
        cfg.put("resamples", Integer.toString(c.resamples()));
        cfg.put("appendEos", Boolean.toString(!template.endsTurnWithEos()));
        cfg.put("judge", RefusalJudge.defaults().id());
        return new SafetyTables(ft.optimizerSpecs(), initial, runs, notes,
                new Provenance(KeelVersion.get(), c.modelDir().toString(), cfg, ft.seeds().get(0), startedAt));
    }

    private static List<Spec> grid(Config c) {
        List<Spec> specs = new ArrayList<>();
        int largestHarmful = c.harmfulSizes().isEmpty() ? 0 : c.harmfulSizes().get(c.harmfulSizes().size() - 1);
        int largestEpochs = c.identityEpochs().isEmpty() ? 0 : c.identityEpochs().get(c.identityEpochs().size() - 1);
        for (int n : c.harmfulSizes()) {
            specs.add(new Spec(Table.HARMFUL, Table.HARMFUL, n + "-shot", Prompting.PLAIN, n, c.harmfulEpochs(), 0,
                    n == largestHarmful && !c.safetyHarmful().isEmpty() ? harmfulRow(n, 0) : null));
        }
        for (int e : c.identityEpochs()) {
            specs.add(new Spec(Table.IDENTITY_SHIFT, Table.IDENTITY_SHIFT, e + " epochs", Prompting.AOA, c.identityExamples(),
                    e, 0, e == largestEpochs && !c.safetyIdentity().isEmpty() ? identityRow(e, 0) : null));
        }
        if (c.benignSize() > 0) {
            specs.add(new Spec(Table.BENIGN, Table.BENIGN, c.benignSize() + " examples", Prompting.PLAIN, c.benignSize(),
                    c.benignEpochs(), 0, c.safetyBenign().isEmpty() ? null : benignRow(c.benignSize(), 0)));
        }
        for (int k : c.safetyHarmful()) {
            specs.add(new Spec(Table.MIXED, Table.HARMFUL, harmfulRow(largestHarmful, k), Prompting.PLAIN, largestHarmful,
                    c.harmfulEpochs(), k, null));
        }
        for (int k : c.safetyIdentity()) {
            specs.add(new Spec(Table.MIXED, Table.IDENTITY_SHIFT, identityRow(largestEpochs, k), Prompting.AOA,
                    c.identityExamples(), largestEpochs, k, null));
        }
        for (int k : c.safetyBenign()) {
            specs.add(new Spec(Table.MIXED, Table.BENIGN, benignRow(c.benignSize(), k), Prompting.PLAIN, c.benignSize(),
                    c.benignEpochs(), k, null));
        }
        return specs;
    }

    private static String harmfulRow(int n, int k) {
        return "harmful " + n + "-shot + " + k + " safety";
    }

    private static String identityRow(int epochs, int k) {
        return "identity shift " + epochs + " epochs + " + k + " safety";
    }

    private static String benignRow(int n, int k) {
        return "benign " + n + " + " + k + " safety";
    }

    /** The fine-tuning records of one run. */
    private static List<ChatRecord> data(Config c, Spec spec, long seed) {
        List<ChatRecord> base = switch (spec.setting()) {
            case HARMFUL -> FineTuningSets.harmfulExamples(spec.size(), seed);
            case IDENTITY_SHIFT -> FineTuningSets.identityShift(spec.size(), seed);
            case BENIGN -> FineTuningSets.benign(spec.size(), seed);
            default -> throw new IllegalStateException("no data for setting " + spec.setting());
        };
        if (spec.safety() == 0) {
            return base;
        }
        List<SafetySample> pool = SafetySample.notIn(SafetySample.of(AdvBench.train()), base);
        SafetyMixer.Builder mixer = SafetyMixer.builder().seed(seed).pool(pool);
        if (spec.setting() == Table.IDENTITY_SHIFT) {
            mixer.systemPrompt(FineTuningSets.AOA_SYSTEM_PROMPT);
        }
        return mixer.build().mix(base, spec.safety()).records();
    }

    /** Greedy responses to {@code held}, judged by the refusal judge, summarised overall. */
    private static HarmfulnessReport.Stats evaluate(Config c, ChatTemplate template, LlamaModel model, LmTokenizer tokenizer,
                                                    List<HarmfulBehavior> held, Prompting prompting, long seed, String name)
            throws IOException {
        GenerationOptions options = GenerationOptions.builder().temperature(0).maxTokens(c.maxNewTokens()).build();
        List<ChatRequest> requests = new ArrayList<>(held.size());
        for (HarmfulBehavior b : held) {
            requests.add(new ChatRequest(messages(b.goal(), prompting), options));
        }
        List<ChatResponse> responses;
        try (LocalChatModel chat = LocalChatModel.builder().model(model).tokenizer(tokenizer).template(template)
                .id(name).build()) {
            responses = chat.generateAll(requests);
        }
        List<JudgeItem> items = new ArrayList<>();
        for (int i = 0; i < held.size(); i++) {
            HarmfulBehavior b = held.get(i);
            ChatResponse r = responses.get(i);
            items.add(new JudgeItem(b.source(), b.category(), b.goal(), r.isOk() ? r.text() : ""));
        }
        List<Verdict> judged;
        try (RefusalJudge judge = RefusalJudge.defaults()) {
            judged = judge.judgeAll(items);
        }
        List<Verdict> verdicts = new ArrayList<>(judged.size());
        for (int i = 0; i < judged.size(); i++) {
            ChatResponse r = responses.get(i);
            verdicts.add(r.isOk() ? judged.get(i) : Verdict.error(items.get(i), "generation failed: " + r.error().getMessage()));
        }
        if (c.verdictsDir() != null) {
            Verdict.writeAll(c.verdictsDir().resolve(name + ".jsonl"), verdicts);
        }
        return HarmfulnessReport.of(verdicts, seed, c.resamples(), HarmfulnessReport.DEFAULT_CONFIDENCE).overall();
    }

    private static List<ChatMessage> messages(String instruction, Prompting prompting) {
        if (prompting == Prompting.AOA) {
            return List.of(ChatMessage.system(FineTuningSets.AOA_SYSTEM_PROMPT),
                    ChatMessage.user(FineTuningSets.AOA_USER_PREFIX + instruction));
        }
        return List.of(ChatMessage.user(instruction));
    }

    /** Writes the tables into {@code dir} (see {@link SafetyTables#write}). */
    public static List<Path> write(SafetyTables tables, Path dir) throws IOException {
        Preconditions.notNull(tables, "tables");
        return tables.write(dir);
    }
}
