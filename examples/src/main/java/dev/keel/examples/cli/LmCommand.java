package dev.keel.examples.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.core.internal.Json;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.lora.LoraAdapter;
import dev.keel.core.lm.safetensors.DType;
import dev.keel.core.lm.safetensors.SafeTensors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** {@code keel lm logits}: low-level language-model tools for checking a checkpoint against another implementation. */
@Command(name = "lm", mixinStandardHelpOptions = true,
        description = "Language-model tools: logits of a checkpoint for given token ids.",
        subcommands = {LmCommand.Logits.class})
final class LmCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: logits");
    }

    @Command(name = "logits", mixinStandardHelpOptions = true,
            description = "Write the logits [batch, length, vocab] (F32 tensor \"logits\") of a model, optionally with a PEFT adapter, for token ids.")
    static final class Logits extends CheckedCommand {
        @Option(names = "--model", required = true, paramLabel = "DIR", description = "model directory (config.json, *.safetensors)")
        Path model;
        @CommandLine.Mixin
        AdapterOption adapterOption;
        @Option(names = "--input-ids", required = true, paramLabel = "FILE",
                description = "JSON: a list of equally long token-id lists, or an object with such a list under \"input_ids\"")
        Path inputIds;
        @Option(names = "--out", required = true, paramLabel = "FILE", description = "safetensors file to write")
        Path out;

        @Override
        int run(CommandLine cl) throws Exception {
            ChatCommand.requireModelDir(cl, "--model", model);
            Path adapter = adapterOption.checked(cl);
            SafetyCommand.requireFile(cl, "--input-ids", inputIds);
            long[][] ids = readIds(cl, inputIds);
            try (LlamaModel m = LlamaModel.load(model, Device.cpu());
                 LoraAdapter lora = adapter == null ? null : LoraAdapter.load(m, adapter);
                 NDManager step = m.manager().newSubManager()) {
                NDArray logits = m.forward(step.create(ids));
                SafeTensors.write(out, Map.of("logits", logits), DType.F32);
                cl.getOut().println("wrote logits " + logits.getShape() + " to " + out
                        + (lora == null ? "" : " (with adapter " + adapter + ")"));
            }
            return 0;
        }

        static long[][] readIds(CommandLine cl, Path file) throws IOException {
            JsonNode root;
            try {
                root = Json.mapper().readTree(Files.readString(file));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new CommandLine.ParameterException(cl, "--input-ids " + file + ": not valid JSON: " + e.getOriginalMessage());
            }
            if (root != null && root.isObject() && root.has("input_ids")) {
                root = root.get("input_ids");
            }
            if (root == null || !root.isArray() || root.isEmpty()) {
                throw new CommandLine.ParameterException(cl, "--input-ids " + file + ": expected a non-empty list of token-id lists");
            }
            long[][] ids = new long[root.size()][];
            for (int i = 0; i < root.size(); i++) {
                JsonNode row = root.get(i);
                if (!row.isArray() || row.isEmpty()) {
                    throw new CommandLine.ParameterException(cl, "--input-ids " + file + ": row " + i
                            + " must be a non-empty list of token ids, was " + row);
                }
                ids[i] = new long[row.size()];
                for (int j = 0; j < row.size(); j++) {
                    JsonNode v = row.get(j);
                    if (!v.isIntegralNumber() || v.asLong() < 0) {
                        throw new CommandLine.ParameterException(cl, "--input-ids " + file + ": row " + i + " position " + j
                                + " must be a token id >= 0, was " + v);
                    }
                    ids[i][j] = v.asLong();
                }
                if (ids[i].length != ids[0].length) {
                    throw new CommandLine.ParameterException(cl, "--input-ids " + file + ": rows must have equal lengths, row 0 has "
                            + ids[0].length + " and row " + i + " has " + ids[i].length);
                }
            }
            return ids;
        }
    }
}
