package dev.keel.examples.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.chat.ChatRecord;
import dev.keel.core.device.Devices;
import dev.keel.core.internal.AtomicFiles;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.JsonLines;
import dev.keel.core.internal.ProvenanceJson;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.generate.ChatTemplate;
import dev.keel.core.lm.generate.LmTokenizer;
import dev.keel.core.lm.lora.LoraAdapter;
import dev.keel.core.lm.lora.LoraConfig;
import dev.keel.core.lm.train.ChatExamples;
import dev.keel.core.lm.train.LrSchedule;
import dev.keel.core.lm.train.TrainingConfig;
import dev.keel.core.lm.train.TrainingExample;
import dev.keel.core.lm.train.TrainingListener;
import dev.keel.core.lm.train.TrainingResult;
import dev.keel.sam.FineTuneResult;
import dev.keel.sam.LoraFineTuner;
import dev.keel.sam.OptimizerChoice;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code keel train}: LoRA fine-tuning on OpenAI chat JSONL with AdamW, SAM, ASAM or LookSAM, saving
 * a PEFT adapter with {@code metrics.csv} and {@code training.json} beside it; checkpoints and
 * resume with {@code --checkpoint-dir}/{@code --resume}. It replaces {@code lora-train} (the same
 * job with {@code --optimizer adamw}) and {@code sam train}.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fine-tune a LoRA adapter on OpenAI chat JSONL (loss on the last assistant reply) with AdamW, SAM, ASAM or "
                + "LookSAM, and write it in PEFT layout: --out holds adapter_config.json, adapter_model.safetensors, metrics.csv "
                + "(per step of this run) and training.json (status, every step's loss, provenance).",
                "Divergence (a non-finite loss or gradient, or the last step's loss above --max-loss-growth times the first) "
                        + "fails with exit code 5: no adapter is written, the last good checkpoint is kept.",
                "With --checkpoint-dir, a checkpoint is written atomically every --checkpoint-every steps and at the end; "
                        + "--resume continues from the latest one, refusing settings that differ from the checkpoint's "
                        + "(each field named with both values) unless --allow-config-change."})
final class TrainCommand extends CheckedCommand {

    @Option(names = "--model", paramLabel = "DIR", defaultValue = Cli.BUNDLED,
            description = "base model directory, or keel-tiny for the bundled model (default: ${DEFAULT-VALUE})")
    Path model;
    @Option(names = "--in", required = true, paramLabel = "FILE", description = "training data, OpenAI chat JSONL (- for standard input)")
    Path in;
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "adapter directory, written only when training succeeds")
    Path out;
    @Option(names = "--optimizer", defaultValue = "adamw", paramLabel = "NAME",
            description = "adamw, sam, asam or looksam (SAM variants wrap AdamW) (default: ${DEFAULT-VALUE})")
    String optimizer;
    @Option(names = "--rho", defaultValue = "0.05", description = "SAM/ASAM/LookSAM radius (default: ${DEFAULT-VALUE})")
    double rho;
    @Option(names = "--eta", defaultValue = "" + OptimizerChoice.DEFAULT_ETA, description = "ASAM's eta (default: ${DEFAULT-VALUE})")
    double eta;
    @Option(names = "--looksam-k", defaultValue = "5", paramLabel = "K", description = "LookSAM: a full SAM step every K steps (default: ${DEFAULT-VALUE})")
    int lookSamK;
    @Option(names = "--looksam-alpha", defaultValue = "" + OptimizerChoice.DEFAULT_LOOK_ALPHA, paramLabel = "ALPHA",
            description = "LookSAM: weight of the reused direction (default: ${DEFAULT-VALUE})")
    double lookSamAlpha;
    @Option(names = "--epochs", defaultValue = "3", description = "epochs, when --steps is 0 (default: ${DEFAULT-VALUE})")
    int epochs;
    @Option(names = "--steps", defaultValue = "0", description = "optimizer steps; 0 = from --epochs (default: ${DEFAULT-VALUE})")
    int steps;
    @Option(names = "--lr", defaultValue = "2e-4", description = "peak learning rate (default: ${DEFAULT-VALUE})")
    double lr;
    @Option(names = "--batch-size", defaultValue = "8", description = "sequences per step (default: ${DEFAULT-VALUE})")
    int batchSize;
    @Option(names = "--rank", defaultValue = "8", description = "LoRA rank r (default: ${DEFAULT-VALUE})")
    int rank;
    @Option(names = "--alpha", defaultValue = "16", description = "LoRA alpha (default: ${DEFAULT-VALUE})")
    double alpha;
    @Option(names = "--targets", defaultValue = "q_proj,v_proj", split = ",", paramLabel = "MODULES",
            description = "modules to adapt, comma-separated, or all-linear (default: ${DEFAULT-VALUE})")
    List<String> targets;
    @Option(names = "--template", defaultValue = "auto", paramLabel = "NAME", description = "chat template: auto, tiny, plain or llama2 (default: ${DEFAULT-VALUE})")
    String template;
    @Option(names = "--seed", defaultValue = "42", description = "seed of the adapter's initialisation, batch order and dropout (default: ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--max-loss-growth", defaultValue = "2.0", paramLabel = "X",
            description = "divergence when the last step's loss exceeds X times the first step's; 0 turns the check off (default: ${DEFAULT-VALUE})")
    double maxLossGrowth;
    @Option(names = "--checkpoint-dir", paramLabel = "DIR", description = "write checkpoints here (step-NNNNNN/ and a latest pointer)")
    Path checkpointDir;
    @Option(names = "--checkpoint-every", defaultValue = "10", paramLabel = "N", description = "checkpoint every N steps, and at the end; with looksam a multiple of --looksam-k (default: ${DEFAULT-VALUE})")
    int checkpointEvery;
    @Option(names = "--resume", description = "continue from the latest checkpoint in --checkpoint-dir")
    boolean resume;
    @Option(names = "--allow-config-change", description = "let --resume continue although settings differ from the checkpoint's")
    boolean allowConfigChange;
    @Option(names = "--interrupt-after-step", hidden = true, paramLabel = "N",
            description = "for tests: fail as a killed run would, right after the checkpoint of step N is written")
    Integer interruptAfter;

    /** The optimizer the options name. */
    OptimizerChoice optimizerChoice(CommandLine cl) {
        try {
            return switch (optimizer.toLowerCase(Locale.ROOT)) {
                case "adamw" -> OptimizerChoice.plain();
                case "sam" -> OptimizerChoice.sam(rho);
                case "asam" -> OptimizerChoice.asam(rho, eta);
                case "looksam" -> OptimizerChoice.lookSam(rho, lookSamK, lookSamAlpha);
                default -> throw new CommandLine.ParameterException(cl, "--optimizer must be adamw, sam, asam or looksam, was " + optimizer);
            };
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "--optimizer " + optimizer + ": " + e.getMessage(), e);
        }
    }

    private void check(CommandLine cl) {
        positive(cl, "--epochs", epochs);
        positive(cl, "--batch-size", batchSize);
        positive(cl, "--rank", rank);
        positive(cl, "--checkpoint-every", checkpointEvery);
        if (steps < 0) {
            throw new CommandLine.ParameterException(cl, "--steps must be >= 0, was " + steps);
        }
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw new CommandLine.ParameterException(cl, "--lr must be > 0, was " + lr);
        }
        if (!(alpha > 0)) {
            throw new CommandLine.ParameterException(cl, "--alpha must be > 0, was " + alpha);
        }
        if (!(maxLossGrowth >= 0) || Double.isInfinite(maxLossGrowth) || (maxLossGrowth > 0 && maxLossGrowth < 1)) {
            throw new CommandLine.ParameterException(cl, "--max-loss-growth must be 0 (off) or >= 1, was " + maxLossGrowth);
        }
        if (resume && checkpointDir == null) {
            throw new CommandLine.ParameterException(cl, "--resume needs --checkpoint-dir");
        }
        if (checkpointDir != null && optimizer.equalsIgnoreCase("looksam") && lookSamK > 0 && checkpointEvery % lookSamK != 0) {
            // LookSAM's reused direction is not in a checkpoint; from a step that is a multiple of K the resumed
            // run takes its ascent where the uninterrupted one does and continues exactly, from any other it would not
            throw new CommandLine.ParameterException(cl, "--checkpoint-every must be a multiple of --looksam-k with "
                    + "--optimizer looksam, so that a resume continues exactly; was " + checkpointEvery + " with --looksam-k " + lookSamK);
        }
        if (allowConfigChange && !resume) {
            throw new CommandLine.ParameterException(cl, "--allow-config-change applies to --resume only");
        }
    }

    private static void positive(CommandLine cl, String option, int v) {
        if (v <= 0) {
            throw new CommandLine.ParameterException(cl, option + " must be > 0, was " + v);
        }
    }

    @Override
    int run(CommandLine cl) throws Exception {
        check(cl);
        OptimizerChoice choice = optimizerChoice(cl);
        Path dir = Cli.model(cl, "--model", model);
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new CommandLine.ParameterException(cl, "--out " + out + ": exists and is not a directory");
        }
        Cli.refuseInside(cl, "--out", dir, out, "--model");
        if (checkpointDir != null) {
            Cli.refuseInside(cl, "--checkpoint-dir", dir, checkpointDir, "--model");
            if (!resume && Files.exists(checkpointDir.resolve("latest"))) {
                throw new CommandLine.ParameterException(cl, "--checkpoint-dir " + checkpointDir
                        + " holds checkpoints already: pass --resume to continue them, or choose another directory");
            }
        }
        ChatTemplate t = ChatCommand.template(cl, template, dir);
        try (Cli.Input input = Cli.input(cl, "--in", in)) {
            Cli.refuse(cl, "--out", List.of(input.path()), out);
            String name = input.isStdin() ? "standard input" : in.toString();
            List<ChatRecord> records = ChatRecord.readAll(input.path());
            List<Long> lines = new ArrayList<>();
            JsonLines.forEach(input.path(), n -> n, (n, line) -> lines.add(line));
            if (records.isEmpty()) {
                throw new CommandLine.ParameterException(cl, "--in " + name + ": no records");
            }
            String sha = sha256(input.path());
            return train(cl, dir, t, choice, records, lines, name, sha);
        }
    }

    private int train(CommandLine cl, Path dir, ChatTemplate t, OptimizerChoice choice, List<ChatRecord> records,
                      List<Long> lines, String name, String sha) throws IOException {
        try (LlamaModel base = LlamaModel.load(dir, Devices.defaultDevice());
             LmTokenizer tok = LmTokenizer.load(dir)) {
            tok.checkCompatible(base.config().vocabSize());
            List<TrainingExample> examples;
            try {
                examples = ChatExamples.encodeAll(records, tok, t, t.endOfReplyToken(base.config().eosTokenId()),
                        i -> name + " line " + lines.get(i));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, "--in " + e.getMessage(), e);
            }
            int total = steps > 0 ? steps : epochs * ((examples.size() + batchSize - 1) / batchSize);
            TrainingConfig tc;
            LoraConfig lc;
            try {
                TrainingConfig.Builder b = TrainingConfig.builder().learningRate(lr).batchSize(batchSize)
                        .warmupSteps(Math.min(10, total / 10)).schedule(LrSchedule.COSINE).maxGradNorm(1.0)
                        .padTokenId(Math.max(0, base.config().eosTokenId())).seed(seed)
                        .checkpointEvery(checkpointEvery).logEvery(Math.max(1, total / 10));
                tc = (steps > 0 ? b.totalSteps(steps) : b.epochs(epochs)).build();
                lc = LoraConfig.builder().rank(rank).alpha(alpha).targetModules(targets.toArray(String[]::new))
                        .baseModel(dir.toAbsolutePath().normalize().toString()).build();
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, e.getMessage(), e);
            }
            Map<String, String> run = new LinkedHashMap<>();
            run.put("model", dir.toAbsolutePath().normalize().toString());
            run.put("dataSha256", sha);
            run.put("template", template);
            ProgressBar bar = Cli.progress(cl, "train", total);
            LoraFineTuner.Builder fb = LoraFineTuner.builder(base, examples).training(tc).lora(lc).optimizer(choice)
                    .checkpointDir(checkpointDir).resume(resume).allowConfigChange(allowConfigChange).runSettings(run)
                    .listener(new TrainingListener() {
                        @Override
                        public void onStep(Progress p) {
                            bar.update(p.step());
                        }

                        @Override
                        public void onCheckpoint(int step, Path checkpoint) {
                            if (interruptAfter != null && step >= interruptAfter) {
                                throw new IllegalStateException("interrupted after step " + step + " (--interrupt-after-step)");
                            }
                        }
                    });
            FineTuneResult r;
            try {
                r = fb.build().fit();
            } catch (IllegalArgumentException e) {
                if (e.getMessage() != null && e.getMessage().startsWith("cannot resume")) {
                    throw new CommandLine.ParameterException(cl, "--resume: " + e.getMessage().replace(
                            "allow the change explicitly", "pass --allow-config-change"), e);
                }
                throw e;
            }
            try (LoraAdapter adapter = r.adapter()) {
                TrainingResult tr = r.training();
                String diverged = divergence(tr);
                if (diverged != null) {
                    String kept = tr.status() == TrainingResult.Status.DIVERGED
                            ? "last good checkpoint: " + (tr.lastCheckpoint() == null ? "none" : tr.lastCheckpoint())
                            : "the latest checkpoint (" + (tr.lastCheckpoint() == null ? "none" : tr.lastCheckpoint())
                            + ") holds the blown-up weights; resume from an earlier one";
                    throw new Cli.DivergedException(diverged + "; no adapter written to " + out + ", " + kept);
                }
                adapter.save(out);
                AtomicFiles.writeString(out.resolve("metrics.csv"), r.historyCsv());
                AtomicFiles.writeString(out.resolve("training.json"), Json.toPrettyString(summary(r, choice, name, sha)));
                List<Float> losses = tr.losses();
                Cli.status(cl, String.format(Locale.ROOT, "trained %d steps (%s) on %d records: loss %.4f -> %.4f, %d gradient passes, %.1f s; adapter -> %s",
                        tr.steps(), r.optimizer(), records.size(), losses.get(0), losses.get(losses.size() - 1),
                        r.gradientPasses(), r.seconds(), out));
            }
        }
        return Cli.OK;
    }

    /** Why the run counts as diverged, or null. */
    private String divergence(TrainingResult tr) {
        if (tr.status() == TrainingResult.Status.DIVERGED) {
            return tr.message();
        }
        List<Float> l = tr.losses();
        if (l.isEmpty()) {
            return null;
        }
        for (int i = 0; i < l.size(); i++) {
            if (!Float.isFinite(l.get(i))) {
                return "loss is not finite at step " + (i + 1);
            }
        }
        float first = l.get(0);
        float last = l.get(l.size() - 1);
        if (maxLossGrowth > 0 && first > 0 && last > maxLossGrowth * first) {
            return String.format(Locale.ROOT, "the loss blew up: %.4f at step 1, %.4f at step %d (more than --max-loss-growth %s times)",
                    first, last, l.size(), maxLossGrowth);
        }
        return null;
    }

    private ObjectNode summary(FineTuneResult r, OptimizerChoice choice, String name, String sha) {
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("optimizer", r.optimizer());
        o.put("optimizer_spec", choice.spec());
        o.put("data", name);
        o.put("data_sha256", sha);
        o.put("steps", r.training().steps());
        o.put("status", r.training().status().name());
        o.put("final_loss", r.finalLoss());
        ArrayNode l = o.putArray("losses");
        r.training().losses().forEach(l::add);
        o.put("gradient_passes", r.gradientPasses());
        o.put("seconds", r.seconds());
        o.set("provenance", ProvenanceJson.toJson(r.training().provenance()));
        return o;
    }

    static String sha256(Path file) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            try (InputStream s = Files.newInputStream(file)) {
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = s.read(buf)) > 0) {
                    md.update(buf, 0, n);
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code keel lora-train}, replaced by {@code keel train}: says so and exits with the usage code. */
    @Command(name = "lora-train", hidden = true, description = "Replaced by 'keel train' (--data is now --in).")
    static final class LoraTrainGone implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Unmatched
        List<String> ignored;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "'keel lora-train' was replaced by 'keel train' (the same LoRA training with --optimizer adamw; --data is now --in)");
        }
    }
}
