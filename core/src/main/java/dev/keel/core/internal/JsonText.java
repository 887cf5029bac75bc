package dev.keel.core.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

/** Parses one JSON object from text, for the public {@code parseLine(String)} methods. Not API. */
public final class JsonText {

    private JsonText() {
    }

    /**
     * Parses {@code text} as one JSON object.
     *
     * @param text the JSON text, e.g. one line of a JSON Lines file
     * @return the object
     * @throws NullPointerException     if {@code text} is null
     * @throws IllegalArgumentException if {@code text} is not valid JSON or not an object
     */
    public static JsonNode parseObject(String text) {
        Preconditions.notNull(text, "text");
        JsonNode node;
        try {
            node = Json.mapper().readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("expected a JSON object, was "
                    + (node == null || node.isMissingNode() ? "empty text" : node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)));
        }
        return node;
    }
}
