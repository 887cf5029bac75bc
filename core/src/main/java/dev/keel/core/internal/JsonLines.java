package dev.keel.core.internal;

import dev.keel.core.data.DatasetException;


import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import com.fasterxml.jackson.databind.ObjectReader;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads and writes JSON Lines: UTF-8, one JSON object a line.
 *
 * <p>Readers never skip a bad line silently and never drop data: a line that is not valid UTF-8,
 * not exactly one JSON object (two objects on a line, trailing text), an object with a duplicate
 * key, or a line that the record parser rejects raises a {@link DatasetException} naming the file
 * and the line (see {@link #forEach} for the exact rules). Lines that hold only whitespace are not
 * records and are passed over. Integers that a record reads are range-checked
 * ({@link #optionalInt}, {@link #optionalLong}): a value that does not fit is refused, never
 * wrapped. Writers are atomic (see {@link AtomicFiles}).
 *
 * <pre>{@code
 * List<ChatRecord> records = JsonLines.read(path, ChatRecord::fromJson);
 * JsonLines.write(out, records, ChatRecord::toJson);
 * }</pre>
 */
public final class JsonLines {

    /** Turns one parsed line into a record; throws {@link IllegalArgumentException} for a bad one. */
    @FunctionalInterface
    public interface LineParser<T> {
        T parse(JsonNode node);
    }

    /**
     * Turns one parsed line into a record, with the line's text as read (byte order mark and line
     * break removed): for readers that write a record back exactly as it was.
     */
    @FunctionalInterface
    public interface TextLineParser<T> {
        T parse(JsonNode node, String text);
    }

    /** Receives each record with its line number. */
    @FunctionalInterface
    public interface LineConsumer<T> {
        void accept(T record, long line) throws IOException;
    }

    private JsonLines() {
    }

    /** Reads every line of {@code file} with {@code parser}. */
    public static <T> List<T> read(Path file, LineParser<T> parser) throws IOException {
        List<T> out = new ArrayList<>();
        forEach(file, parser, (r, line) -> out.add(r));
        return out;
    }

    /** Reads every line of {@code file} as {@code type} with Keel's Jackson configuration. */
    public static <T> List<T> read(Path file, Class<T> type) throws IOException {
        Preconditions.notNull(type, "type");
        ObjectMapper m = Json.mapper();
        return read(file, node -> {
            try {
                return m.treeToValue(node, type);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("not a " + type.getSimpleName() + ": " + e.getOriginalMessage(), e);
            }
        });
    }

    /**
     * Streams the records of {@code file} to {@code consumer}, one line at a time.
     *
     * <p>What is accepted, exactly: the file is split at {@code \n} (a {@code \r} before it is
     * dropped); each line must be valid UTF-8 (checked line by line, so an invalid byte is reported
     * on its own line); a UTF-8 byte order mark is skipped at the very start of the file only
     * (anywhere else U+FEFF is an ordinary character, and outside a string a JSON error); a line of
     * only whitespace, the last one included, is no record and is passed over; every other line must
     * hold exactly one JSON object with no duplicate keys and nothing after it. Anything else raises a
     * {@link DatasetException} naming the file and the line, and so does a parser's
     * {@link IllegalArgumentException} or {@link NullPointerException}.
     */
    public static <T> void forEach(Path file, LineParser<T> parser, LineConsumer<? super T> consumer) throws IOException {
        Preconditions.notNull(parser, "parser");
        forEachWithText(file, (node, text) -> parser.parse(node), consumer);
    }

    /**
     * Reads every line of {@code file} as {@link #forEach} does, giving {@code parser} each line's
     * text as well as its object.
     */
    public static <T> List<T> readWithText(Path file, TextLineParser<T> parser) throws IOException {
        List<T> out = new ArrayList<>();
        forEachWithText(file, parser, (r, line) -> out.add(r));
        return out;
    }

    /** As {@link #forEach}, giving {@code parser} each line's text as well as its object. */
    public static <T> void forEachWithText(Path file, TextLineParser<T> parser, LineConsumer<? super T> consumer) throws IOException {
        Preconditions.notNull(file, "file");
        Preconditions.notNull(parser, "parser");
        Preconditions.notNull(consumer, "consumer");
        try (InputStream in = Files.newInputStream(file)) {
            forEachWithText(file, in, parser, consumer);
        }
    }

    /** The reader behind {@link #forEachWithText(Path, TextLineParser, LineConsumer)}: {@code in} holds the bytes of {@code file}. */
    static <T> void forEachWithText(Path file, InputStream in, TextLineParser<T> parser, LineConsumer<? super T> consumer) throws IOException {
        {
            LineSplitter lines = new LineSplitter(in);
            long lineNo = 0;
            byte[] bytes;
            while ((bytes = lines.next()) != null) {
                lineNo++;
                int from = 0;
                if (lineNo == 1 && lines.length() >= 3 && (bytes[0] & 0xFF) == 0xEF && (bytes[1] & 0xFF) == 0xBB
                        && (bytes[2] & 0xFF) == 0xBF) {
                    from = 3;
                }
                String line;
                try {
                    line = decodeUtf8(bytes, from, lines.length() - from);
                } catch (CharacterCodingException e) {
                    throw new DatasetException(file, lineNo, "not valid UTF-8", e);
                }
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = STRICT.readTree(line);
                } catch (JsonProcessingException e) {
                    throw new DatasetException(file, lineNo, "malformed JSON: " + e.getOriginalMessage(), e);
                }
                if (node == null || !node.isObject()) {
                    throw new DatasetException(file, lineNo, "expected a JSON object, got " + (node == null ? "nothing" : node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)));
                }
                T record;
                try {
                    record = parser.parse(node, line);
                } catch (IllegalArgumentException | NullPointerException e) {
                    throw new DatasetException(file, lineNo, e.getMessage(), e);
                }
                consumer.accept(record, lineNo);
            }
        }
    }

    /**
     * The strict reader of one line: duplicate keys and anything after the first value are errors.
     */
    private static final ObjectReader STRICT = Json.strictReader();

    private static String decodeUtf8(byte[] bytes, int from, int length) throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes, from, length))
                .toString();
    }

    /** Splits a byte stream at {@code \n}, dropping one {@code \r} before it; bytes are decoded later, per line. */
    private static final class LineSplitter {
        private final InputStream in;
        private final byte[] buffer = new byte[1 << 13];
        private int pos;
        private int limit;
        private byte[] line = new byte[256];
        private int length;

        LineSplitter(InputStream in) {
            this.in = in;
        }

        /** The next line's bytes (valid up to {@link #length()}), or {@code null} at the end of the stream. */
        byte[] next() throws IOException {
            length = 0;
            boolean any = false;
            while (true) {
                if (pos == limit) {
                    limit = in.read(buffer, 0, buffer.length);
                    pos = 0;
                    if (limit <= 0) {
                        limit = 0;
                        return any ? trimmed() : null;
                    }
                }
                any = true;
                int start = pos;
                while (pos < limit && buffer[pos] != '\n') {
                    pos++;
                }
                append(start, pos - start);
                if (pos < limit) {
                    pos++;
                    return trimmed();
                }
            }
        }

        int length() {
            return length;
        }

        private byte[] trimmed() {
            if (length > 0 && line[length - 1] == '\r') {
                length--;
            }
            return line;
        }

        private void append(int start, int n) {
            if (length + n > line.length) {
                long grown = Math.max((long) line.length * 2, (long) length + n);
                if (grown > Integer.MAX_VALUE - 8) {
                    throw new IllegalStateException("a line longer than " + (Integer.MAX_VALUE - 8) + " bytes");
                }
                line = java.util.Arrays.copyOf(line, (int) grown);
            }
            System.arraycopy(buffer, start, line, length, n);
            length += n;
        }
    }

    /** Writes {@code records} to {@code file} atomically, each as one line via Jackson. */
    public static void write(Path file, Iterable<?> records) throws IOException {
        Preconditions.notNull(records, "records");
        ObjectMapper m = Json.mapper();
        AtomicFiles.writeText(file, w -> {
            for (Object rec : records) {
                w.write(m.writeValueAsString(rec));
                w.write('\n');
            }
        });
    }

    /** Writes {@code records} to {@code file} atomically, each turned into JSON by {@code toJson}. */
    public static <T> void write(Path file, Iterable<? extends T> records, java.util.function.Function<? super T, ?> toJson) throws IOException {
        Preconditions.notNull(records, "records");
        Preconditions.notNull(toJson, "toJson");
        ObjectMapper m = Json.mapper();
        AtomicFiles.writeText(file, w -> {
            for (T rec : records) {
                w.write(m.writeValueAsString(toJson.apply(rec)));
                w.write('\n');
            }
        });
    }

    /** Returns the text of {@code field}, or throws naming the field if it is missing or not text. */
    public static String requireText(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("missing field \"" + field + "\"");
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException("field \"" + field + "\" must be a string, was " + v.getNodeType().toString().toLowerCase(java.util.Locale.ROOT));
        }
        return v.asText();
    }

    /** Returns the text of {@code field}, or {@code null} if absent; throws if present but not text. */
    public static String optionalText(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException("field \"" + field + "\" must be a string, was " + v.getNodeType().toString().toLowerCase(java.util.Locale.ROOT));
        }
        return v.asText();
    }

    /**
     * The integer in {@code field}, range-checked: {@code null} when the field is absent or JSON
     * null. A value outside {@code [min, max]} (4294967301 for an int, say) is refused, never wrapped;
     * so is a fraction, an exponent form ({@code 5e0}, {@code 5.0}) or a string.
     *
     * @param node  the object
     * @param field the field name
     * @param min   the smallest value accepted
     * @param max   the largest value accepted
     * @return the value, or {@code null}
     * @throws IllegalArgumentException naming the field, the range and the value
     */
    public static Integer optionalInt(JsonNode node, String field, int min, int max) {
        Long v = optionalLong(node, field, min, max);
        return v == null ? null : (int) v.longValue();
    }

    /**
     * As {@link #optionalInt} for a {@code long} field.
     *
     * @param node  the object
     * @param field the field name
     * @param min   the smallest value accepted
     * @param max   the largest value accepted
     * @return the value, or {@code null}
     * @throws IllegalArgumentException naming the field, the range and the value
     */
    public static Long optionalLong(JsonNode node, String field, long min, long max) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        return checkedLong(v, "field \"" + field + "\"", min, max);
    }

    /**
     * The integer {@code v}, range-checked: refused, never wrapped, if it is not an integral JSON
     * number or lies outside {@code [min, max]}.
     *
     * @param v    the value
     * @param what what the value is, for the message, e.g. {@code field "score"}
     * @param min  the smallest value accepted
     * @param max  the largest value accepted
     * @return the value
     * @throws IllegalArgumentException naming {@code what}, the range and the value
     */
    public static long checkedLong(JsonNode v, String what, long min, long max) {
        if (v == null || !v.isIntegralNumber()) {
            throw new IllegalArgumentException(what + " must be an integer " + min + ".." + max + ", was " + v);
        }
        java.math.BigInteger b = v.bigIntegerValue();
        if (b.compareTo(java.math.BigInteger.valueOf(min)) < 0 || b.compareTo(java.math.BigInteger.valueOf(max)) > 0) {
            throw new IllegalArgumentException(what + " must be an integer " + min + ".." + max + ", was " + b);
        }
        return b.longValueExact();
    }

    /** Returns the array in {@code field}, or throws naming the field if it is missing or not an array. */
    public static JsonNode requireArray(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("missing field \"" + field + "\"");
        }
        if (!v.isArray()) {
            throw new IllegalArgumentException("field \"" + field + "\" must be an array, was " + v.getNodeType().toString().toLowerCase(java.util.Locale.ROOT));
        }
        return v;
    }

    /** Returns the list of strings in array {@code field} ({@code required} or else empty when absent). */
    public static List<String> textList(JsonNode node, String field, boolean required) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw new IllegalArgumentException("missing field \"" + field + "\"");
            }
            return List.of();
        }
        if (!v.isArray()) {
            throw new IllegalArgumentException("field \"" + field + "\" must be an array of strings");
        }
        List<String> out = new ArrayList<>(v.size());
        for (int i = 0; i < v.size(); i++) {
            JsonNode e = v.get(i);
            if (!e.isTextual()) {
                throw new IllegalArgumentException("field \"" + field + "\"[" + i + "] must be a string");
            }
            out.add(e.asText());
        }
        return out;
    }
}
