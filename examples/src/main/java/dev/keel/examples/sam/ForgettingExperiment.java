package dev.keel.examples.sam;

import dev.keel.sam.LoraFineTuner;
import dev.keel.sam.LossLandscape;
import dev.keel.sam.FineTuneResult;
import dev.keel.sam.Landscape;
import dev.keel.sam.Rehearsal;
import dev.keel.sam.MaxSharpness;
import dev.keel.sam.WiseFt;
import dev.keel.sam.Sam;
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
import dev.keel.core.lm.train.ChatExamples;
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
 *         .seeds(1, 2, 3).methods("none", "sam:0.05", "looksam:0.05:5").steps(60).build();
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
     * @param seeds           one run per seed and method
     * @param methods         {@code none}, {@code sam:RHO}, {@code asam:RHO} or {@code looksam:RHO:K}
     * @param wiseAlpha       WiSE-FT mixing weight for the {@code +wise} rows; 0 turns them off
     * @param rehearsalRatio  old records per new record for the {@code +rehearsal} rows; 0 turns them off
     * @param steps           optimizer steps per run
     * @param learningRate    peak AdamW rate
     * @param batchSize       examples per step
     * @param rank            LoRA rank
     * @param loraAlpha       LoRA alpha
     * @param targets         LoRA target modules
     * @param generatedTaskB  task-B records to generate when the paths are null (train; eval gets a quarter)
     * @param landscapeGrid   points per axis of the flatness landscape (>= 3), 0 for none
     * @param sharpnessRho    radius of max-sharpness, 0 for none
     * @param plotsDir        where before/after landscape plots go (first seed of each method), or {@code null}
     * @param plotGrid        points per axis of the plots
     * @param appendEos       whether to append the model's eos token to each reply (false when the template ends turns itself)
     */
    public record Config(Path modelDir, Path taskA, Path taskBTrain, Path taskBEval, Path rehearsalPool, List<Long> seeds,
                         List<String> methods, double wiseAlpha, double rehearsalRatio, int steps, double learningRate,
                         int batchSize, int rank, double loraAlpha, List<String> targets, int generatedTaskB,
                         int landscapeGrid, double sharpnessRho, Path plotsDir, int plotGrid, boolean appendEos) {

        public Config {
            Preconditions.notNull(modelDir, "modelDir");
            Preconditions.notNull(taskA, "taskA");
            Preconditions.notEmpty(seeds, "seeds");
            Preconditions.notEmpty(methods, "methods");
            seeds = List.copyOf(seeds);
            methods = List.copyOf(methods);
            targets = List.copyOf(targets);
            for (String m : methods) {
                method(m);
            }
            Preconditions.checkArgument(wiseAlpha >= 0 && wiseAlpha <= 1, "wiseAlpha must be in [0, 1], was " + wiseAlpha);
            Preconditions.checkArgument(rehearsalRatio >= 0, "rehearsalRatio must be >= 0, was " + rehearsalRatio);
            Preconditions.checkArgument(rehearsalRatio == 0 || rehearsalPool != null,
                    "rehearsalRatio " + rehearsalRatio + " needs a rehearsalPool");
            Preconditions.checkArgument(steps > 0, "steps must be > 0, was " + steps);
            Preconditions.checkArgument(landscapeGrid == 0 || landscapeGrid >= 3,
                    "landscapeGrid must be 0 or >= 3, was " + landscapeGrid);
            Preconditions.checkArgument(plotGrid >= 3, "plotGrid must be >= 3, was " + plotGrid);
            Preconditions.checkArgument(sharpnessRho >= 0, "sharpnessRho must be >= 0, was " + sharpnessRho);
            Preconditions.checkArgument(generatedTaskB >= 8, "generatedTaskB must be >= 8, was " + generatedTaskB);
        }

        /** Defaults: seeds 1-3, methods none, sam:0.05, sam:0.5, asam:0.5, looksam:0.05:5; WiSE-FT 0.5; 60 steps. */
        public static Builder builder(Path modelDir, Path taskA) {
            return new Builder(modelDir, taskA);
        }

        /** Builds a {@link Config}. */
        public static final class Builder {
            private final Path modelDir;
            private final Path taskA;
            private Path taskBTrain;
            private Path taskBEval;
            private Path rehearsalPool;
            private List<Long> seeds = List.of(1L, 2L, 3L);
            private List<String> methods = List.of("none", "sam:0.05", "sam:0.5", "asam:0.5", "looksam:0.05:5");
            private double wiseAlpha = 0.5;
            private double rehearsalRatio;
            private int steps = 60;
            private double learningRate = 1e-3;
            private int batchSize = 8;
            private int rank = 8;
            private double loraAlpha = 16;
            private List<String> targets = List.of("q_proj", "v_proj");
            private int generatedTaskB = 256;
            private int landscapeGrid = 11;
            private double sharpnessRho = 0.05;
            private Path plotsDir;
            private int plotGrid = 21;
            private boolean appendEos = true;

            private Builder(Path modelDir, Path taskA) {
                this.modelDir = modelDir;
                this.taskA = taskA;
            }

            public Builder taskB(Path train, Path eval) {
                this.taskBTrain = train;
                this.taskBEval = eval;
                return this;
            }

            public Builder rehearsal(Path pool, double ratio) {
                this.rehearsalPool = pool;
                this.rehearsalRatio = ratio;
                return this;
            }

            public Builder seeds(long... seeds) {
                List<Long> s = new ArrayList<>();
                for (long x : seeds) {
                    s.add(x);
                }
                this.seeds = s;
                return this;
            }

            public Builder methods(String... methods) {
                this.methods = List.of(methods);
                return this;
            }

            public Builder wiseAlpha(double alpha) {
                this.wiseAlpha = alpha;
                return this;
            }

            public Builder steps(int steps) {
                this.steps = steps;
                return this;
            }

            public Builder learningRate(double lr) {
                this.learningRate = lr;
                return this;
            }

            public Builder batchSize(int size) {
                this.batchSize = size;
                return this;
            }

            public Builder lora(int rank, double alpha, String... targets) {
                this.rank = rank;
                this.loraAlpha = alpha;
                if (targets.length > 0) {
                    this.targets = List.of(targets);
                }
                return this;
            }

            public Builder generatedTaskB(int records) {
                this.generatedTaskB = records;
                return this;
            }

            public Builder landscapeGrid(int n) {
                this.landscapeGrid = n;
                return this;
            }

            public Builder sharpnessRho(double rho) {
                this.sharpnessRho = rho;
                return this;
            }

            public Builder plots(Path dir, int grid) {
                this.plotsDir = dir;
                this.plotGrid = grid;
                return this;
            }

            public Builder appendEos(boolean append) {
                this.appendEos = append;
                return this;
            }

            public Config build() {
                return new Config(modelDir, taskA, taskBTrain, taskBEval, rehearsalPool, seeds, methods, wiseAlpha,
                        rehearsalRatio, steps, learningRate, batchSize, rank, loraAlpha, targets, generatedTaskB,
                        landscapeGrid, sharpnessRho, plotsDir, plotGrid, appendEos);
            }
        }
    }

    /** A parsed method: the SAM variant (null for none), rho and LookSAM's k. */
    record Method(Sam.Variant variant, double rho, int k) {
    }

    static Method method(String spec) {
        Preconditions.notBlank(spec, "method");
        String[] p = spec.trim().toLowerCase(Locale.ROOT).split(":");
        try {
            switch (p[0]) {
                case "none":
                    Preconditions.checkArgument(p.length == 1, "none takes no arguments");
                    return new Method(null, 0, 0);
                case "sam":
                case "asam":
                    Preconditions.checkArgument(p.length == 2, "expected " + p[0] + ":RHO");
                    double rho = Double.parseDouble(p[1]);
                    Preconditions.checkArgument(rho > 0, "rho must be > 0, was " + rho);
                    return new Method(p[0].equals("sam") ? Sam.Variant.SAM : Sam.Variant.ASAM, rho, 0);
                case "looksam":
                    Preconditions.checkArgument(p.length == 3, "expected looksam:RHO:K");
                    double r = Double.parseDouble(p[1]);
                    int k = Integer.parseInt(p[2]);
                    Preconditions.checkArgument(r > 0 && k >= 1, "rho must be > 0 and k >= 1, were " + r + " and " + k);
                    return new Method(Sam.Variant.LOOKSAM, r, k);
                default:
                    throw new IllegalArgumentException("unknown method");
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("method \"" + spec + "\" is not none, sam:RHO, asam:RHO or looksam:RHO:K ("
                    + e.getMessage() + ")", e);
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
            long eos = c.appendEos() ? model.config().eosTokenId() : -1;
            List<ChatRecord> aRecords = ChatRecord.readAll(c.taskA());
            List<ChatRecord> bTrain = c.taskBTrain() != null ? ChatRecord.readAll(c.taskBTrain())
                    : multiplicationTask(1_000 + c.seeds().get(0), c.generatedTaskB());
            List<ChatRecord> bEval = c.taskBEval() != null ? ChatRecord.readAll(c.taskBEval())
                    : multiplicationTask(2_000 + c.seeds().get(0), Math.max(8, c.generatedTaskB() / 4));
            List<ChatRecord> pool = c.rehearsalPool() != null ? ChatRecord.readAll(c.rehearsalPool()) : List.of();
            List<TrainingExample> aEx = ChatExamples.encodeAll(aRecords, tokenizer, template, eos);
            List<TrainingExample> bTrainEx = ChatExamples.encodeAll(bTrain, tokenizer, template, eos);
            List<TrainingExample> bEvalEx = ChatExamples.encodeAll(bEval, tokenizer, template, eos);
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
            List<ForgettingTable.Run> runs = new ArrayList<>();
            List<Boolean> rehearsalModes = c.rehearsalRatio() > 0 ? List.of(false, true) : List.of(false);
            for (boolean rehearse : rehearsalModes) {
                for (String spec : c.methods()) {
                    Method m = method(spec);
                    String label = spec + (rehearse ? "+rehearsal" : "");
                    for (long seed : c.seeds()) {
                        List<TrainingExample> train = bTrainEx;
                        if (rehearse) {
                            train = ChatExamples.encodeAll(Rehearsal.mix(bTrain, pool, c.rehearsalRatio(), seed),
                                    tokenizer, template, eos);
                        }
                        LoraFineTuner.Builder tb = LoraFineTuner.builder().model(model).data(train)
                                .lora(c.rank(), c.loraAlpha(), c.targets().toArray(new String[0]))
                                .totalSteps(c.steps()).learningRate(c.learningRate()).batchSize(c.batchSize())
                                .seed(seed).logEvery(Math.max(1, c.steps() / 4));
                        if (m.variant() == Sam.Variant.SAM) {
                            tb.sam(m.rho());
                        } else if (m.variant() == Sam.Variant.ASAM) {
                            tb.asam(m.rho(), 0.01);
                        } else if (m.variant() == Sam.Variant.LOOKSAM) {
                            tb.lookSam(m.rho(), m.k(), 0.7);
                        }
                        FineTuneResult r = tb.build().fit();
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
                            if (c.plotsDir() != null && seed == c.seeds().get(0)) {
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
            notes.add(String.format(Locale.ROOT, "LoRA r=%d alpha=%s on %s; AdamW lr %s, %d steps, batch %d, cosine schedule, clip 1.0",
                    c.rank(), c.loraAlpha(), c.targets(), c.learningRate(), c.steps(), c.batchSize()));
            notes.add(String.format(Locale.ROOT, "flatness: LoRA-parameter landscape %dx%d over [-1, 1] on %d task-B training records;"
                    + " max-sharpness rho %s, 5 ascent steps; seeds %s", c.landscapeGrid(), c.landscapeGrid(),
                    flatData.examples().size(), c.sharpnessRho(), c.seeds()));
            if (c.wiseAlpha() > 0) {
                notes.add("+wise rows: the same adapters scaled to alpha " + c.wiseAlpha() + " (WiSE-FT in weight space)");
            }
            if (c.rehearsalRatio() > 0) {
                notes.add("+rehearsal rows: " + c.rehearsalRatio() + " task-A records per task-B record mixed in");
            }
            Map<String, String> cfg = new LinkedHashMap<>();
            cfg.put("methods", String.join(",", c.methods()));
            cfg.put("seeds", c.seeds().toString());
            cfg.put("steps", Integer.toString(c.steps()));
            cfg.put("learningRate", Double.toString(c.learningRate()));
            cfg.put("wiseAlpha", Double.toString(c.wiseAlpha()));
            cfg.put("rehearsalRatio", Double.toString(c.rehearsalRatio()));
            ForgettingTable table = new ForgettingTable(100 * a0[1], 100 * b0[1], ForgettingTable.aggregate(runs), runs, notes,
                    Provenance.of(c.modelDir().toString(), cfg, c.seeds().get(0)));
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
