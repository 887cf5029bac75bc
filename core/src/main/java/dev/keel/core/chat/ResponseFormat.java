package dev.keel.core.chat;

import dev.keel.core.chat.internal.StrictJson;
import dev.keel.core.internal.Preconditions;

import java.util.Objects;

/**
 * The {@code response_format} of a chat request: free text, any JSON object, or JSON that follows a
 * schema. Immutable.
 *
 * <pre>{@code
 * GenerationOptions o = GenerationOptions.builder()
 *         .responseFormat(ResponseFormat.jsonSchema("verdict", "{\"type\":\"object\",\"properties\":{\"score\":{\"type\":\"integer\"}}}", true))
 *         .build();
 * }</pre>
 */
public final class ResponseFormat {

    /** The kind of format, as sent in {@code response_format.type}. */
    public enum Type {
        /** {@code "text"}: free text (the endpoint's default). */
        TEXT("text"),
        /** {@code "json_object"}: any valid JSON object. */
        JSON_OBJECT("json_object"),
        /** {@code "json_schema"}: JSON that follows {@link ResponseFormat#schema()}. */
        JSON_SCHEMA("json_schema");

        private final String wireName;

        Type(String wireName) {
            this.wireName = wireName;
        }

        /**
         * The name sent on the wire.
         *
         * @return e.g. {@code "json_object"}
         */
        public String wireName() {
            return wireName;
        }
    }

    private static final ResponseFormat TEXT = new ResponseFormat(Type.TEXT, null, null, false);
    private static final ResponseFormat JSON_OBJECT = new ResponseFormat(Type.JSON_OBJECT, null, null, false);

    private final Type type;
    private final String name;
    private final String schema;
    private final boolean strict;

    private ResponseFormat(Type type, String name, String schema, boolean strict) {
        this.type = type;
        this.name = name;
        this.schema = schema;
        this.strict = strict;
    }

    /**
     * Free text: {@code {"type":"text"}}.
     *
     * @return the format
     */
    public static ResponseFormat text() {
        return TEXT;
    }

    /**
     * Any JSON object: {@code {"type":"json_object"}}.
     *
     * @return the format
     */
    public static ResponseFormat jsonObject() {
        return JSON_OBJECT;
    }

    /**
     * JSON that follows {@code schema}:
     * {@code {"type":"json_schema","json_schema":{"name":...,"schema":{...},"strict":...}}}.
     *
     * @param name   the schema's name: letters, digits, {@code _} and {@code -}, 1 to 64 characters
     * @param schema a JSON Schema, as the text of one JSON object
     * @param strict whether the endpoint must follow the schema exactly
     * @return the format
     * @throws NullPointerException     if {@code name} or {@code schema} is null
     * @throws IllegalArgumentException if {@code name} is not of that form, or {@code schema} is not
     *                                  one JSON object
     */
    public static ResponseFormat jsonSchema(String name, String schema, boolean strict) {
        Preconditions.notNull(name, "name");
        Preconditions.notNull(schema, "schema");
        Preconditions.checkArgument(name.matches("[A-Za-z0-9_-]{1,64}"),
                "schema name must be 1 to 64 letters, digits, '_' or '-', was \"" + name + "\"");
        Preconditions.checkArgument(StrictJson.readArgument(schema, "schema").isObject(),
                "schema must be one JSON object, was \"" + schema + "\"");
        return new ResponseFormat(Type.JSON_SCHEMA, name, schema, strict);
    }

    /**
     * The kind of format.
     *
     * @return the type
     */
    public Type type() {
        return type;
    }

    /**
     * The schema's name.
     *
     * @return the name, or {@code null} unless the type is {@code JSON_SCHEMA}
     */
    public String name() {
        return name;
    }

    /**
     * The JSON Schema, as given.
     *
     * @return the schema text, or {@code null} unless the type is {@code JSON_SCHEMA}
     */
    public String schema() {
        return schema;
    }

    /**
     * Whether the schema is to be followed exactly.
     *
     * @return the strict flag ({@code false} unless the type is {@code JSON_SCHEMA})
     */
    public boolean strict() {
        return strict;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ResponseFormat f && f.type == type && Objects.equals(f.name, name)
                && Objects.equals(f.schema, schema) && f.strict == strict;
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, name, schema, strict);
    }

    @Override
    public String toString() {
        return type == Type.JSON_SCHEMA ? "ResponseFormat[json_schema " + name + (strict ? ", strict" : "") + "]"
                : "ResponseFormat[" + type.wireName() + "]";
    }
}
