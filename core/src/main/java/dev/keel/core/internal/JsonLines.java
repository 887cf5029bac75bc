package dev.keel.core.internal;

import dev.keel.core.data.DatasetException;


import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads and writes JSON Lines: UTF-8, one JSON object a line.
 *
 * <p>Readers never skip a bad line silently: a line that is not a JSON object, or that the record
 * parser rejects, raises a {@link DatasetException} naming the file and the line. Lines that hold
 * only whitespace are not records and are passed over. Writers are atomic
 * (see {@link AtomicFiles}).
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

    /** Streams the records of {@code file} to {@code consumer}, one line at a time. */
    public static <T> void forEach(Path file, LineParser<T> parser, LineConsumer<? super T> consumer) throws IOException {
        Preconditions.notNull(file, "file");
        Preconditions.notNull(parser, "parser");
        Preconditions.notNull(consumer, "consumer");
        ObjectMapper m = Json.mapper();
        long lineNo = 0;
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while (true) {
                try {
                    line = r.readLine();
                } catch (CharacterCodingException e) {
                    throw new DatasetException(file, lineNo + 1, "not valid UTF-8", e);
                }
                if (line == null) {
                    break;
                }
                lineNo++;
                if (lineNo == 1 && !line.isEmpty() && line.charAt(0) == '\uFEFF') {
                    line = line.substring(1);
                }
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = m.readTree(line);
                } catch (JsonProcessingException e) {
                    throw new DatasetException(file, lineNo, "malformed JSON: " + e.getOriginalMessage(), e);
                }
                if (node == null || !node.isObject()) {
                    throw new DatasetException(file, lineNo, "expected a JSON object, got " + (node == null ? "nothing" : node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)));
                }
                T record;
                try {
                    record = parser.parse(node);
                } catch (IllegalArgumentException | NullPointerException e) {
                    throw new DatasetException(file, lineNo, e.getMessage(), e);
                }
                consumer.accept(record, lineNo);
            }
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
