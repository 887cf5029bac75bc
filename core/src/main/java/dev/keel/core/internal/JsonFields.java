package dev.keel.core.internal;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Strict readers of one field of a parsed JSON object, for configuration files: a value of the
 * wrong JSON type is refused naming the field and the value, never converted (Jackson's
 * {@code asInt}, {@code asBoolean} and {@code asDouble} read {@code "abc"} as 0 or false, and
 * {@code intValue} wraps 4294967301 to 5). Integers go through {@link JsonLines#checkedLong}.
 */
public final class JsonFields {

    private JsonFields() {
    }

    private static JsonNode present(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v;
    }

    /**
     * An integer field in {@code [min, max]}.
     *
     * @param node     the object
     * @param field    the field name (also the name in messages)
     * @param min      the smallest value accepted
     * @param max      the largest value accepted
     * @param fallback the value when the field is absent or null; null makes it required
     * @return the value
     * @throws IllegalArgumentException if it is missing (without fallback), not an integer, or out of range
     */
    public static int integer(JsonNode node, String field, int min, int max, Integer fallback) {
        JsonNode v = present(node, field);
        if (v == null) {
            if (fallback == null) {
                throw new IllegalArgumentException(field + " is missing");
            }
            return fallback;
        }
        return (int) JsonLines.checkedLong(v, field, min, max);
    }

    /**
     * A finite number field.
     *
     * @param node     the object
     * @param field    the field name
     * @param fallback the value when the field is absent or null; null makes it required
     * @return the value
     * @throws IllegalArgumentException if it is missing (without fallback), not a number, or not finite
     *                                  (1e400 parses as infinity)
     */
    public static double number(JsonNode node, String field, Double fallback) {
        JsonNode v = present(node, field);
        if (v == null) {
            if (fallback == null) {
                throw new IllegalArgumentException(field + " is missing");
            }
            return fallback;
        }
        if (!v.isNumber()) {
            throw new IllegalArgumentException(field + " must be a number, was " + v);
        }
        if (!Double.isFinite(v.doubleValue())) {
            throw new IllegalArgumentException(field + " must be a finite number, was " + v.asText());
        }
        return v.doubleValue();
    }

    /**
     * A boolean field.
     *
     * @param node     the object
     * @param field    the field name
     * @param fallback the value when the field is absent or null
     * @return the value
     * @throws IllegalArgumentException if it is present and not {@code true} or {@code false}
     */
    public static boolean bool(JsonNode node, String field, boolean fallback) {
        JsonNode v = present(node, field);
        if (v == null) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw new IllegalArgumentException(field + " must be true or false, was " + v);
        }
        return v.booleanValue();
    }

    /**
     * A string field.
     *
     * @param node     the object
     * @param field    the field name
     * @param fallback the value when the field is absent or null (may be null)
     * @return the value
     * @throws IllegalArgumentException if it is present and not a string
     */
    public static String text(JsonNode node, String field, String fallback) {
        JsonNode v = present(node, field);
        if (v == null) {
            return fallback;
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException(field + " must be a string, was " + v);
        }
        return v.textValue();
    }
}
