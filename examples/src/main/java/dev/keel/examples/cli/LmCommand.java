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

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.internal.AtomicFiles;
import dev.keel.core.lm.generate.HubModelFiles;
import dev.keel.core.lm.generate.JinjaChatTemplate;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code keel lm logits} and {@code keel lm render}: low-level language-model tools for checking a
 * checkpoint or a chat template against another implementation.
 */
@Command(name = "lm", mixinStandardHelpOptions = true,
        description = "Language-model tools: logits of a checkpoint for given token ids; conversations rendered with a model's own chat template.",
        subcommands = {LmCommand.Logits.class, LmCommand.Render.class})
final class LmCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: logits or render");
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

    @Command(name = "render", mixinStandardHelpOptions = true,
            description = "Render conversations ({\"id\", \"messages\": [{\"role\", \"content\"}], \"add_generation_prompt\"?} lines) "
                    + "with the model directory's own chat template (chat_template.jinja or tokenizer_config.json) into {\"id\", \"text\"} lines; "
                    + "a conversation the template refuses gives {\"id\", \"error\"} and exit code 1.")
    static final class Render extends CheckedCommand {
        @Option(names = "--model", required = true, paramLabel = "DIR", description = "model directory with tokenizer_config.json or chat_template.jinja")
        Path model;
        @Option(names = "--in", required = true, paramLabel = "FILE", description = "conversations, JSON Lines (- for standard input)")
        Path in;
        @Option(names = "--out", required = true, paramLabel = "FILE", description = "rendered texts, JSON Lines, written atomically (- for standard output)")
        Path out;

        @Override
        int run(CommandLine cl) throws Exception {
            ChatCommand.requireDir(cl, "--model", model);
            boolean stdin = in.toString().equals("-");
            boolean stdout = out.toString().equals("-");
            if (!stdin) {
                SafetyCommand.requireFile(cl, "--in", in);
            }
            if (!stdout) {
                if (Files.exists(out) && !Files.isRegularFile(out)) {
                    throw new CommandLine.ParameterException(cl, "--out " + out + ": exists and is not a regular file");
                }
                if (!stdin && (out.toAbsolutePath().normalize().equals(in.toAbsolutePath().normalize())
                        || (Files.exists(out) && Files.isSameFile(out, in)))) {
                    throw new CommandLine.ParameterException(cl, "--out " + out + " is the --in file: the output must not replace its input");
                }
            }
            JinjaChatTemplate template;
            try {
                template = JinjaChatTemplate.of(HubModelFiles.read(model));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, "--model " + model + ": " + e.getMessage());
            }
            String source = stdin ? "standard input" : in.toString();
            List<String> lines = new ArrayList<>();
            int failed = 0;
            int n = 0;
            try (BufferedReader r = stdin ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                    : Files.newBufferedReader(in, StandardCharsets.UTF_8)) {
                String line;
                int lineNo = 0;
                while ((line = r.readLine()) != null) {
                    lineNo++;
                    if (line.isBlank()) {
                        continue;
                    }
                    Conversation c = parse(cl, source, lineNo, line);
                    ObjectNode o = Json.mapper().createObjectNode();
                    o.set("id", c.id);
                    try {
                        o.put("text", template.renderMessages(c.messages, c.addGenerationPrompt, Map.of()));
                    } catch (IllegalArgumentException e) {
                        o.put("error", e.getMessage());
                        failed++;
                    }
                    n++;
                    lines.add(Json.mapper().writeValueAsString(o));
                }
            }
            if (stdout) {
                for (String l : lines) {
                    cl.getOut().println(l);
                }
                cl.getOut().flush();
            } else {
                AtomicFiles.writeText(out, w -> write(w, lines));
                cl.getOut().println("rendered " + (n - failed) + " of " + n + " conversations with " + template.name() + " to " + out
                        + (failed == 0 ? "" : " (" + failed + " failed: see their \"error\")"));
            }
            if (failed > 0) {
                cl.getErr().println(failed + " of " + n + " conversations failed to render");
            }
            return failed == 0 ? 0 : 1;
        }

        private static void write(Writer w, List<String> lines) throws IOException {
            for (String l : lines) {
                w.write(l);
                w.write('\n');
            }
        }

        private record Conversation(JsonNode id, List<Map<String, Object>> messages, boolean addGenerationPrompt) {
        }

        private static Conversation parse(CommandLine cl, String source, int lineNo, String line) {
            String where = "--in " + source + " line " + lineNo + ": ";
            JsonNode node;
            try {
                node = Json.mapper().readTree(line);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new CommandLine.ParameterException(cl, where + "not valid JSON: " + e.getOriginalMessage());
            }
            if (node == null || !node.isObject()) {
                throw new CommandLine.ParameterException(cl, where + "expected a JSON object, was " + line);
            }
            JsonNode id = node.get("id");
            if (id == null || !(id.isTextual() || id.isIntegralNumber())) {
                throw new CommandLine.ParameterException(cl, where + "\"id\" must be a string or an integer, was " + id);
            }
            JsonNode messages = node.get("messages");
            if (messages == null || !messages.isArray() || messages.isEmpty()) {
                throw new CommandLine.ParameterException(cl, where + "\"messages\" must be a non-empty list, was " + messages);
            }
            List<Map<String, Object>> list = new ArrayList<>();
            for (int i = 0; i < messages.size(); i++) {
                JsonNode m = messages.get(i);
                if (!m.isObject() || !m.path("role").isTextual() || !m.path("content").isTextual()) {
                    throw new CommandLine.ParameterException(cl, where + "message " + i + " needs a string \"role\" and \"content\", was " + m);
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> map = Json.mapper().convertValue(m, LinkedHashMap.class);
                list.add(map);
            }
            JsonNode agp = node.get("add_generation_prompt");
            if (agp != null && !agp.isNull() && !agp.isBoolean()) {
                throw new CommandLine.ParameterException(cl, where + "\"add_generation_prompt\" must be true or false, was " + agp);
            }
            return new Conversation(id, list, agp != null && agp.asBoolean(false));
        }
    }
}
