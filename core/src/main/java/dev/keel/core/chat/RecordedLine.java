package dev.keel.core.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.JsonLines;

import java.util.List;
import java.util.Locale;

/**
 * One line of a recorded-replies file, shared by {@link RecordedChatModel} (reads) and
 * {@link RecordingChatModel} (writes):
 * <pre>{@code
 * {"messages": [{"role": "user", "content": "Hi"}], "options": {...}?, "response": "Hello"}
 * {"prompt": "Hi", "response": "Hello"}      // shorthand: a single user message
 * }</pre>
 * The {@code options} object is optional and holds {@code temperature}, {@code top_p},
 * {@code max_tokens}, {@code stop} and {@code seed}; fields it leaves out take the values of
 * {@link GenerationOptions#defaults()}. A line without options answers a request with any options.
 *
 * @param messages the conversation the reply answers, not empty
 * @param options  the options it was generated with, or {@code null} for "any"
 * @param response the reply
 */
record RecordedLine(List<ChatMessage> messages, GenerationOptions options, String response) {

    RecordedLine {
        messages = List.copyOf(Preconditions.notEmpty(messages, "messages"));
        Preconditions.notNull(response, "response");
    }

    /** Parses one line's object; throws {@link IllegalArgumentException} naming what is wrong. */
    static RecordedLine fromJson(JsonNode node) {
        boolean hasMessages = node.hasNonNull("messages");
        boolean hasPrompt = node.hasNonNull("prompt");
        if (hasMessages && hasPrompt) {
            throw new IllegalArgumentException("give either \"messages\" or \"prompt\", not both");
        }
        if (!hasMessages && !hasPrompt) {
            throw new IllegalArgumentException("missing field \"messages\" (or the shorthand \"prompt\")");
        }
        List<ChatMessage> messages = hasMessages
                ? ChatRecord.fromJson(node).messages()
                : List.of(ChatMessage.user(JsonLines.requireText(node, "prompt")));
        GenerationOptions options = null;
        JsonNode o = node.get("options");
        if (o != null && !o.isNull()) {
            if (!o.isObject()) {
                throw new IllegalArgumentException("field \"options\" must be an object, was " + type(o));
            }
            options = optionsFromJson(o);
        }
        return new RecordedLine(messages, options, JsonLines.requireText(node, "response"));
    }

    /** This line as a JSON object. */
    ObjectNode toJson() {
        ObjectNode root = Json.mapper().createObjectNode();
        ArrayNode arr = root.putArray("messages");
        for (ChatMessage m : messages) {
            arr.addObject().put("role", m.role().wireName()).put("content", m.content());
        }
        if (options != null) {
            ObjectNode o = root.putObject("options");
            o.put("temperature", options.temperature());
            o.put("top_p", options.topP());
            o.put("max_tokens", options.maxTokens());
            if (!options.stop().isEmpty()) {
                ArrayNode stop = o.putArray("stop");
                options.stop().forEach(stop::add);
            }
            if (options.seed() != null) {
                o.put("seed", options.seed().longValue());
            }
        }
        root.put("response", response);
        return root;
    }

    private static GenerationOptions optionsFromJson(JsonNode o) {
        GenerationOptions.Builder b = GenerationOptions.defaults().toBuilder();
        JsonNode v = o.get("temperature");
        if (v != null && !v.isNull()) {
            b.temperature(number(v, "temperature"));
        }
        v = o.get("top_p");
        if (v != null && !v.isNull()) {
            b.topP(number(v, "top_p"));
        }
        v = o.get("max_tokens");
        if (v != null && !v.isNull()) {
            Preconditions.checkArgument(v.canConvertToInt() && v.isIntegralNumber(),
                    "field \"options.max_tokens\" must be an integer, was " + v);
            b.maxTokens(v.intValue());
        }
        b.stop(JsonLines.textList(o, "stop", false));
        v = o.get("seed");
        if (v != null && !v.isNull()) {
            Preconditions.checkArgument(v.canConvertToLong() && v.isIntegralNumber(),
                    "field \"options.seed\" must be an integer, was " + v);
            b.seed(v.longValue());
        }
        return b.build();
    }

    private static double number(JsonNode v, String field) {
        Preconditions.checkArgument(v.isNumber(), "field \"options." + field + "\" must be a number, was " + type(v));
        return v.doubleValue();
    }

    private static String type(JsonNode v) {
        return v.getNodeType().toString().toLowerCase(Locale.ROOT);
    }
}
