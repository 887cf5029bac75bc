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
 * {@code keel lm logits}, {@code keel lm render} and {@code keel lm inspect}: low-level language-model
 * tools for checking a checkpoint or a chat template against another implementation, and for seeing
 * what Keel makes of a model directory.
 */
@Command(name = "lm", mixinStandardHelpOptions = true,
        description = "Language-model tools: logits of a checkpoint for given token ids; conversations rendered with a model's own chat template.",
        subcommands = {LmCommand.Logits.class, LmCommand.Render.class, LmCommand.Inspect.class})
final class LmCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: logits, render or inspect");
    }

    @Command(name = "logits", mixinStandardHelpOptions = true,
            description = "Write the logits [batch, length, vocab] (F32 tensor \"logits\") of a model, optionally with a PEFT adapter, for token ids.")
    static final class Logits extends CheckedCommand {
        @Option(names = "--model", required = true, paramLabel = "DIR",
                description = "model directory (config.json, *.safetensors), or keel-tiny for the bundled model")
        Path model;
        @CommandLine.Mixin
        AdapterOption adapterOption;
        @Option(names = "--in", required = true, paramLabel = "FILE",
                description = "token ids, JSON: a list of equally long token-id lists, or an object with such a list under \"input_ids\" (- for standard input)")
        Path in;
        @Option(names = "--out", required = true, paramLabel = "FILE",
                description = "safetensors file to write, outside the model and adapter directories")
        Path out;

        @Override
        int run(CommandLine cl) throws Exception {
            Path dir = Cli.model(cl, "--model", model);
            Path adapter = adapterOption.checked(cl);
            if (out.toString().equals("-")) {
                throw new CommandLine.ParameterException(cl, "--out -: a safetensors file is binary; give a file");
            }
            Cli.refuseInside(cl, "--out", dir, out, "--model");
            if (adapter != null) {
                Cli.refuseInside(cl, "--out", adapter, out, "--adapter");
            }
            try (Cli.Input input = Cli.input(cl, "--in", in)) {
                Cli.refuse(cl, "--out", List.of(input.path()), out);
                long[][] ids = readIds(cl, input.path(), input.isStdin() ? "-" : in.toString());
                try (LlamaModel m = LlamaModel.load(dir, Device.cpu());
                     LoraAdapter lora = adapter == null ? null : LoraAdapter.load(m, adapter);
                     NDManager step = m.manager().newSubManager()) {
                    int vocab = m.config().vocabSize();
                    for (int i = 0; i < ids.length; i++) {
                        for (int j = 0; j < ids[i].length; j++) {
                            if (ids[i][j] >= vocab) {
                                throw new CommandLine.ParameterException(cl, "--in " + in + ": row " + i + " position " + j
                                        + " must be a token id 0.." + (vocab - 1) + " (the model's vocab_size is " + vocab + "), was " + ids[i][j]);
                            }
                        }
                    }
                    NDArray logits = m.forward(step.create(ids));
                    SafeTensors.write(out, Map.of("logits", logits), DType.F32);
                    Cli.status(cl, "wrote logits " + logits.getShape() + " to " + out
                            + (lora == null ? "" : " (with adapter " + adapter + ")"));
                }
            }
            return Cli.OK;
        }

        static long[][] readIds(CommandLine cl, Path file, String name) throws IOException {
            JsonNode root;
            try {
                root = Json.mapper().readTree(String.join("\n", Cli.readLines(file, "--in " + name)));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new CommandLine.ParameterException(cl, "--in " + name + ": not valid JSON: " + e.getOriginalMessage());
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, e.getMessage(), e);
            }
            if (root != null && root.isObject() && root.has("input_ids")) {
                root = root.get("input_ids");
            }
            if (root == null || !root.isArray() || root.isEmpty()) {
                throw new CommandLine.ParameterException(cl, "--in " + name + ": expected a non-empty list of token-id lists");
            }
            long[][] ids = new long[root.size()][];
            for (int i = 0; i < root.size(); i++) {
                JsonNode row = root.get(i);
                if (!row.isArray() || row.isEmpty()) {
                    throw new CommandLine.ParameterException(cl, "--in " + name + ": row " + i
                            + " must be a non-empty list of token ids, was " + row);
                }
                ids[i] = new long[row.size()];
                for (int j = 0; j < row.size(); j++) {
                    JsonNode v = row.get(j);
                    try {
                        // range-checked as a big integer: 99999999999999999999 must not wrap into a valid id
                        ids[i][j] = dev.keel.core.internal.JsonLines.checkedLong(v, "row " + i + " position " + j
                                + " (a token id)", 0, Integer.MAX_VALUE);
                    } catch (IllegalArgumentException e) {
                        throw new CommandLine.ParameterException(cl, "--in " + name + ": " + e.getMessage(), e);
                    }
                }
                if (ids[i].length != ids[0].length) {
                    throw new CommandLine.ParameterException(cl, "--in " + name + ": rows must have equal lengths, row 0 has "
                            + ids[0].length + " and row " + i + " has " + ids[i].length);
                }
            }
            return ids;
        }
    }

    @Command(name = "inspect", mixinStandardHelpOptions = true,
            description = "Print what Keel makes of a model directory: architecture and the features in use, parameter count, "
                    + "weight dtypes as stored and as loaded, the chat template's source, BOS/EOS tokens, the stop ids it will use "
                    + "and the generation defaults.")
    static final class Inspect extends CheckedCommand {
        @Option(names = "--model", required = true, paramLabel = "DIR",
                description = "model directory (config.json, *.safetensors, tokenizer.json, ...), or keel-tiny for the bundled model")
        Path model;
        @Option(names = "--json", description = "print one JSON object instead of text")
        boolean json;

        @Override
        int run(CommandLine cl) throws Exception {
            ObjectNode o = inspect(Cli.model(cl, "--model", model));
            if (json) {
                cl.getOut().println(Json.toPrettyString(o));
            } else {
                cl.getOut().print(text(o));
            }
            cl.getOut().flush();
            return 0;
        }

        /** The facts about a model directory, as a JSON object. */
        static ObjectNode inspect(Path dir) throws IOException {
            HubModelFiles files = HubModelFiles.read(dir);
            ObjectNode o = Json.mapper().createObjectNode();
            o.put("model", dir.toString());
            dev.keel.core.lm.generate.GenerationDefaults g = dev.keel.core.lm.generate.GenerationDefaults.from(files);
            ObjectNode gen = o.putObject("generation_defaults");
            gen.put("source", Files.isRegularFile(dir.resolve(HubModelFiles.GENERATION_CONFIG)) ? HubModelFiles.GENERATION_CONFIG : "none");
            gen.put("sampling", g.samples());
            gen.put("temperature", g.temperature());
            gen.put("top_p", g.topP());
            gen.put("top_k", g.topK());
            if (g.maxNewTokens() > 0) {
                gen.put("max_new_tokens", g.maxNewTokens());
            }
            if (g.maxLength() > 0) {
                gen.put("max_length", g.maxLength());
            }
            Map<String, Integer> stored = new java.util.TreeMap<>();
            try (dev.keel.core.lm.safetensors.TensorSource src = SafeTensors.open(dir)) {
                for (String name : src.names()) {
                    stored.merge(src.info(name).dtype().name(), 1, Integer::sum);
                }
            }
            try (LlamaModel m = LlamaModel.load(dir, Device.cpu())) {
                dev.keel.core.lm.LlamaConfig c = m.config();
                o.put("model_type", c.modelType());
                ObjectNode f = o.putObject("features");
                f.put("rope_type", c.ropeScaling().type());
                if (!c.ropeScaling().isNone()) {
                    f.put("rope_factor", c.ropeScaling().factor());
                }
                f.put("rope_theta", c.ropeTheta());
                f.put("sliding_window", c.slidingWindow());
                f.put("qkv_bias", c.attentionBias());
                f.put("o_bias", c.outputBias());
                f.put("mlp_bias", c.mlpBias());
                f.put("qk_norm", c.qkNorm());
                f.put("tied_head", c.tieWordEmbeddings());
                ObjectNode shape = o.putObject("shape");
                shape.put("hidden_size", c.hiddenSize());
                shape.put("num_hidden_layers", c.numHiddenLayers());
                shape.put("num_attention_heads", c.numAttentionHeads());
                shape.put("num_key_value_heads", c.numKeyValueHeads());
                shape.put("head_dim", c.headDim());
                shape.put("intermediate_size", c.intermediateSize());
                shape.put("vocab_size", c.vocabSize());
                shape.put("max_position_embeddings", c.maxPositionEmbeddings());
                long params = 0;
                Map<String, Integer> loaded = new java.util.TreeMap<>();
                for (ai.djl.nn.Parameter p : m.parameters().values()) {
                    params += p.getArray().size();
                    loaded.merge(DType.of(p.getArray().getDataType()).name(), 1, Integer::sum);
                }
                o.put("parameters", params);
                ObjectNode d = o.putObject("dtypes");
                d.set("stored", Json.mapper().valueToTree(stored));
                d.set("loaded", Json.mapper().valueToTree(loaded));
                ObjectNode t = o.putObject("chat_template");
                t.put("source", files.chatTemplateDescription());
                ObjectNode tok = o.putObject("tokens");
                Path tokenizerJson = dir.resolve("tokenizer.json");
                if (!Files.isRegularFile(tokenizerJson)) {
                    tok.put("tokenizer", "none");
                    return o;
                }
                try (dev.keel.core.lm.generate.LmTokenizer tk = dev.keel.core.lm.generate.LmTokenizer.load(dir)) {
                    tok.put("tokenizer_ids", tk.vocabSize());
                    token(tok, "bos", files.bosToken().orElse(null), tk);
                    token(tok, "eos", files.eosToken().orElse(null), tk);
                    if (files.chatTemplate().isPresent()) {
                        JinjaChatTemplate jt = JinjaChatTemplate.of(files);
                        String bos = files.bosToken().orElse("");
                        String probe;
                        try {
                            probe = jt.render(List.of(dev.keel.core.chat.ChatMessage.user("Keel probe")), true);
                        } catch (IllegalArgumentException e) {
                            probe = null;
                        }
                        t.put("bos_in_template", probe != null && !bos.isEmpty() && probe.startsWith(bos));
                        t.put("prompt_bos", "as the template writes it (tokenised without special tokens, as transformers' apply_chat_template)");
                    } else {
                        long bos = dev.keel.core.lm.generate.LocalChatModel.bosFor(files, tk);
                        t.put("prompt_bos", bos >= 0 ? "prepended: id " + bos : "none");
                    }
                    ArrayNodeWriter.ids(o.putArray("stop_ids"),
                            dev.keel.core.lm.generate.LocalChatModel.stopIds(files, tk, m));
                    if (tk.vocabSize() > c.vocabSize()) {
                        tok.put("warning", "the tokenizer has " + tk.vocabSize() + " ids but the model's vocab_size is "
                                + c.vocabSize() + ": chat refuses this pair");
                    }
                }
            }
            return o;
        }

        private static void token(ObjectNode tok, String field, String text, dev.keel.core.lm.generate.LmTokenizer tk) {
            if (text == null) {
                tok.putNull(field);
                return;
            }
            ObjectNode t = tok.putObject(field);
            t.put("text", text);
            java.util.OptionalLong id = tk.tokenId(text);
            if (id.isPresent()) {
                t.put("id", id.getAsLong());
            } else {
                t.putNull("id");
            }
        }

        /** Writes ids into a JSON array. */
        private static final class ArrayNodeWriter {
            static void ids(com.fasterxml.jackson.databind.node.ArrayNode a, java.util.Collection<Long> ids) {
                for (long id : ids) {
                    a.add(id);
                }
            }
        }

        /** The same facts as lines of text. */
        static String text(ObjectNode o) {
            StringBuilder sb = new StringBuilder();
            JsonNode f = o.path("features");
            JsonNode s = o.path("shape");
            line(sb, "model", o.path("model").asText());
            line(sb, "architecture", o.path("model_type").asText());
            line(sb, "features", "rope " + f.path("rope_type").asText()
                    + (f.has("rope_factor") ? " x" + f.path("rope_factor").asText() : "")
                    + " (theta " + f.path("rope_theta").asText() + "), sliding window "
                    + (f.path("sliding_window").asInt() > 0 ? f.path("sliding_window").asText() : "none")
                    + ", q/k/v bias " + yesNo(f, "qkv_bias") + ", o bias " + yesNo(f, "o_bias") + ", mlp bias " + yesNo(f, "mlp_bias")
                    + ", q/k norm " + yesNo(f, "qk_norm") + ", head " + (f.path("tied_head").asBoolean() ? "tied" : "separate"));
            line(sb, "shape", "hidden " + s.path("hidden_size").asText() + ", layers " + s.path("num_hidden_layers").asText()
                    + ", heads " + s.path("num_attention_heads").asText() + " / " + s.path("num_key_value_heads").asText()
                    + " kv, head_dim " + s.path("head_dim").asText() + ", intermediate " + s.path("intermediate_size").asText()
                    + ", vocab " + s.path("vocab_size").asText() + ", max positions " + s.path("max_position_embeddings").asText());
            line(sb, "parameters", String.format(java.util.Locale.ROOT, "%,d", o.path("parameters").asLong()));
            line(sb, "weights", "stored " + counts(o.path("dtypes").path("stored")) + "; loaded " + counts(o.path("dtypes").path("loaded")));
            JsonNode t = o.path("chat_template");
            line(sb, "chat template", t.path("source").asText()
                    + (t.has("bos_in_template") ? (t.path("bos_in_template").asBoolean() ? " (writes the BOS itself)" : "") : ""));
            JsonNode tok = o.path("tokens");
            if (tok.has("tokenizer")) {
                line(sb, "tokenizer", "none");
            } else {
                line(sb, "tokenizer", tok.path("tokenizer_ids").asText() + " ids");
                line(sb, "bos", tokenText(tok.path("bos")) + "; prompt BOS: " + t.path("prompt_bos").asText());
                line(sb, "eos", tokenText(tok.path("eos")));
                line(sb, "stop ids", o.path("stop_ids").toString());
                if (tok.has("warning")) {
                    line(sb, "warning", tok.path("warning").asText());
                }
            }
            JsonNode g = o.path("generation_defaults");
            line(sb, "generation", (g.path("sampling").asBoolean()
                    ? "sample: temperature " + g.path("temperature").asText() + ", top_p " + g.path("top_p").asText()
                    + ", top_k " + g.path("top_k").asText()
                    : "greedy")
                    + (g.has("max_new_tokens") ? ", max_new_tokens " + g.path("max_new_tokens").asText() : "")
                    + (g.has("max_length") ? ", max_length " + g.path("max_length").asText() : "")
                    + " (from " + g.path("source").asText() + ")");
            return sb.toString();
        }

        private static String yesNo(JsonNode f, String field) {
            return f.path(field).asBoolean() ? "yes" : "no";
        }

        private static String tokenText(JsonNode t) {
            if (t.isNull() || t.isMissingNode()) {
                return "none";
            }
            return t.path("text").asText() + (t.path("id").isNull() ? " (not one token)" : " (id " + t.path("id").asText() + ")");
        }

        private static String counts(JsonNode counts) {
            List<String> parts = new ArrayList<>();
            counts.fields().forEachRemaining(e -> parts.add(e.getKey() + " x" + e.getValue().asText()));
            return String.join(", ", parts);
        }

        private static void line(StringBuilder sb, String key, String value) {
            sb.append(String.format(java.util.Locale.ROOT, "%-14s%s", key, value)).append('\n');
        }
    }

    @Command(name = "render", mixinStandardHelpOptions = true,
            description = "Render conversations ({\"id\", \"messages\": [{\"role\", \"content\"}], \"add_generation_prompt\"?} lines) "
                    + "with the model directory's own chat template (chat_template.jinja or tokenizer_config.json) into {\"id\", \"text\"} lines; "
                    + "a conversation the template refuses gives {\"id\", \"error\"} and exit code 3 (4 when every one is refused).")
    static final class Render extends CheckedCommand {
        @Option(names = "--model", required = true, paramLabel = "DIR",
                description = "model directory with tokenizer_config.json or chat_template.jinja, or keel-tiny for the bundled model")
        Path model;
        @Option(names = "--in", required = true, paramLabel = "FILE", description = "conversations, JSON Lines (- for standard input)")
        Path in;
        @Option(names = "--out", required = true, paramLabel = "FILE", description = "rendered texts, JSON Lines, written atomically (- for standard output)")
        Path out;

        @Override
        int run(CommandLine cl) throws Exception {
            Path dir = model.toString().equals(Cli.BUNDLED) && !Files.exists(model) ? Cli.model(cl, "--model", model)
                    : ChatCommand.requireDir(cl, "--model", model);
            try (Cli.Input input = Cli.input(cl, "--in", in);
                 Cli.Output output = Cli.output(cl, "--out", out, List.of(input.path()), "rendered.jsonl")) {
                return render(cl, dir, input, output);
            }
        }

        private int render(CommandLine cl, Path dir, Cli.Input input, Cli.Output output) throws IOException {
            JinjaChatTemplate template;
            try {
                template = JinjaChatTemplate.of(HubModelFiles.read(dir));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, "--model " + model + ": " + e.getMessage());
            }
            String source = input.isStdin() ? "standard input" : in.toString();
            List<String> lines = new ArrayList<>();
            int failed = 0;
            int n = 0;
            int lineNo = 0;
            List<String> text;
            try {
                text = Cli.readLines(input.path(), "--in " + source);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, e.getMessage(), e);
            }
            for (String line : text) {
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
            AtomicFiles.writeText(output.path(), w -> write(w, lines));
            output.finish();
            Cli.status(cl, "rendered " + (n - failed) + " of " + n + " conversations with " + template.name() + " to " + output.name()
                    + (failed == 0 ? "" : " (" + failed + " failed: see their \"error\")"));
            if (failed == 0) {
                return Cli.OK;
            }
            return failed == n ? Cli.ALL_FAILED : Cli.SOME_FAILED;
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
