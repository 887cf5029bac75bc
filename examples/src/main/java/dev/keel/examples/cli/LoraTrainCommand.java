package dev.keel.examples.cli;

import ai.djl.Device;
import dev.keel.core.chat.ChatRecord;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.generate.ChatTemplate;
import dev.keel.core.lm.generate.LmTokenizer;
import dev.keel.core.lm.lora.LoraAdapter;
import dev.keel.core.lm.lora.LoraConfig;
import dev.keel.core.lm.train.ChatExamples;
import dev.keel.core.lm.train.LmTrainer;
import dev.keel.core.lm.train.LrSchedule;
import dev.keel.core.lm.train.TrainingConfig;
import dev.keel.core.lm.train.TrainingExample;
import dev.keel.core.lm.train.TrainingListener;
import dev.keel.core.lm.train.TrainingResult;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** {@code keel lora-train}: LoRA fine-tuning on OpenAI chat JSONL, saving a PEFT adapter. */
@Command(name = "lora-train", mixinStandardHelpOptions = true,
        description = "Fine-tune a LoRA adapter on OpenAI chat JSONL (loss on the last assistant reply) and save it in PEFT layout.")
final class LoraTrainCommand extends CheckedCommand {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "base model directory")
    Path model;
    @Option(names = "--data", required = true, paramLabel = "FILE", description = "training data, OpenAI chat JSONL")
    Path data;
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "adapter directory (adapter_config.json, adapter_model.safetensors)")
    Path out;
    @Option(names = "--epochs", defaultValue = "3", description = "epochs (default: ${DEFAULT-VALUE})")
    int epochs;
    @Option(names = "--lr", defaultValue = "2e-4", description = "peak learning rate (default: ${DEFAULT-VALUE})")
    double lr;
    @Option(names = "--rank", defaultValue = "8", description = "LoRA rank r (default: ${DEFAULT-VALUE})")
    int rank;
    @Option(names = "--alpha", defaultValue = "16", description = "LoRA alpha (default: ${DEFAULT-VALUE})")
    double alpha;
    @Option(names = "--targets", defaultValue = "q_proj,v_proj", split = ",", paramLabel = "MODULES",
            description = "modules to adapt, comma-separated, or all-linear (default: ${DEFAULT-VALUE})")
    List<String> targets;
    @Option(names = "--batch-size", defaultValue = "8", description = "sequences per step (default: ${DEFAULT-VALUE})")
    int batchSize;
    @Option(names = "--template", defaultValue = "auto", paramLabel = "NAME", description = "chat template: auto, tiny, plain or llama2 (default: ${DEFAULT-VALUE})")
    String template;
    @Option(names = "--seed", defaultValue = "0", description = "seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    int run(CommandLine cl) throws Exception {
        ChatCommand.requireModelDir(cl, "--model", model);
        SafetyCommand.requireFile(cl, "--data", data);
        if (epochs <= 0) {
            throw new CommandLine.ParameterException(cl, "--epochs must be > 0, was " + epochs);
        }
        if (!(lr > 0)) {
            throw new CommandLine.ParameterException(cl, "--lr must be > 0, was " + lr);
        }
        if (rank <= 0) {
            throw new CommandLine.ParameterException(cl, "--rank must be > 0, was " + rank);
        }
        if (!(alpha > 0)) {
            throw new CommandLine.ParameterException(cl, "--alpha must be > 0, was " + alpha);
        }
        if (batchSize <= 0) {
            throw new CommandLine.ParameterException(cl, "--batch-size must be > 0, was " + batchSize);
        }
        ChatTemplate t = ChatCommand.template(cl, template, model);
        List<ChatRecord> records = ChatRecord.readAll(data);
        if (records.isEmpty()) {
            throw new CommandLine.ParameterException(cl, "--data " + data + ": no records");
        }
        try (LlamaModel base = LlamaModel.load(model, Device.cpu());
             LmTokenizer tok = LmTokenizer.load(model)) {
            tok.checkCompatible(base.config().vocabSize());
            List<TrainingExample> examples = ChatExamples.encodeAll(records, tok, t,
                    t.endOfReplyToken(base.config().eosTokenId()));
            LoraConfig lc = LoraConfig.builder().rank(rank).alpha(alpha).targetModules(targets.toArray(String[]::new))
                    .baseModel(model.toAbsolutePath().normalize().toString()).build();
            try (LoraAdapter adapter = LoraAdapter.create(base, lc, seed)) {
                int steps = epochs * ((examples.size() + batchSize - 1) / batchSize);
                TrainingConfig tc = TrainingConfig.builder().learningRate(lr).epochs(epochs).batchSize(batchSize)
                        .warmupSteps(Math.min(10, steps / 10)).schedule(LrSchedule.COSINE).maxGradNorm(1.0)
                        .padTokenId(Math.max(0, base.config().eosTokenId())).seed(seed).build();
                ProgressBar bar = new ProgressBar(cl.getErr(), "lora-train", steps, 2);
                TrainingResult r;
                try (LmTrainer trainer = LmTrainer.builder().model(base).parameters(adapter.parameters()).config(tc)
                        .listener(new TrainingListener() {
                            @Override
                            public void onStep(Progress p) {
                                bar.update(p.step());
                            }
                        }).build()) {
                    r = trainer.fit(examples);
                }
                if (r.status() == TrainingResult.Status.DIVERGED) {
                    throw new IllegalStateException(r.message());
                }
                adapter.save(out);
                List<Float> losses = r.losses();
                cl.getOut().println(String.format(Locale.ROOT, "trained %d steps on %d records: loss %.4f -> %.4f; adapter -> %s",
                        r.steps(), records.size(), losses.get(0), losses.get(losses.size() - 1), out));
            }
        }
        return 0;
    }
}
