package dev.keel.core.lm;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.testkit.TinyFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A seeded fuzz pass over {@code config.json} parsing: 12,000 mutations of the test vectors' real
 * configs (wrong types, huge, negative and fractional numbers, removed fields, duplicate keys,
 * truncation, byte flips, invalid UTF-8, byte order marks, rope_scaling and layer_types changes).
 * Each must either load or fail with the documented exceptions ({@link IOException} for a file that
 * is not UTF-8 JSON, {@link IllegalArgumentException} for a value); and a config that loads must pass
 * the independent validity rule {@link #violation} written here, with the loaded values equal to the
 * file's (nothing wrapped, truncated or guessed).
 */
class LlamaConfigFuzzTest {

    static final int INPUTS = 12_000;
    private static final ObjectMapper LENIENT = JsonMapper.builder().build();
    private static final ObjectMapper DUPLICATE_CHECK = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();
    private static final List<String> BASES = List.of("llama-dynamic", "llama-linear-bias", "llama-yarn", "llama3-a",
            "mistral-a", "qwen2-a", "qwen2-sliding", "qwen2-yarn", "qwen3-a", "tiny-llama-a");
    private static final List<String> FIELDS = List.of("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
            "num_attention_heads", "num_key_value_heads", "head_dim", "rms_norm_eps", "rope_theta", "tie_word_embeddings",
            "max_position_embeddings", "bos_token_id", "eos_token_id", "model_type", "hidden_act", "attention_bias",
            "mlp_bias", "sliding_window", "use_sliding_window", "max_window_layers", "layer_types", "rope_scaling",
            "rope_parameters", "attention_dropout", "partial_rotary_factor", "original_max_position_embeddings");
    private static final Set<String> MODEL_TYPES = Set.of("llama", "mistral", "qwen2", "qwen3", "keel-tiny");

    @Test
    void mutatedConfigsLoadExactlyOrAreRefused(@TempDir Path dir) throws Exception {
        List<ObjectNode> bases = new ArrayList<>();
        for (String b : BASES) {
            bases.add((ObjectNode) LENIENT.readTree(Files.readAllBytes(TinyFixtures.vectorsDir(b).resolve("config.json"))));
        }
        long cpuStart = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        SplittableRandom rnd = new SplittableRandom(20261201L);
        Path file = dir.resolve("config.json");
        int accepted = 0;
        int refusedValue = 0;
        int refusedFile = 0;
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < INPUTS; i++) {
            ObjectNode tree = bases.get(rnd.nextInt(bases.size())).deepCopy();
            int treeMutations = rnd.nextInt(4);
            for (int m = 0; m < treeMutations; m++) {
                mutateTree(tree, rnd);
            }
            byte[] bytes = LENIENT.writerWithDefaultPrettyPrinter().writeValueAsBytes(tree);
            String rawNumber = null;
            if (rnd.nextInt(6) == 0) {
                // numbers Jackson cannot build as a tree value: written into the text
                String field = FIELDS.get(rnd.nextInt(8));
                rawNumber = pick(rnd, "1e400", "-1e400", "99999999999999999999", "4294967301", "-2147483649", "1.0", "5e0", "-0");
                tree.put(field, "@@RAW@@");
                bytes = LENIENT.writerWithDefaultPrettyPrinter().writeValueAsString(tree)
                        .replace("\"@@RAW@@\"", rawNumber).getBytes(StandardCharsets.UTF_8);
            }
            if (rnd.nextInt(4) == 0) {
                bytes = mutateBytes(bytes, rnd);
            }
            Files.write(file, bytes);
            LlamaConfig loaded = null;
            Throwable refused = null;
            try {
                loaded = LlamaConfig.fromJson(file);
            } catch (IllegalArgumentException e) {
                refused = e;
                refusedValue++;
            } catch (IOException e) {
                refused = e;
                refusedFile++;
            } catch (RuntimeException | Error e) {
                problems.add("input " + i + ": undocumented " + e + " for " + new String(bytes, StandardCharsets.UTF_8));
                continue;
            }
            if (refused != null) {
                if (refused.getMessage() == null || !refused.getMessage().contains(file.toString())) {
                    problems.add("input " + i + ": message does not name the file: " + refused.getMessage());
                }
                continue;
            }
            accepted++;
            String why = violation(bytes, loaded);
            if (why != null) {
                problems.add("input " + i + ": accepted but " + why + ": " + new String(bytes, StandardCharsets.UTF_8));
            }
        }
        System.out.printf("config.json fuzz: %d inputs, %d loaded, %d refused (value), %d refused (file), %d problems%n",
                INPUTS, accepted, refusedValue, refusedFile, problems.size());
        System.out.printf("  (%.1f s of CPU time in this test's thread)%n", (java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpuStart) / 1e9);
        assertThat(problems).as(String.join("\n", problems.subList(0, Math.min(5, problems.size())))).isEmpty();
        // the pass means something only if both outcomes occur often
        assertThat(accepted).isGreaterThan(INPUTS / 20);
        assertThat(refusedValue + refusedFile).isGreaterThan(INPUTS / 4);
    }

    @SafeVarargs
    private static <T> T pick(SplittableRandom rnd, T... options) {
        return options[rnd.nextInt(options.length)];
    }

    private static void mutateTree(ObjectNode tree, SplittableRandom rnd) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        String field = FIELDS.get(rnd.nextInt(FIELDS.size()));
        JsonNode old = tree.get(field);
        switch (rnd.nextInt(14)) {
            case 0 -> tree.remove(field);
            case 1 -> tree.putNull(field);
            case 2 -> tree.put(field, pick(rnd, "silu", "llama", "qwen3", "mistral", "gelu", "", "full_attention", "7"));
            case 3 -> tree.put(field, rnd.nextBoolean());
            case 4 -> tree.put(field, pick(rnd, -1, 0, 1, 2, 3, 4, 7, 8, 16, 64, 128, Integer.MAX_VALUE, Integer.MIN_VALUE));
            case 5 -> tree.put(field, pick(rnd, 0.5, 2.5, -3.0, 1e-5, 1e300, 1.0, 0.0, 4.0));
            case 6 -> tree.put(field, pick(rnd, 4294967301L, -4294967296L, Long.MAX_VALUE, 1L << 31));
            case 7 -> tree.set(field, f.arrayNode().add(rnd.nextInt(3)).add(pick(rnd, 2, -1, 1 << 31)));
            case 8 -> tree.set(field, f.objectNode());
            case 9 -> {
                ObjectNode rope = f.objectNode();
                rope.put(rnd.nextBoolean() ? "rope_type" : "type", pick(rnd, "linear", "dynamic", "yarn", "llama3", "default", "longrope", "ntk"));
                if (rnd.nextInt(4) > 0) {
                    rope.put("factor", pick(rnd, 2.0, 0.5, -1.0, 0.0, 8.0, 1e308));
                }
                if (rnd.nextBoolean()) {
                    rope.put("original_max_position_embeddings", pick(rnd, 8, 16, 0, -4, 1 << 30));
                }
                if (rnd.nextBoolean()) {
                    rope.put("low_freq_factor", pick(rnd, 1.0, 4.0, 0.0));
                    rope.put("high_freq_factor", pick(rnd, 4.0, 1.0, 0.0));
                }
                if (rnd.nextInt(4) == 0) {
                    rope.put(pick(rnd, "beta_fast", "mscale", "attention_factor", "unknown_key"), pick(rnd, 32.0, 1.0, 0.0, -1.0));
                }
                tree.set(rnd.nextInt(3) == 0 ? "rope_parameters" : "rope_scaling", rope);
            }
            case 10 -> {
                ArrayNode types = f.arrayNode();
                int n = tree.path("num_hidden_layers").asInt(2) + rnd.nextInt(3) - 1;
                for (int k = 0; k < Math.max(0, Math.min(n, 64)); k++) {
                    types.add(pick(rnd, "full_attention", "full_attention", "sliding_attention", "linear_attention"));
                }
                tree.set("layer_types", types);
            }
            case 11 -> {
                if (old != null && old.isIntegralNumber()) {
                    tree.put(field, BigInteger.valueOf(old.longValue()).add(BigInteger.valueOf(rnd.nextInt(5) - 2)).longValue());
                }
            }
            case 12 -> tree.put(field, pick(rnd, "2", "true", "1e5", "0x10"));
            default -> tree.put(field, pick(rnd, 8, 16, 32, 2, 1));
        }
    }

    private static byte[] mutateBytes(byte[] in, SplittableRandom rnd) {
        switch (rnd.nextInt(6)) {
            case 0:
                return Arrays.copyOf(in, rnd.nextInt(in.length + 1));
            case 1: {
                byte[] out = in.clone();
                out[rnd.nextInt(out.length)] = (byte) rnd.nextInt(256);
                return out;
            }
            case 2: {
                byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
                byte[] out = new byte[in.length + 3];
                System.arraycopy(bom, 0, out, 0, 3);
                System.arraycopy(in, 0, out, 3, in.length);
                return out;
            }
            case 3: {
                // a duplicate key: the first field line repeated
                String s = new String(in, StandardCharsets.UTF_8);
                int a = s.indexOf('\n') + 1;
                int b = s.indexOf('\n', a) + 1;
                if (a <= 0 || b <= a) {
                    return in;
                }
                String line = s.substring(a, b);
                if (!line.trim().endsWith(",")) {
                    return in;
                }
                return (s.substring(0, b) + line + s.substring(b)).getBytes(StandardCharsets.UTF_8);
            }
            case 4: {
                byte[] out = in.clone();
                out[rnd.nextInt(out.length)] = (byte) (int) pick(rnd, 0xC3, 0xFF, 0x80, 0xED);
                return out;
            }
            default: {
                String s = new String(in, StandardCharsets.UTF_8);
                return (s + pick(rnd, "{}", " ", "\n", "x", ",")).getBytes(StandardCharsets.UTF_8);
            }
        }
    }

    /** The independent rule: why an accepted config should have been refused, or null where it is right. */
    static String violation(byte[] bytes, LlamaConfig c) {
        int from = bytes.length >= 3 && (bytes[0] & 0xFF) == 0xEF && (bytes[1] & 0xFF) == 0xBB && (bytes[2] & 0xFF) == 0xBF ? 3 : 0;
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, from, bytes.length - from)).toString();
        } catch (CharacterCodingException e) {
            return "not UTF-8";
        }
        JsonNode root;
        try {
            root = DUPLICATE_CHECK.readTree(text);
        } catch (IOException e) {
            return "not one JSON object without duplicate keys (" + e.getMessage().lines().findFirst().orElse("") + ")";
        }
        if (root == null || !root.isObject()) {
            return "not an object";
        }
        // every size: a positive JSON integer that fits an int, equal to the loaded value
        String why;
        if ((why = positiveInt(root, "vocab_size", c.vocabSize(), true)) != null
                || (why = positiveInt(root, "hidden_size", c.hiddenSize(), true)) != null
                || (why = positiveInt(root, "intermediate_size", c.intermediateSize(), true)) != null
                || (why = positiveInt(root, "num_hidden_layers", c.numHiddenLayers(), true)) != null
                || (why = positiveInt(root, "num_attention_heads", c.numAttentionHeads(), true)) != null
                || (why = positiveInt(root, "num_key_value_heads", c.numKeyValueHeads(), false)) != null
                || (why = positiveInt(root, "head_dim", c.headDim(), false)) != null
                || (why = positiveInt(root, "max_position_embeddings", c.maxPositionEmbeddings(), false)) != null) {
            return why;
        }
        if (c.numAttentionHeads() % c.numKeyValueHeads() != 0) {
            return "num_key_value_heads does not divide num_attention_heads";
        }
        for (String f : List.of("rms_norm_eps", "rope_theta")) {
            JsonNode n = root.get(f);
            if (n != null && !n.isNull() && (!n.isNumber() || !Double.isFinite(n.doubleValue()) || n.doubleValue() <= 0)) {
                return f + " is not a positive finite number: " + n;
            }
        }
        if (root.hasNonNull("rms_norm_eps") && root.get("rms_norm_eps").doubleValue() != c.rmsNormEps()) {
            return "rms_norm_eps read as " + c.rmsNormEps();
        }
        for (String f : List.of("tie_word_embeddings", "attention_bias", "mlp_bias", "use_sliding_window")) {
            JsonNode n = root.get(f);
            if (n != null && !n.isNull() && !n.isBoolean()) {
                return f + " is not a boolean: " + n;
            }
        }
        if (root.path("tie_word_embeddings").asBoolean(false) != c.tieWordEmbeddings()) {
            return "tie_word_embeddings read as " + c.tieWordEmbeddings();
        }
        JsonNode type = root.get("model_type");
        if (type != null && !type.isNull() && (!type.isTextual() || !MODEL_TYPES.contains(type.textValue()))) {
            return "model_type " + type;
        }
        JsonNode act = root.get("hidden_act");
        if (act != null && !act.isNull() && !(act.isTextual() && act.textValue().equals("silu"))) {
            return "hidden_act " + act;
        }
        for (String f : List.of("bos_token_id", "eos_token_id")) {
            JsonNode n = root.get(f);
            List<JsonNode> ids = new ArrayList<>();
            if (n != null && n.isArray()) {
                n.forEach(ids::add);
            } else if (n != null && !n.isNull()) {
                ids.add(n);
            }
            for (JsonNode id : ids) {
                if (!id.isIntegralNumber() || id.bigIntegerValue().signum() < 0
                        || id.bigIntegerValue().compareTo(BigInteger.valueOf(c.vocabSize())) >= 0) {
                    return f + " " + n + " is not a token id below vocab_size";
                }
            }
            int loaded = f.equals("bos_token_id") ? c.bosTokenId() : c.eosTokenId();
            if (!ids.isEmpty() && ids.get(0).intValue() != loaded) {
                return f + " read as " + loaded;
            }
        }
        JsonNode sw = root.get("sliding_window");
        if (sw != null && !sw.isNull() && !(sw.isIntegralNumber() && sw.canConvertToInt())) {
            String t = root.path("model_type").asText("llama");
            if (t.equals("mistral") || (t.startsWith("qwen") && root.path("use_sliding_window").asBoolean(false))) {
                return "sliding_window " + sw;
            }
        }
        for (String f : List.of("rope_scaling", "rope_parameters")) {
            JsonNode r = root.get(f);
            if (r == null || r.isNull()) {
                continue;
            }
            if (!r.isObject()) {
                return f + " is not an object";
            }
            for (var it = r.fields(); it.hasNext(); ) {
                var e = it.next();
                JsonNode v = e.getValue();
                if (v.isNumber() && !Double.isFinite(v.doubleValue())) {
                    return f + "." + e.getKey() + " is not finite";
                }
            }
            String rt = r.hasNonNull("rope_type") ? r.get("rope_type").asText() : r.path("type").asText(null);
            if (rt == null || !Set.of("default", "linear", "dynamic", "yarn", "llama3").contains(rt)) {
                return f + " type " + rt;
            }
            if (!rt.equals("default")) {
                JsonNode factor = r.get("factor");
                if (factor == null || !factor.isNumber()) {
                    return f + ".factor " + factor;
                }
            }
        }
        JsonNode types = root.get("layer_types");
        if (types != null && !types.isNull()) {
            if (!types.isArray() || types.size() != c.numHiddenLayers()) {
                return "layer_types does not list every layer";
            }
            for (JsonNode t : types) {
                if (!t.isTextual() || !Set.of("full_attention", "sliding_attention").contains(t.textValue())) {
                    return "layer_types holds " + t;
                }
            }
        }
        if (root.hasNonNull("quantization_config")) {
            return "quantised";
        }
        return null;
    }

    private static String positiveInt(JsonNode root, String field, int loaded, boolean required) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return required ? field + " is missing" : null;
        }
        if (!n.isIntegralNumber()) {
            return field + " is not an integer: " + n;
        }
        BigInteger v = n.bigIntegerValue();
        if (v.signum() <= 0 || v.bitLength() > 31) {
            return field + " " + v + " is not a positive int";
        }
        if (v.intValueExact() != loaded) {
            return field + " " + v + " read as " + loaded;
        }
        return null;
    }
}
