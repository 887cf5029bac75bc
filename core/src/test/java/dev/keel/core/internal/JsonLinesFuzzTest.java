package dev.keel.core.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.data.DatasetException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Issue 13, acceptance 2: a seeded fuzz pass over the JSON Lines reader. Each generated file is a
 * few lines, each line built to be valid (a random object, written with random whitespace and
 * escapes; its expected tree built directly, not by parsing), blank, or malformed in a known way.
 * The reader must return exactly the expected objects when every line is valid, and otherwise
 * raise a {@link DatasetException} naming the first malformed line; nothing else may escape. A
 * second pass flips random bytes of valid files: only {@link DatasetException} may come out.
 */
class JsonLinesFuzzTest {

    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final int FILES = 12_000;
    private static final int MUTATED = 6_000;

    enum Kind { VALID, BLANK, TWO_OBJECTS, TRAILING, DUPLICATE_KEY, TRUNCATED, NOT_OBJECT, BAD_UTF8, BAD_TOKEN, LATE_BOM }

    /** One generated line: its bytes, and what the reader must make of it. */
    record Line(byte[] bytes, Kind kind, JsonNode expected) {
    }

    @Test
    void structuredInputsAreReadExactlyOrRefusedOnTheirLine(@TempDir Path dir) throws IOException {
        Random random = new Random(20261201L);
        Path file = dir.resolve("fuzz.jsonl");
        Map<Kind, Integer> seen = new EnumMap<>(Kind.class);
        int accepted = 0;
        int refused = 0;
        for (int f = 0; f < FILES; f++) {
            int n = 1 + random.nextInt(5);
            List<Line> lines = new ArrayList<>();
            boolean anyMalformed = random.nextInt(3) != 0;
            int bad = anyMalformed ? random.nextInt(n) : -1;
            for (int i = 0; i < n; i++) {
                Kind kind = i == bad ? malformedKind(random) : (random.nextInt(6) == 0 ? Kind.BLANK : Kind.VALID);
                if (kind == Kind.LATE_BOM && i == 0) {
                    kind = Kind.TWO_OBJECTS;
                }
                lines.add(line(kind, random));
                seen.merge(kind, 1, Integer::sum);
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            if (random.nextInt(8) == 0) {
                bytes.write(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
            }
            for (int i = 0; i < n; i++) {
                bytes.writeBytes(lines.get(i).bytes());
                if (i < n - 1 || random.nextBoolean()) {
                    bytes.writeBytes(random.nextInt(4) == 0 ? new byte[] {'\r', '\n'} : new byte[] {'\n'});
                }
            }
            try {
                List<JsonNode> read = read(file, bytes.toByteArray(), f % 200 == 0);
                if (bad >= 0) {
                    fail("file " + f + ": line " + (bad + 1) + " (" + lines.get(bad).kind() + ") accepted: "
                            + new String(lines.get(bad).bytes(), StandardCharsets.UTF_8));
                }
                List<JsonNode> expected = lines.stream().filter(l -> l.kind() == Kind.VALID).map(Line::expected).toList();
                assertThat(read).as("file %d", f).isEqualTo(expected);
                accepted++;
            } catch (DatasetException e) {
                if (bad < 0) {
                    fail("file " + f + ": valid input refused: " + e.getMessage());
                }
                assertThat(e.line()).as("file %d, %s: %s", f, lines.get(bad).kind(), e.getMessage()).isEqualTo(bad + 1);
                assertThat(e.getMessage()).startsWith(file + ":" + (bad + 1) + ": ");
                refused++;
            }
        }
        assertThat(accepted + refused).isEqualTo(FILES);
        assertThat(accepted).isGreaterThan(FILES / 5);
        assertThat(refused).isGreaterThan(FILES / 2);
        for (Kind k : Kind.values()) {
            assertThat(seen.getOrDefault(k, 0)).as("kind %s generated", k).isGreaterThan(300);
        }
    }

    @Test
    void randomByteFlipsGiveOnlyDatasetExceptions(@TempDir Path dir) throws IOException {
        Random random = new Random(4242L);
        Path file = dir.resolve("mutated.jsonl");
        int refused = 0;
        for (int f = 0; f < MUTATED; f++) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            int n = 1 + random.nextInt(4);
            for (int i = 0; i < n; i++) {
                bytes.writeBytes(line(Kind.VALID, random).bytes());
                bytes.write('\n');
            }
            byte[] b = bytes.toByteArray();
            int flips = 1 + random.nextInt(3);
            for (int k = 0; k < flips; k++) {
                b[random.nextInt(b.length)] = (byte) random.nextInt(256);
            }
            try {
                List<JsonNode> read = read(file, b, f % 200 == 0);
                assertThat(read).allMatch(JsonNode::isObject);
            } catch (DatasetException e) {
                assertThat(e.line()).isBetween(1L, (long) n + 3);
                refused++;
            } catch (RuntimeException | IOException e) {
                fail("file " + f + ": " + e + " escaped for input " + new String(b, StandardCharsets.ISO_8859_1), e);
            }
        }
        assertThat(refused).isGreaterThan(MUTATED / 4);
    }

    /**
     * Reads {@code bytes} as the file {@code name}: in memory through the reader's own code path
     * (the disk of a shared build machine is slow), or, for {@code onDisk}, from a real file.
     */
    private static List<JsonNode> read(Path name, byte[] bytes, boolean onDisk) throws IOException {
        if (onDisk) {
            Files.write(name, bytes);
            return JsonLines.read(name, node -> node);
        }
        List<JsonNode> out = new ArrayList<>();
        JsonLines.forEachWithText(name, new java.io.ByteArrayInputStream(bytes), (node, text) -> node, (r, line) -> out.add(r));
        return out;
    }

    private static Kind malformedKind(Random random) {
        Kind[] bad = {Kind.TWO_OBJECTS, Kind.TRAILING, Kind.DUPLICATE_KEY, Kind.TRUNCATED, Kind.NOT_OBJECT, Kind.BAD_UTF8,
                Kind.BAD_TOKEN, Kind.LATE_BOM};
        return bad[random.nextInt(bad.length)];
    }

    private static Line line(Kind kind, Random random) {
        switch (kind) {
            case BLANK -> {
                return new Line(utf8(List.of("", " ", "\t", "  \t ").get(random.nextInt(4))), kind, null);
            }
            case VALID -> {
                ObjectNode o = F.objectNode();
                return new Line(utf8(object(o, random, 0)), kind, o);
            }
            case TWO_OBJECTS -> {
                String a = object(F.objectNode(), random, 0);
                String b = object(F.objectNode(), random, 0);
                return new Line(utf8(a + ws(random) + b), kind, null);
            }
            case TRAILING -> {
                String tail = List.of("x", "1", "]", "}", ",", "null", "\"t\"", "[]", "//c").get(random.nextInt(9));
                return new Line(utf8(object(F.objectNode(), random, 0) + ws(random) + tail), kind, null);
            }
            case DUPLICATE_KEY -> {
                StringBuilder sb = new StringBuilder("{");
                String key = string(random);
                int before = random.nextInt(3);
                Set<String> keys = new HashSet<>();
                keys.add(key);
                for (int i = 0; i < before; i++) {
                    String k = string(random);
                    if (keys.add(k)) {
                        sb.append(quote(k, random)).append(':').append(value(F.objectNode(), random, 1)).append(',');
                    }
                }
                sb.append(quote(key, random)).append(':').append(value(F.objectNode(), random, 1)).append(',');
                sb.append(ws(random)).append(quote(key, random)).append(ws(random)).append(':').append(value(F.objectNode(), random, 1));
                sb.append('}');
                String dup = sb.toString();
                if (random.nextBoolean()) {
                    dup = "{\"outer\":" + dup + "}";
                }
                return new Line(utf8(dup), kind, null);
            }
            case TRUNCATED -> {
                String text = object(F.objectNode(), random, 0);
                int cut = 1 + random.nextInt(text.lastIndexOf('}'));
                return new Line(utf8(text.substring(0, cut)), kind, null);
            }
            case NOT_OBJECT -> {
                String v = List.of("[1,2]", "1", "\"text\"", "null", "true", "[{\"a\":1}]", "-0.5").get(random.nextInt(7));
                return new Line(utf8(ws(random) + v + ws(random)), kind, null);
            }
            case BAD_UTF8 -> {
                byte[][] bads = {{(byte) 0xFF}, {(byte) 0xC0, (byte) 0x80}, {(byte) 0x80}, {(byte) 0xE2, (byte) 0x82, 'a'},
                        {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, {(byte) 0xC3, (byte) 0x28}};
                byte[] bad = bads[random.nextInt(bads.length)];
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                b.writeBytes(utf8("{\"k\":\"ab"));
                b.writeBytes(bad);
                b.writeBytes(utf8("cd\"}"));
                return new Line(b.toByteArray(), kind, null);
            }
            case BAD_TOKEN -> {
                String v = List.of("{\"a\":NaN}", "{'a':1}", "{a:1}", "{\"a\":1,}", "{\"a\":\"x\u0001y\"}", "{\"a\":01}",
                        "{\"a\":Infinity}", "{\"a\":\"\\x41\"}", "{\"a\" 1}", "{\"a\":[1,]}", "{\"a\":\"unterminated}").get(random.nextInt(11));
                return new Line(utf8(v), kind, null);
            }
            case LATE_BOM -> {
                return new Line(utf8("\uFEFF" + object(F.objectNode(), random, 0)), kind, null);
            }
            default -> throw new IllegalStateException(kind.toString());
        }
    }

    /** Writes a random object into {@code into} and returns its JSON text. */
    private static String object(ObjectNode into, Random random, int depth) {
        int n = random.nextInt(depth == 0 ? 5 : 3);
        StringBuilder sb = new StringBuilder("{").append(ws(random));
        Set<String> keys = new HashSet<>();
        boolean first = true;
        for (int i = 0; i < n; i++) {
            String k = string(random);
            if (!keys.add(k)) {
                continue;
            }
            if (!first) {
                sb.append(',').append(ws(random));
            }
            first = false;
            ObjectNode holder = F.objectNode();
            String v = value(holder, random, depth + 1);
            into.set(k, holder.get("v"));
            sb.append(quote(k, random)).append(ws(random)).append(':').append(ws(random)).append(v).append(ws(random));
        }
        return sb.append('}').toString();
    }

    /** Writes a random value into {@code holder} as field "v" and returns its JSON text. */
    private static String value(ObjectNode holder, Random random, int depth) {
        int pick = random.nextInt(depth > 3 ? 6 : 8);
        switch (pick) {
            case 0 -> {
                String s = string(random);
                holder.put("v", s);
                return quote(s, random);
            }
            case 1 -> {
                long v = random.nextInt(3) == 0 ? random.nextLong() : random.nextInt(2000) - 1000;
                if (v == (int) v) {
                    holder.put("v", (int) v);
                } else {
                    holder.put("v", v);
                }
                return Long.toString(v);
            }
            case 2 -> {
                BigInteger b = new BigInteger(70 + random.nextInt(40), random).add(BigInteger.valueOf(Long.MAX_VALUE)).add(BigInteger.ONE);
                if (random.nextBoolean()) {
                    b = b.negate().subtract(BigInteger.ONE);
                }
                holder.put("v", b);
                return b.toString();
            }
            case 3 -> {
                double d = (random.nextDouble() - 0.5) * Math.pow(10, random.nextInt(30) - 15);
                holder.put("v", d);
                return Double.toString(d);
            }
            case 4 -> {
                boolean b = random.nextBoolean();
                holder.put("v", b);
                return Boolean.toString(b);
            }
            case 5 -> {
                holder.putNull("v");
                return "null";
            }
            case 6 -> {
                ArrayNode a = holder.putArray("v");
                int n = random.nextInt(4);
                StringBuilder sb = new StringBuilder("[");
                for (int i = 0; i < n; i++) {
                    if (i > 0) {
                        sb.append(',').append(ws(random));
                    }
                    ObjectNode h = F.objectNode();
                    sb.append(value(h, random, depth + 1));
                    a.add(h.get("v"));
                }
                return sb.append(']').toString();
            }
            default -> {
                ObjectNode o = holder.putObject("v");
                return object(o, random, depth + 1);
            }
        }
    }

    private static final String[] PIECES = {"a", "b", "id", "score", "x y", "\"", "\\", "/", "\n", "\t", "\u0000", "\u001f",
            "é", "中文", "\uD83D\uDE00", "\uFEFF", "\u2028", "\r", "{", "}", ":", ","};

    private static String string(Random random) {
        int n = random.nextInt(5);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(PIECES[random.nextInt(PIECES.length)]);
        }
        return sb.toString();
    }

    /** Quotes {@code s} as a JSON string, escaping what must be escaped and, at random, more. */
    private static String quote(String s, Random random) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean pair = Character.isHighSurrogate(c) && i + 1 < s.length();
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20 || random.nextInt(10) == 0) {
                if (c == '\n' && random.nextBoolean()) {
                    sb.append("\\n");
                } else {
                    // a surrogate pair is escaped as both halves, or not at all
                    sb.append(escape(c));
                    if (pair) {
                        sb.append(escape(s.charAt(++i)));
                    }
                }
            } else {
                sb.append(c);
                if (pair) {
                    sb.append(s.charAt(++i));
                }
            }
        }
        return sb.append('"').toString();
    }

    private static String escape(char c) {
        String hex = Integer.toHexString(c);
        return "\\u" + "0000".substring(hex.length()) + hex;
    }

    private static String ws(Random random) {
        return switch (random.nextInt(6)) {
            case 0 -> " ";
            case 1 -> "\t";
            case 2 -> "  ";
            default -> "";
        };
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
