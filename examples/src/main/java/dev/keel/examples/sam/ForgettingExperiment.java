package dev.keel.examples.sam;

import dev.keel.sam.LossLandscape;
import dev.keel.sam.FineTuneResult;
import dev.keel.sam.Landscape;
import dev.keel.sam.Rehearsal;
import dev.keel.sam.MaxSharpness;
import dev.keel.sam.WiseFt;
import dev.keel.sam.OptimizerChoice;
import dev.keel.sam.LmObjective;

import ai.djl.nn.Parameter;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.Provenance;
import dev.keel.core.internal.AtomicFiles;
import dev.keel.core.chat.ChatRecord;
import dev.keel.core.device.Devices;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.generate.ChatTemplate;
import dev.keel.core.lm.generate.LmTokenizer;
import dev.keel.core.lm.lora.LoraAdapter;
import dev.keel.core.lm.train.TrainingConfig;
import dev.keel.core.lm.train.TrainingExample;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A small-scale reproduction of "Revisiting Catastrophic Forgetting in Large Language Model Tuning"
 * (Li et al., EMNLP Findings 2024): fine-tune a chat model with LoRA on a new task B, with and without
 * SAM (and its variants, WiSE-FT and rehearsal), and measure how much of task A it keeps, how well it
 * learns B, and how flat the landscape it ends in is.
 *
 * <p>Scores are teacher-forced next-token accuracy (%) on the reference answers of held-out records;
 * flatness is measured on a LoRA-parameter landscape over task-B training records (AG, MAG, SC, see
 * {@link FlatnessMetrics}) and by max-sharpness. WiSE-FT rows reuse each trained adapter, scaled by
 * {@code wiseAlpha} (exact weight-space interpolation, see {@link WiseFt}); rehearsal rows train again
 * with {@code rehearsalRatio} task-A records mixed in.
 *
 * <pre>{@code
 * ForgettingExperiment.Config c = ForgettingExperiment.Config.builder(Path.of("keel-tiny"), Path.of("task-a.jsonl"))
 *         .seeds(1, 2, 3).optimizers(OptimizerChoice.plain(), OptimizerChoice.sam(0.05)).steps(60).build();
 * ForgettingTable t = ForgettingExperiment.run(c, ChatTemplate.plain());
 * System.out.println(t.toMarkdown());
 * }</pre>
 */
public final class ForgettingExperiment {

    private static final Logger LOG = LoggerFactory.getLogger(ForgettingExperiment.class);

    private ForgettingExperiment() {
    }

    /**
     * What to run.
     *
     * @param modelDir        a Hugging Face model directory with {@code tokenizer.json}
     * @param taskA           held-out chat records of the model's existing skills (JSONL)
     * @param taskBTrain      task-B training records (JSONL), or {@code null} for {@link #multiplicationTask}
     * @param taskBEval       task-B held-out records, or {@code null} for generated ones
     * @param rehearsalPool   task-A-like records to mix in for rehearsal rows (JSONL), or {@code null} for none
     * @param fineTune        seeds, training settings (a fixed step count), LoRA configuration and the methods compared
     * @param wiseAlpha       WiSE-FT mixing weight for the {@code +wise} rows; 0 turns them off
     * @param rehearsalRatio  old records per new record for the {@code +rehearsal} rows; 0 turns them off
     * @param generatedTaskB  task-B records to generate when the paths are null (train; eval gets a quarter)
     * @param landscapeGrid   points per axis of the flatness landscape (>= 3), 0 for none
     * @param sharpnessRho    radius of max-sharpness, 0 for none
     * @param plotsDir        where before/after landscape plots go (first seed of each method), or {@code null}
     * @param plotGrid        points per axis of the plots
     */
    public record Config(Path modelDir, Path taskA, Path taskBTrain, Path taskBEval, Path rehearsalPool,
                         FineTuneSettings fineTune, double wiseAlpha, double rehearsalRatio, int generatedTaskB,
                         int landscapeGrid, double sharpnessRho, Path plotsDir, int plotGrid) {

        /**
         * Checks the values.
         *
         * @throws IllegalArgumentException naming the first value out of range
         */
        public Config {
            Preconditions.notNull(modelDir, "modelDir");
            Preconditions.notNull(taskA, "taskA");
            Preconditions.notNull(fineTune, "fineTune");
            int steps = fineTune.training().totalSteps();
            Preconditions.checkArgument(steps > 0, "steps must be > 0 (the runs take a fixed number of steps), was " + steps);
            Preconditions.checkArgument(wiseAlpha >= 0 && wiseAlpha <= 1, "wiseAlpha must be in [0, 1], was " + wiseAlpha);
            Preconditions.checkArgument(rehearsalRatio >= 0, "rehearsalRatio must be >= 0, was " + rehearsalRatio);
            Preconditions.checkArgument(rehearsalRatio == 0 || rehearsalPool != null,
                    "rehearsalRatio " + rehearsalRatio + " needs a rehearsalPool");
            Preconditions.checkArgument(landscapeGrid == 0 || landscapeGrid >= 3,
                    "landscapeGrid must be 0 or >= 3, was " + landscapeGrid);
            Preconditions.checkArgument(plotGrid >= 3, "plotGrid must be >= 3, was " + plotGrid);
            Preconditions.checkArgument(sharpnessRho >= 0, "sharpnessRho must be >= 0, was " + sharpnessRho);
            Preconditions.checkArgument(generatedTaskB >= 8, "generatedTaskB must be >= 8, was " + generatedTaskB);
        }

        /**
         * Starts a configuration; defaults: seeds 1-3, methods none, sam:0.05, sam:0.5, asam:0.5,
         * looksam:0.05:5; 60 steps of lr 1e-3, batch 8; LoRA r 8, alpha 16 on q_proj and v_proj; WiSE-FT
         * 0.5; no rehearsal; 256 generated task-B records; flatness grid 11, max-sharpness rho 0.05; no plots.
         *
         * @param modelDir the model directory
         * @param taskA    the task-A records
         * @return a new builder
         */
        public static Builder builder(Path modelDir, Path taskA) {
            return new Builder(modelDir, taskA);
        }

        /** Builds a {@link Config}. */
        public static final class Builder extends FineTuneSettings.Builder<Builder> {
            private final Path modelDir;
            private final Path taskA;
            private Path taskBTrain;
            private Path taskBEval;
            private Path rehearsalPool;
            private double wiseAlpha = 0.5;
            private double rehearsalRatio;
            private int generatedTaskB = 256;
            private int landscapeGrid = 11;
            private double sharpnessRho = 0.05;
            private Path plotsDir;
            private int plotGrid = 21;

            private Builder(Path modelDir, Path taskA) {
                super(TrainingConfig.builder().totalSteps(60).learningRate(1e-3).batchSize(8).build(),
                        List.of(OptimizerChoice.plain(), OptimizerChoice.sam(0.05), OptimizerChoice.sam(0.5),
                                OptimizerChoice.asam(0.5, OptimizerChoice.DEFAULT_ETA),
                                OptimizerChoice.lookSam(0.05, 5, OptimizerChoice.DEFAULT_LOOK_ALPHA)));
                this.modelDir = modelDir;
                this.taskA = taskA;
            }

            @Override
            protected Builder self() {
                return this;
            }

            /**
             * Task B's records.
             *
             * @param train training records (JSONL), or {@code null} for generated ones
             * @param eval  held-out records (JSONL), or {@code null} for generated ones
             * @return this builder
             */
            public Builder taskB(Path train, Path eval) {
                this.taskBTrain = train;
                this.taskBEval = eval;
                return this;
            }

            /**
             * Adds {@code +rehearsal} rows.
             *
             * @param pool  task-A-like records (JSONL)
             * @param ratio old records per new record, 0 for no rehearsal rows
             * @return this builder
             */
            public Builder rehearsal(Path pool, double ratio) {
                this.rehearsalPool = pool;
                this.rehearsalRatio = ratio;
                return this;
            }

            /**
             * The methods compared, in their command-line forms (see {@link OptimizerChoice#parse}).
             *
             * @param methods e.g. {@code none}, {@code sam:0.05}, {@code looksam:0.05:5}
             * @return this builder
             * @throws IllegalArgumentException naming a method that is none of the accepted forms
             */
            public Builder methods(String... methods) {
                return optimizers(methods);
            }

            /**
             * The WiSE-FT mixing weight of the {@code +wise} rows.
             *
             * @param alpha in [0, 1], 0 for no such rows
             * @return this builder
             */
            public Builder wiseAlpha(double alpha) {
                this.wiseAlpha = alpha;
                return this;
            }

            /**
             * Optimizer steps per run.
             *
             * @param steps &gt; 0
             * @return this builder
             * @throws IllegalArgumentException if {@code steps} is not &gt; 0
             */
            public Builder steps(int steps) {
                Preconditions.checkArgument(steps > 0, "steps must be > 0, was " + steps);
                return training(training().toBuilder().totalSteps(steps).build());
            }

            /**
             * Task-B records to generate where no files are given.
             *
             * @param records &gt;= 8
             * @return this builder
             */
            public Builder generatedTaskB(int records) {
                this.generatedTaskB = records;
                return this;
            }

            /**
             * Points per axis of the flatness landscape.
             *
             * @param n 0 for none, else &gt;= 3
             * @return this builder
             */
            public Builder landscapeGrid(int n) {
                this.landscapeGrid = n;
                return this;
            }

            /**
             * The radius of max-sharpness.
             *
             * @param rho &gt;= 0, 0 for none
             * @return this builder
             */
            public Builder sharpnessRho(double rho) {
                this.sharpnessRho = rho;
                return this;
            }

            /**
             * Before/after landscape plots.
             *
             * @param dir  where they go, or {@code null} for none
             * @param grid points per axis, &gt;= 3
             * @return this builder
             */
            public Builder plots(Path dir, int grid) {
                this.plotsDir = dir;
                this.plotGrid = grid;
                return this;
            }

            /**
             * Builds the configuration.
             *
             * @return the configuration
             * @throws IllegalArgumentException naming the first value out of range
             */
            public Config build() {
                return new Config(modelDir, taskA, taskBTrain, taskBEval, rehearsalPool, fineTune(), wiseAlpha,
                        rehearsalRatio, generatedTaskB, landscapeGrid, sharpnessRho, plotsDir, plotGrid);
            }
        }
    }

    /**
     * Task B, "multiplication in words": {@code What is 7 times 12?} answered {@code 84}. keel-tiny is
     * trained on addition, copying, reversing and facts, never on products, so this is a new skill
     * over tokens it already has (digits are single tokens there). Deterministic for a seed.
     */
    public static List<ChatRecord> multiplicationTask(long seed, int n) {
        Preconditions.checkArgument(n > 0, "n must be > 0, was " + n);
        SplittableRandom r = new SplittableRandom(seed);
        List<ChatRecord> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int a = 2 + r.nextInt(8);
            int b = 2 + r.nextInt(19);
            out.add(ChatRecord.of(null, "What is " + a + " times " + b + "?", Integer.toString(a * b)).withSource("task-b"));
        }
        return out;
    }

    /** Runs the experiment; writes plots (and the table files via {@link #write}) when asked. */
    public static ForgettingTable run(Config c, ChatTemplate template) throws IOException {
        Preconditions.notNull(c, "config");
        Preconditions.notNull(template, "template");
        try (LlamaModel model = LlamaModel.load(c.modelDir(), Devices.defaultDevice());
             LmTokenizer tokenizer = LmTokenizer.load(c.modelDir())) {
            FineTuneSettings ft = c.fineTune();
            long firstSeed = ft.seeds().get(0);
            List<ChatRecord> aRecords = ChatRecord.readAll(c.taskA());
            List<ChatRecord> bTrain = c.taskBTrain() != null ? ChatRecord.readAll(c.taskBTrain())
                    : multiplicationTask(1_000 + firstSeed, c.generatedTaskB());
            List<ChatRecord> bEval = c.taskBEval() != null ? ChatRecord.readAll(c.taskBEval())
                    : multiplicationTask(2_000 + firstSeed, Math.max(8, c.generatedTaskB() / 4));
            List<ChatRecord> pool = c.rehearsalPool() != null ? ChatRecord.readAll(c.rehearsalPool()) : List.of();
            List<TrainingExample> aEx = FineTuneSettings.encode(aRecords, tokenizer, template, model);
            List<TrainingExample> bTrainEx = FineTuneSettings.encode(bTrain, tokenizer, template, model);
            List<TrainingExample> bEvalEx = FineTuneSettings.encode(bEval, tokenizer, template, model);
            LmObjective evalA = LmObjective.of(model, Map.of(), aEx, 32);
            LmObjective evalB = LmObjective.of(model, Map.of(), bEvalEx, 32);
            LmObjective flatData = LmObjective.of(model, Map.of(), bTrainEx.subList(0, Math.min(32, bTrainEx.size())), 32);
            double[] a0 = evalA.evaluate();
            double[] b0 = evalB.evaluate();
            LOG.info(String.format(Locale.ROOT, "before: task A %.2f%% (loss %.3f), task B %.2f%% (loss %.3f)",
                    100 * a0[1], a0[0], 100 * b0[1], b0[0]));
            if (c.plotsDir() != null) {
                Landscape before = LossLandscape.builder().objective(flatData)
                        .parameters(LossLandscape.allParameters(model, null)).grid(c.plotGrid()).seed(7).build().compute();
                before.writePng(c.plotsDir().resolve("landscape-before.png"), "before fine-tuning (all weights)");
                before.writeCsv(c.plotsDir().resolve("landscape-before.csv"));
            }
            int steps = ft.training().totalSteps();
            List<ForgettingTable.Run> runs = new ArrayList<>();
            List<Boolean> rehearsalModes = c.rehearsalRatio() > 0 ? List.of(false, true) : List.of(false);
            for (boolean rehearse : rehearsalModes) {
                for (OptimizerChoice method : ft.optimizers()) {
                    String label = method.spec() + (rehearse ? "+rehearsal" : "");
                    for (long seed : ft.seeds()) {
                        List<TrainingExample> train = bTrainEx;
                        if (rehearse) {
                            train = FineTuneSettings.encode(Rehearsal.mix(bTrain, pool, c.rehearsalRatio(), seed),
                                    tokenizer, template, model);
                        }
                        FineTuneResult r = ft.fit(model, train, method, seed,
                                t -> t.logEvery(Math.max(1, steps / 4)));
                        try (LoraAdapter adapter = r.adapter()) {
                            double[] a1 = evalA.evaluate();
                            double[] b1 = evalB.evaluate();
                            double ag = Double.NaN;
                            double mag = Double.NaN;
                            double sc = Double.NaN;
                            double sharp = Double.NaN;
                            Map<String, Parameter> lora = adapter.parameters();
                            if (c.landscapeGrid() > 0) {
                                Landscape l = LossLandscape.builder().objective(flatData).parameters(lora)
                                        .grid(c.landscapeGrid()).seed(seed).build().compute();
                                ag = l.metrics().ag();
                                mag = l.metrics().mag();
                                sc = l.metrics().sc();
                            }
                            if (c.sharpnessRho() > 0) {
                                sharp = MaxSharpness.of(flatData, lora, c.sharpnessRho(), 5).value();
                            }
                            if (c.plotsDir() != null && seed == firstSeed) {
                                Landscape after = LossLandscape.builder().objective(flatData)
                                        .parameters(LossLandscape.allParameters(model, adapter)).grid(c.plotGrid()).seed(7)
                                        .build().compute();
                                String file = "landscape-after-" + label.replaceAll("[^A-Za-z0-9.+-]", "_");
                                after.writePng(c.plotsDir().resolve(file + ".png"), "after " + label + " (all weights)");
                                after.writeCsv(c.plotsDir().resolve(file + ".csv"));
                            }
                            runs.add(new ForgettingTable.Run(label, seed, 100 * a1[1], a1[0], 100 * b1[1], ag, mag, sc, sharp,
                                    r.gradientPasses(), r.seconds()));
                            LOG.info(String.format(Locale.ROOT, "%s seed %d: task A %.2f%%, task B %.2f%%, AG %.3g, max-sharpness %.3g",
                                    label, seed, 100 * a1[1], 100 * b1[1], ag, sharp));
                            if (c.wiseAlpha() > 0) {
                                Map<String, float[]> tuned = WiseFt.capture(lora);
                                WiseFt.apply(lora, WiseFt.zeroAdapter(tuned), tuned, c.wiseAlpha());
                                double[] a2 = evalA.evaluate();
                                double[] b2 = evalB.evaluate();
                                WiseFt.apply(lora, WiseFt.zeroAdapter(tuned), tuned, 1.0);
                                runs.add(new ForgettingTable.Run(label + "+wise" + c.wiseAlpha(), seed, 100 * a2[1], a2[0],
                                        100 * b2[1], Double.NaN, Double.NaN, Double.NaN, Double.NaN, r.gradientPasses(),
                                        r.seconds()));
                            }
                        }
                    }
                }
            }
            List<String> notes = new ArrayList<>();
            notes.add(String.format(Locale.ROOT, "model %s (%s); task A: %d held-out records (%s); task B: %d train / %d eval records%s",
                    c.modelDir().getFileName(), model.config(), aRecords.size(), c.taskA().getFileName(), bTrain.size(),
                    bEval.size(), c.taskBTrain() == null ? " (multiplication, generated)" : ""));
            notes.add(String.format(Locale.ROOT, "%s; AdamW lr %s, %d steps, batch %d, cosine schedule, clip 1.0",
                    ft.describeLora(), ft.training().learningRate(), steps, ft.training().batchSize()));
            notes.add(String.format(Locale.ROOT, "flatness: LoRA-parameter landscape %dx%d over [-1, 1] on %d task-B training records;"
                    + " max-sharpness rho %s, 5 ascent steps; seeds %s", c.landscapeGrid(), c.landscapeGrid(),
                    flatData.examples().size(), c.sharpnessRho(), ft.seeds()));
            if (c.wiseAlpha() > 0) {
                notes.add("+wise rows: the same adapters scaled to alpha " + c.wiseAlpha() + " (WiSE-FT in weight space)");
            }
            if (c.rehearsalRatio() > 0) {
                notes.add("+rehearsal rows: " + c.rehearsalRatio() + " task-A records per task-B record mixed in");
            }
            Map<String, String> cfg = new LinkedHashMap<>();
            cfg.put("methods", String.join(",", ft.optimizerSpecs()));
            cfg.put("seeds", ft.seeds().toString());
            cfg.put("steps", Integer.toString(steps));
            cfg.put("learningRate", Double.toString(ft.training().learningRate()));
            cfg.put("wiseAlpha", Double.toString(c.wiseAlpha()));
            cfg.put("rehearsalRatio", Double.toString(c.rehearsalRatio()));
            ForgettingTable table = new ForgettingTable(100 * a0[1], 100 * b0[1], ForgettingTable.aggregate(runs), runs, notes,
                    Provenance.of(c.modelDir().toString(), cfg, firstSeed));
            return table;
        }
    }

    /** Writes {@code forgetting.md} and {@code forgetting-runs.csv} into {@code dir}, atomically. */
    public static void write(ForgettingTable table, Path dir) throws IOException {
        Preconditions.notNull(table, "table");
        Preconditions.notNull(dir, "dir");
        AtomicFiles.writeString(dir.resolve("forgetting.md"), table.toMarkdown());
        AtomicFiles.writeString(dir.resolve("forgetting-runs.csv"), table.runsCsv());
    }
}
