package dev.keel.core.chat.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.keel.core.internal.Json;

/**
 * Reads one whole JSON value, refusing trailing content and duplicate keys (a reply or a
 * parameter is taken exactly or refused).
 */
public final class StrictJson {

    private static final ObjectReader READER = Json.mapper().reader()
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private StrictJson() {
    }

    /**
     * Parses {@code text} as exactly one JSON value.
     *
     * @param text the JSON text
     * @return the value
     * @throws JsonProcessingException if the text is not one valid JSON value (empty text included)
     */
    public static JsonNode read(String text) throws JsonProcessingException {
        JsonNode node = READER.readTree(text);
        if (node == null || node.isMissingNode()) {
            throw new com.fasterxml.jackson.core.JsonParseException(null, "no JSON value (empty text)");
        }
        return node;
    }

    /**
     * Parses {@code text} as exactly one JSON value, for checking an argument.
     *
     * @param text the JSON text
     * @param what names the argument in the message, e.g. {@code "extra parameter \"logit_bias\""}
     * @return the value
     * @throws IllegalArgumentException naming {@code what} if the text is not one valid JSON value
     */
    public static JsonNode readArgument(String text, String what) {
        try {
            return read(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(what + " must be one JSON value, was \"" + text + "\": "
                    + e.getOriginalMessage(), e);
        }
    }
}
