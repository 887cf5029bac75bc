package dev.keel.core.internal;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The one Jackson configuration Keel reads and writes its JSON with. */
public final class Json {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .disable(SerializationFeature.INDENT_OUTPUT)
            .defaultPropertyInclusion(JsonInclude.Value.construct(JsonInclude.Include.NON_NULL, JsonInclude.Include.NON_NULL))
            .build();

    /**
     * The strict reader of whole JSON texts: a duplicate key in an object, or anything but
     * whitespace after the first value, is an error (Jackson's STRICT_DUPLICATE_DETECTION and
     * FAIL_ON_TRAILING_TOKENS), so that no value is silently dropped.
     */
    private static final ObjectReader STRICT = MAPPER.reader()
            .with(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Json() {
    }

    /**
     * The strict reader: duplicate keys and trailing content after the first value are refused.
     *
     * @return the shared, thread-safe reader
     */
    public static ObjectReader strictReader() {
        return STRICT;
    }

    /** A shared, thread-safe mapper: unknown properties are ignored, nulls are not written. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /**
     * Reads a whole JSON file with the {@link #strictReader() strict reader}, decoded by
     * {@link TextFiles#readUtf8(Path)} (strict UTF-8, a byte order mark at the start skipped, as in
     * {@link JsonLines}).
     *
     * @throws IOException if it cannot be read, is not UTF-8 (the message names the byte offset), or
     *                     is not valid JSON (a duplicate key or trailing content included); the
     *                     message names the file
     */
    public static JsonNode readFile(Path file) throws IOException {
        String text = TextFiles.readUtf8(file);
        try {
            return STRICT.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IOException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Parses {@code text} as one JSON object: the common core of the public {@code parseLine(String)}
     * methods. Strict: a duplicate key, or anything after the object (a second object on the line),
     * is refused; no byte order mark is skipped (a line is not a file).
     *
     * @param text the JSON text, e.g. one line of a JSON Lines file
     * @return the object
     * @throws NullPointerException     if {@code text} is null
     * @throws IllegalArgumentException if {@code text} is not valid JSON, not an object, holds a
     *                                  duplicate key or trailing content
     */
    public static JsonNode parseObject(String text) {
        Preconditions.notNull(text, "text");
        JsonNode node;
        try {
            node = STRICT.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("expected a JSON object, was "
                    + (node == null || node.isMissingNode() ? "empty text" : node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)));
        }
        return node;
    }

    /** Writes {@code value} as indented JSON ending in a line break. */
    public static String toPrettyString(Object value) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(value) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write " + value.getClass().getName() + " as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** Puts {@code v} as {@code field}, or JSON null where it is NaN or infinite (which JSON cannot hold). */
    public static void putNumber(com.fasterxml.jackson.databind.node.ObjectNode o, String field, double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            o.putNull(field);
        } else {
            o.put(field, v);
        }
    }

    /**
     * An object node of {@code fields} in their order, nulls written as JSON null (the mapper's
     * default would leave them out): for numbers that may be missing, such as a NaN score.
     */
    public static com.fasterxml.jackson.databind.node.ObjectNode objectOf(java.util.Map<String, ?> fields) {
        com.fasterxml.jackson.databind.node.ObjectNode o = MAPPER.createObjectNode();
        fields.forEach((k, v) -> o.set(k, v == null ? o.nullNode() : MAPPER.valueToTree(v)));
        return o;
    }

    /** Writes {@code value} as one line of compact JSON. */
    public static String toLine(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write " + value.getClass().getName() + " as JSON: " + e.getOriginalMessage(), e);
        }
    }
}
