package dev.keel.examples.sam;

import dev.keel.core.internal.ProvenanceJson;
import dev.keel.sam.LoraFineTuner;
import dev.keel.sam.LossLandscape;
import dev.keel.sam.FineTuneResult;
import dev.keel.sam.Landscape;
import dev.keel.sam.MaxSharpness;
import dev.keel.sam.OptimizerChoice;
import dev.keel.sam.LmObjective;

import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.Provenance;
import dev.keel.core.internal.AtomicFiles;
import dev.keel.core.chat.ChatRecord;
import dev.keel.core.internal.Json;
import dev.keel.core.device.Devices;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.generate.ChatTemplate;
import dev.keel.core.lm.generate.LmTokenizer;
import dev.keel.core.lm.lora.LoraAdapter;
import dev.keel.core.lm.lora.LoraConfig;
import dev.keel.core.lm.train.TrainingConfig;
import dev.keel.core.lm.train.TrainingExample;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The static entry points behind {@code keel sam landscape | forgetting} ({@link #train} is the library form of {@code keel train}). Each loads what it
 * needs from a Hugging Face model directory ({@code config.json}, safetensors, {@code tokenizer.json}),
 * writes its outputs atomically and returns a summary for the command to print.
 */
public final class SamCommands {

    private SamCommands() {
    }

    /**
     * Options of {@link #train}.
     *
     * @param training  the training loop's settings (epochs or steps, rate, batch, seed)
     * @param lora      the adapter's configuration
     * @param optimizer plain, SAM, ASAM or LookSAM
     * @param template  the chat template the model was trained with (it says whether replies get an eos token)
     */
    public record TrainOptions(TrainingConfig training, LoraConfig lora, OptimizerChoice optimizer, ChatTemplate template) {

        /**
         * Checks the values.
         *
         * @throws IllegalArgumentException if a value is null
         */
        public TrainOptions {
            Preconditions.notNull(training, "training");
            Preconditions.notNull(lora, "lora");
            Preconditions.notNull(optimizer, "optimizer");
            Preconditions.notNull(template, "template");
        }

        /**
         * The defaults: r 8, alpha 16, q_proj/v_proj, sam:0.05, 1 epoch, lr 2e-4, batch 8, seed 42, plain template.
         *
         * @return the default options
         */
        public static TrainOptions defaults() {
            return new TrainOptions(TrainingConfig.builder().seed(42).build(), LoraFineTuner.DEFAULT_LORA,
                    OptimizerChoice.sam(0.05), ChatTemplate.plain());
        }

        /**
         * These options with another optimizer.
         *
         * @param m the optimizer's command-line form (see {@link OptimizerChoice#parse})
         * @return the new options
         * @throws IllegalArgumentException naming {@code m} if it is none of the accepted forms
         */
        public TrainOptions withMethod(String m) {
            return new TrainOptions(training, lora, OptimizerChoice.parse(m), template);
        }

        /**
         * These options with a fixed step count.
         *
         * @param s optimizer steps, or 0 to keep deriving them from the epochs
         * @return the new options
         * @throws IllegalArgumentException if {@code s} is negative
         */
        public TrainOptions withSteps(int s) {
            Preconditions.checkArgument(s >= 0, "steps must be >= 0, was " + s);
            return s == 0 ? this : new TrainOptions(training.toBuilder().totalSteps(s).build(), lora, optimizer, template);
        }

        /**
         * These options with another chat template.
         *
         * @param t the template
         * @return the new options
         */
        public TrainOptions withTemplate(ChatTemplate t) {
            return new TrainOptions(training, lora, optimizer, t);
        }
    }

    /**
     * What {@link #train} did.
     *
     * @param adapterDir     where the PEFT adapter went
     * @param optimizer      e.g. {@code sam(rho=0.05)+adamw}
     * @param steps          steps taken
     * @param finalLoss      the last step's loss
     * @param gradientPasses gradient passes in total
     * @param seconds        training time
     */
    public record TrainReport(Path adapterDir, String optimizer, int steps, float finalLoss, long gradientPasses,
                              double seconds) {
    }

    /**
     * Fine-tunes a LoRA adapter on chat records (JSONL) and writes it in PEFT layout to {@code outDir},
     * with {@code metrics.csv} (per step) and {@code training.json} (summary and provenance).
     */
    public static TrainReport train(Path modelDir, Path data, Path outDir, TrainOptions options) throws IOException {
        Preconditions.notNull(modelDir, "modelDir");
        Preconditions.notNull(data, "data");
        Preconditions.notNull(outDir, "outDir");
        Preconditions.notNull(options, "options");
        try (LlamaModel model = LlamaModel.load(modelDir, Devices.defaultDevice());
             LmTokenizer tokenizer = LmTokenizer.load(modelDir)) {
            FineTuneResult r = LoraFineTuner.builder(model, ChatRecord.readAll(data), tokenizer, options.template())
                    .training(options.training()).lora(options.lora()).optimizer(options.optimizer()).build().fit();
            try (LoraAdapter adapter = r.adapter()) {
                adapter.save(outDir);
            }
            AtomicFiles.writeString(outDir.resolve("metrics.csv"), r.historyCsv());
            ObjectNode o = Json.mapper().createObjectNode();
            o.put("optimizer", r.optimizer());
            o.put("steps", r.training().steps());
            o.put("status", r.training().status().name());
            o.put("final_loss", r.finalLoss());
            o.put("gradient_passes", r.gradientPasses());
            o.put("seconds", r.seconds());
            o.set("provenance", ProvenanceJson.toJson(r.training().provenance()));
            AtomicFiles.writeString(outDir.resolve("training.json"),
                    Json.toPrettyString(o));
            return new TrainReport(outDir, r.optimizer(), r.training().steps(), r.finalLoss(), r.gradientPasses(), r.seconds());
        }
    }

    /**
     * Options of {@link #landscape}.
     *
     * @param grid           points per axis (>= 3)
     * @param min            lower end of both axes
     * @param max            upper end of both axes
     * @param seed           the seed of the directions
     * @param loraOnly       move only the adapter's parameters (needs an adapter); otherwise every weight
     * @param maxExamples    records of the data used (the first ones), > 0
     * @param sharpnessRho   radius of max-sharpness, 0 to skip it
     * @param sharpnessSteps ascent steps of max-sharpness
     * @param template       the chat template the model was trained with (it says whether replies get an eos token)
     */
    public record LandscapeOptions(int grid, double min, double max, long seed, boolean loraOnly, int maxExamples,
                                   double sharpnessRho, int sharpnessSteps, ChatTemplate template) {

        /**
         * Checks the values.
         *
         * @throws IllegalArgumentException naming the first value out of range
         */
        public LandscapeOptions {
            Preconditions.checkArgument(grid >= 3, "grid must be >= 3 points per axis, was " + grid);
            Preconditions.checkArgument(min < max, "range must have min < max, was [" + min + ", " + max + "]");
            Preconditions.checkArgument(maxExamples > 0, "maxExamples must be > 0, was " + maxExamples);
            Preconditions.checkArgument(sharpnessRho >= 0, "sharpnessRho must be >= 0, was " + sharpnessRho);
            Preconditions.checkArgument(sharpnessSteps >= 1, "sharpnessSteps must be >= 1, was " + sharpnessSteps);
            Preconditions.notNull(template, "template");
        }

        /**
         * The defaults: 51 x 51 over [-1, 1], seed 7, all weights, 32 records, max-sharpness rho 0.05 in
         * 5 steps, plain template.
         *
         * @return the default options
         */
        public static LandscapeOptions defaults() {
            return new LandscapeOptions(51, -1, 1, 7, false, 32, 0.05, 5, ChatTemplate.plain());
        }

        /**
         * These options with another grid size.
         *
         * @param n points per axis, &gt;= 3
         * @return the new options
         * @throws IllegalArgumentException if {@code n} is below 3
         */
        public LandscapeOptions withGrid(int n) {
            return new LandscapeOptions(n, min, max, seed, loraOnly, maxExamples, sharpnessRho, sharpnessSteps, template);
        }

        /**
         * These options moving only the adapter's weights, or all.
         *
         * @param lora whether only the adapter's weights move
         * @return the new options
         */
        public LandscapeOptions withLoraOnly(boolean lora) {
            return new LandscapeOptions(grid, min, max, seed, lora, maxExamples, sharpnessRho, sharpnessSteps, template);
        }

        /**
         * These options with another chat template.
         *
         * @param t the template
         * @return the new options
         */
        public LandscapeOptions withTemplate(ChatTemplate t) {
            return new LandscapeOptions(grid, min, max, seed, loraOnly, maxExamples, sharpnessRho, sharpnessSteps, t);
        }
    }

    /**
     * What {@link #landscape} measured.
     *
     * @param landscape the grid and its metrics
     * @param sharpness max-sharpness, or {@code null} when skipped
     * @param png       the plot
     * @param csv       the grid
     * @param json      metrics and provenance
     */
    public record LandscapeReport(Landscape landscape, MaxSharpness sharpness, Path png, Path csv, Path json) {
    }

    /**
     * The loss landscape of a model (with an adapter if {@code adapterDirOrNull} is set) on chat records:
     * writes {@code outPng}, the grid as CSV next to it ({@code .csv}) and the metrics as JSON ({@code .json}).
     */
    public static LandscapeReport landscape(Path modelDir, Path adapterDirOrNull, Path data, Path outPng,
                                            LandscapeOptions options) throws IOException {
        return landscape(modelDir, adapterDirOrNull, data, outPng, options, done -> { });
    }

    /**
     * {@link #landscape(Path, Path, Path, Path, LandscapeOptions)} that reports the grid points
     * evaluated so far (of {@code grid^2}) to {@code progress}.
     *
     * @param modelDir         the model directory
     * @param adapterDirOrNull an adapter directory, or null
     * @param data             chat records the loss is measured on
     * @param outPng           the plot
     * @param options          the grid and its settings
     * @param progress         receives 1, 2, ..., {@code grid^2}
     * @return what was measured and written
     * @throws IOException if a file cannot be read or written
     */
    public static LandscapeReport landscape(Path modelDir, Path adapterDirOrNull, Path data, Path outPng,
                                            LandscapeOptions options, java.util.function.LongConsumer progress) throws IOException {
        Preconditions.notNull(modelDir, "modelDir");
        Preconditions.notNull(progress, "progress");
        Preconditions.notNull(data, "data");
        Preconditions.notNull(outPng, "outPng");
        Preconditions.notNull(options, "options");
        Preconditions.checkArgument(!options.loraOnly() || adapterDirOrNull != null,
                "a LoRA-only landscape needs an adapter directory");
        try (LlamaModel model = LlamaModel.load(modelDir, Devices.defaultDevice());
             LmTokenizer tokenizer = LmTokenizer.load(modelDir);
             LoraAdapter adapter = adapterDirOrNull == null ? null : LoraAdapter.load(model, adapterDirOrNull)) {
            List<ChatRecord> records = ChatRecord.readAll(data);
            records = records.subList(0, Math.min(records.size(), options.maxExamples()));
            List<TrainingExample> examples = FineTuneSettings.encode(records, tokenizer, options.template(), model);
            LmObjective objective = LmObjective.of(model, Map.of(), examples, 32);
            Map<String, Parameter> params = options.loraOnly() ? adapter.parameters()
                    : LossLandscape.allParameters(model, adapter);
            Landscape l = LossLandscape.builder().objective(objective).parameters(params).grid(options.grid())
                    .range(options.min(), options.max()).seed(options.seed()).progress(progress).build().compute();
            MaxSharpness s = options.sharpnessRho() > 0
                    ? MaxSharpness.of(objective, params, options.sharpnessRho(), options.sharpnessSteps()) : null;
            String name = outPng.getFileName().toString();
            String stem = name.toLowerCase(java.util.Locale.ROOT).endsWith(".png") ? name.substring(0, name.length() - 4) : name;
            Path csv = outPng.resolveSibling(stem + ".csv");
            Path json = outPng.resolveSibling(stem + ".json");
            l.writePng(outPng, modelDir.getFileName() + (adapterDirOrNull != null ? " + " + adapterDirOrNull.getFileName() : "")
                    + (options.loraOnly() ? " (LoRA parameters)" : " (all weights)"));
            l.writeCsv(csv);
            ObjectNode o = Json.mapper().createObjectNode();
            o.put("base_loss", l.baseLoss());
            o.put("ag", l.metrics().ag());
            o.put("mag", l.metrics().mag());
            o.put("sc", l.metrics().sc());
            if (s != null) {
                o.put("max_sharpness", s.value());
                o.put("max_sharpness_rho", s.rho());
                o.put("max_sharpness_steps", s.steps());
            }
            o.put("metric_formulas", "AG = mean sqrt((Za^2 + Zb^2) / 2), MAG = mean (|Za| + |Zb|) / 2, SC = mean |Zaa + Zbb|"
                    + " (Keel's definitions; finite differences on the grid)");
            o.set("provenance", ProvenanceJson.toJson(l.provenance()));
            AtomicFiles.writeString(json, Json.toPrettyString(o));
            return new LandscapeReport(l, s, outPng, csv, json);
        }
    }

    /**
     * Runs the forgetting experiment and writes {@code forgetting.md} and {@code forgetting-runs.csv}
     * to {@code outDir} (plots go where the config says).
     */
    public static ForgettingTable forgetting(ForgettingExperiment.Config config, ChatTemplate template, Path outDir)
            throws IOException {
        Preconditions.notNull(outDir, "outDir");
        ForgettingTable t = ForgettingExperiment.run(config, template);
        ForgettingExperiment.write(t, outDir);
        return t;
    }
}
