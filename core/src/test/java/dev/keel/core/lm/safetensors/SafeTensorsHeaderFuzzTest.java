package dev.keel.core.lm.safetensors;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A seeded fuzz pass over the safetensors header: 12,000 files built from random valid ones and
 * mutated (dtype unknown or of the wrong type, shapes negative, fractional, huge or mismatched,
 * offsets overlapping, out of range, reversed or leaving holes, duplicate names, metadata that is
 * not strings, header length changed, truncation, byte flips). The parser's verdict must equal the
 * independent rule {@link #expected} written here from the format's description — accepted exactly
 * when valid, with the same tensors — and a refusal is a {@link SafeTensorsException} and nothing else.
 */
class SafeTensorsHeaderFuzzTest {

    static final int INPUTS = 12_000;
    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();
    private static final Map<String, Integer> SIZES = Map.of("F64", 8, "F32", 4, "F16", 2, "BF16", 2, "I64", 8, "I32", 4,
            "I16", 2, "I8", 1, "U8", 1, "BOOL", 1);
    private static final List<String> NAMES = List.copyOf(SIZES.keySet()).stream().sorted().toList();

    /** A tensor as the rule reads it. */
    record Entry(String dtype, long[] shape, long begin, long end) {
    }

    @Test
    void theParserAcceptsExactlyTheValidHeaders(@TempDir Path dir) throws IOException {
        // a memory file system where there is one: 12,000 files on a busy disk take most of the time
        Path shm = Path.of("/dev/shm");
        Path base = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "keel-st-fuzz") : dir;
        Path file = base.resolve("fuzz.safetensors");
        try {
            run(file);
        } finally {
            Files.deleteIfExists(file);
            if (!base.equals(dir)) {
                Files.deleteIfExists(base);
            }
        }
    }

    private void run(Path file) throws IOException {
        long cpuStart = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        SplittableRandom rnd = new SplittableRandom(424242L);
        int accepted = 0;
        int refused = 0;
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < INPUTS; i++) {
            ObjectNode header = JsonNodeFactory.instance.objectNode();
            long data = validHeader(header, rnd);
            String text = header.toString();
            int muts = rnd.nextInt(3);
            for (int m = 0; m < muts; m++) {
                text = mutateHeader(text, header, rnd);
            }
            byte[] h = text.getBytes(StandardCharsets.UTF_8);
            long dataBytes = rnd.nextInt(8) == 0 ? Math.max(0, data + rnd.nextInt(9) - 4) : data;
            ByteBuffer b = ByteBuffer.allocate(8 + h.length + (int) dataBytes).order(ByteOrder.LITTLE_ENDIAN);
            long declared = h.length;
            if (rnd.nextInt(12) == 0) {
                declared = pick(rnd, 0L, 1L, -1L, h.length + 1L, h.length - 1L, 200_000_000L, Long.MIN_VALUE);
            }
            b.putLong(declared).put(h);
            for (int k = 0; k < dataBytes; k++) {
                b.put((byte) (k % 2));   // bytes every dtype reads as a value (a BOOL is 0 or 1)
            }
            byte[] bytes = b.array();
            if (rnd.nextInt(10) == 0) {
                bytes = rnd.nextBoolean() ? Arrays.copyOf(bytes, rnd.nextInt(bytes.length + 1)) : flip(bytes, rnd);
            }
            Files.write(file, bytes);
            Map<String, Entry> rule = expected(bytes);
            Map<String, TensorInfo> got = null;
            try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
                got = new LinkedHashMap<>();
                for (String n : f.names()) {
                    got.put(n, f.info(n));
                    TensorInfo t = f.info(n);
                    if (!t.dtype().isFloating()) {
                        if (f.readLongs(n).length != t.elementCount()) {
                            problems.add("input " + i + ": wrong count read for " + n);
                        }
                    } else if (f.readFloats(n).length != t.elementCount()) {
                        problems.add("input " + i + ": wrong count read for " + n);
                    }
                }
                accepted++;
            } catch (SafeTensorsException e) {
                got = null;
                refused++;
                if (e.getMessage() == null || !e.getMessage().contains(file.toString()) && !e.getMessage().contains("end of file")) {
                    problems.add("input " + i + ": message does not name the file: " + e.getMessage());
                }
            } catch (IOException | RuntimeException | Error e) {
                problems.add("input " + i + ": undocumented " + e + " for header " + text);
                continue;
            }
            if (got == null && rule != null) {
                problems.add("input " + i + ": valid file refused: " + text);
            } else if (got != null && rule == null) {
                problems.add("input " + i + ": invalid file accepted: " + text + " (" + bytes.length + " bytes)");
            } else if (got != null) {
                if (!got.keySet().equals(rule.keySet())) {
                    problems.add("input " + i + ": tensors " + got.keySet() + " but the rule reads " + rule.keySet());
                    continue;
                }
                for (Map.Entry<String, Entry> e : rule.entrySet()) {
                    TensorInfo t = got.get(e.getKey());
                    Entry r = e.getValue();
                    if (!t.dtype().name().equals(r.dtype()) || !Arrays.equals(t.shape(), r.shape()) || t.begin() != r.begin() || t.end() != r.end()) {
                        problems.add("input " + i + ": " + e.getKey() + " read as " + t + ", the rule reads " + r);
                    }
                }
            }
        }
        System.out.printf("safetensors header fuzz: %d inputs, %d accepted, %d refused, %d problems%n", INPUTS, accepted, refused, problems.size());
        System.out.printf("  (%.1f s of CPU time in this test's thread)%n", (java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpuStart) / 1e9);
        assertThat(problems).as(String.join("\n", problems.subList(0, Math.min(5, problems.size())))).isEmpty();
        assertThat(accepted).isGreaterThan(INPUTS / 10);
        assertThat(refused).isGreaterThan(INPUTS / 4);
    }

    @SafeVarargs
    private static <T> T pick(SplittableRandom rnd, T... options) {
        return options[rnd.nextInt(options.length)];
    }

    private static byte[] flip(byte[] in, SplittableRandom rnd) {
        byte[] out = in.clone();
        if (out.length > 0) {
            out[rnd.nextInt(out.length)] = (byte) rnd.nextInt(256);
        }
        return out;
    }

    /** Fills {@code header} with 0–4 valid tensors tiling the data, in random order; returns the data size. */
    private static long validHeader(ObjectNode header, SplittableRandom rnd) {
        int n = rnd.nextInt(5);
        long at = 0;
        List<String> names = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            names.add(pick(rnd, "a", "b", "model.w", "x.y.z", "é", "__m", "t" + k) + k);
        }
        if (rnd.nextInt(3) == 0) {
            ObjectNode meta = header.putObject("__metadata__");
            meta.put("format", "pt");
        }
        List<ObjectNode> entries = new ArrayList<>();
        for (String name : names) {
            String dtype = NAMES.get(rnd.nextInt(NAMES.size()));
            int dims = rnd.nextInt(3);
            ObjectNode e = JsonNodeFactory.instance.objectNode();
            e.put("dtype", dtype);
            ArrayNode shape = e.putArray("shape");
            long count = 1;
            for (int d = 0; d < dims; d++) {
                int s = rnd.nextInt(4);
                shape.add(s);
                count *= s;
            }
            long len = count * SIZES.get(dtype);
            e.putArray("data_offsets").add(at).add(at + len);
            at += len;
            e.put("@name", name);
            entries.add(e);
        }
        // header order need not be data order
        for (int k = entries.size() - 1; k > 0; k--) {
            int j = rnd.nextInt(k + 1);
            ObjectNode t = entries.get(k);
            entries.set(k, entries.get(j));
            entries.set(j, t);
        }
        for (ObjectNode e : entries) {
            String name = e.remove("@name").asText();
            header.set(name, e);
        }
        return at;
    }

    private static String mutateHeader(String text, ObjectNode header, SplittableRandom rnd) {
        List<String> names = new ArrayList<>();
        header.fieldNames().forEachRemaining(names::add);
        names.remove("__metadata__");
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (names.isEmpty() || rnd.nextInt(8) == 0) {
            return switch (rnd.nextInt(5)) {
                case 0 -> text.substring(0, rnd.nextInt(text.length() + 1));
                case 1 -> text + pick(rnd, " ", "  ", "x", "{}", "\n");
                case 2 -> {
                    header.putObject("__metadata__").put("k", pick(rnd, "v", "1"));
                    if (rnd.nextBoolean()) {
                        ((ObjectNode) header.get("__metadata__")).put("n", 1);
                    }
                    yield header.toString();
                }
                case 3 -> text.replaceFirst("\\{", "{\"dup\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]},\"dup\":1,");
                default -> "[" + text + "]";
            };
        }
        String name = names.get(rnd.nextInt(names.size()));
        ObjectNode e = (ObjectNode) header.get(name);
        switch (rnd.nextInt(12)) {
            case 0 -> e.put("dtype", pick(rnd, "F8_E4M3", "U16", "f32", "", "FLOAT", "I128"));
            case 1 -> e.put("dtype", 4);
            case 2 -> e.remove(pick(rnd, "dtype", "shape", "data_offsets"));
            case 3 -> e.set("shape", f.arrayNode().add(pick(rnd, -1L, 4294967296L, 1L << 62)).add(2));
            case 4 -> e.set("shape", f.arrayNode().add(1.5));
            case 5 -> e.put("shape", "[2]");
            case 6 -> e.set("data_offsets", f.arrayNode().add(e.path("data_offsets").path(1).asLong()).add(e.path("data_offsets").path(0).asLong()));
            case 7 -> {
                long b = e.path("data_offsets").path(0).asLong() + rnd.nextInt(5) - 2;
                long en = e.path("data_offsets").path(1).asLong() + rnd.nextInt(5) - 2;
                e.set("data_offsets", f.arrayNode().add(b).add(en));
            }
            case 8 -> e.set("data_offsets", f.arrayNode().add(0));
            case 9 -> e.set("data_offsets", f.arrayNode().add(0).add(new BigInteger("18446744073709551616")));
            case 10 -> header.set(name + "_copy", e.deepCopy());
            default -> {
                if (e.get("shape") instanceof ArrayNode shape) {
                    shape.add(rnd.nextInt(3));
                }
            }
        }
        return header.toString();
    }

    /** The rule: the tensors of a valid file, or null where the file is not one Keel should read. */
    static Map<String, Entry> expected(byte[] bytes) {
        if (bytes.length < 8) {
            return null;
        }
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (n < 2 || n > 100_000_000L || 8 + n > bytes.length) {
            return null;
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 8, (int) n)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
        JsonNode root;
        try {
            root = STRICT.readTree(text);
        } catch (IOException e) {
            return null;
        }
        if (root == null || !root.isObject()) {
            return null;
        }
        long data = bytes.length - 8 - n;
        Map<String, Entry> out = new LinkedHashMap<>();
        for (var it = root.fields(); it.hasNext(); ) {
            var kv = it.next();
            JsonNode v = kv.getValue();
            if (kv.getKey().equals("__metadata__")) {
                if (!v.isObject()) {
                    return null;
                }
                for (JsonNode m : v) {
                    if (!m.isTextual()) {
                        return null;
                    }
                }
                continue;
            }
            if (!v.isObject() || !v.path("dtype").isTextual() || !SIZES.containsKey(v.get("dtype").textValue())
                    || !v.path("shape").isArray() || !v.path("data_offsets").isArray() || v.get("data_offsets").size() != 2) {
                return null;
            }
            BigInteger count = BigInteger.ONE;
            long[] shape = new long[v.get("shape").size()];
            for (int k = 0; k < shape.length; k++) {
                JsonNode d = v.get("shape").get(k);
                if (!d.isIntegralNumber() || d.bigIntegerValue().signum() < 0 || d.bigIntegerValue().bitLength() > 63) {
                    return null;
                }
                shape[k] = d.longValue();
                count = count.multiply(d.bigIntegerValue());
                if (count.bitLength() > 63) {
                    return null;   // Keel's rule, as the reference reader's checked product: no running count past 2^63 - 1
                }
            }
            JsonNode b = v.get("data_offsets").get(0);
            JsonNode e = v.get("data_offsets").get(1);
            for (JsonNode o : List.of(b, e)) {
                if (!o.isIntegralNumber() || o.bigIntegerValue().signum() < 0 || o.bigIntegerValue().bitLength() > 63) {
                    return null;
                }
            }
            long begin = b.longValue();
            long end = e.longValue();
            if (end < begin || end > data || !count.multiply(BigInteger.valueOf(SIZES.get(v.get("dtype").textValue())))
                    .equals(BigInteger.valueOf(end - begin))) {
                return null;
            }
            out.put(kv.getKey(), new Entry(v.get("dtype").textValue(), shape, begin, end));
        }
        // the tensors tile [0, data): sorted by begin, each starts where the one before ended
        List<Entry> sorted = new ArrayList<>(out.values());
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long at = 0;
        for (Entry t : sorted) {
            if (t.begin() != at) {
                return null;
            }
            at = t.end();
        }
        if (at != data) {
            return null;
        }
        // the values: a BOOL byte is 0 or 1; an F64 read as floats must stay finite where it was
        long start = 8 + n;
        for (Entry t : out.values()) {
            for (long k = t.begin(); k < t.end(); k += SIZES.get(t.dtype())) {
                if (t.dtype().equals("BOOL") && (bytes[(int) (start + k)] & 0xFF) > 1) {
                    return null;
                }
                if (t.dtype().equals("F64")) {
                    double v = ByteBuffer.wrap(bytes, (int) (start + k), 8).order(ByteOrder.LITTLE_ENDIAN).getDouble();
                    if (Double.isFinite(v) && Math.abs(v) > Float.MAX_VALUE && Float.isInfinite((float) v)) {
                        return null;
                    }
                }
            }
        }
        return out;
    }
}
