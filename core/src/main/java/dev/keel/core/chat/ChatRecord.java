package dev.keel.core.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.JsonLines;
import dev.keel.core.internal.Preconditions;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One chat fine-tuning record in the OpenAI format:
 * {@code {"messages": [{"role", "content"}], "category"?, "source"?}}.
 *
 * <pre>{@code
 * ChatRecord.writeAll(out, List.of(ChatRecord.of("Be brief.", "2+2?", "4").withCategory("benign")));
 * List<ChatRecord> back = ChatRecord.readAll(out);
 * }</pre>
 *
 * @param messages the conversation, not empty
 * @param category a policy category, or {@code null}
 * @param source   where the record came from, or {@code null}
 */
public record ChatRecord(List<ChatMessage> messages, String category, String source) {

    /**
     * A record; {@code messages} is copied.
     *
     * @param messages the conversation, not empty
     * @param category a policy category, or {@code null}
     * @param source   where the record came from, or {@code null}
     * @throws NullPointerException     if {@code messages} is null
     * @throws IllegalArgumentException if {@code messages} is empty or holds null
     */
    public ChatRecord {
        messages = List.copyOf(Preconditions.notEmpty(messages, "messages"));
    }

    /**
     * A record without category or source.
     *
     * @param messages the conversation, not empty
     * @return the record
     * @throws NullPointerException     if {@code messages} is null
     * @throws IllegalArgumentException if {@code messages} is empty or holds null
     */
    public static ChatRecord of(List<ChatMessage> messages) {
        return new ChatRecord(messages, null, null);
    }

    /**
     * A user turn answered by an assistant turn, optionally after a system prompt.
     *
     * @param system    the system prompt, or {@code null} for none
     * @param user      the user turn
     * @param assistant the assistant turn
     * @return the record
     * @throws NullPointerException if {@code user} or {@code assistant} is null
     */
    public static ChatRecord of(String system, String user, String assistant) {
        List<ChatMessage> m = new ArrayList<>(3);
        if (system != null) {
            m.add(ChatMessage.system(system));
        }
        m.add(ChatMessage.user(user));
        m.add(ChatMessage.assistant(assistant));
        return of(m);
    }

    /**
     * This record with another category.
     *
     * @param category a policy category, or {@code null}
     * @return a new record
     */
    public ChatRecord withCategory(String category) {
        return new ChatRecord(messages, category, source);
    }

    /**
     * This record with another source.
     *
     * @param source where the record came from, or {@code null}
     * @return a new record
     */
    public ChatRecord withSource(String source) {
        return new ChatRecord(messages, category, source);
    }

    /**
     * Parses one JSON Lines line of a chat file.
     *
     * @param line the line, one JSON object
     * @return the record
     * @throws NullPointerException     if {@code line} is null
     * @throws IllegalArgumentException naming what is wrong: invalid JSON, a missing or mistyped
     *                                  field, an unknown role
     */
    public static ChatRecord parseLine(String line) {
        return fromJson(Json.parseObject(line));
    }

    /**
     * This record as one line of JSON (no line break), in the OpenAI chat format.
     *
     * @return the JSON text
     */
    public String toJsonLine() {
        return Json.toLine(toJson());
    }

    /** Parses one line's object; throws {@link IllegalArgumentException} naming what is wrong. */
    static ChatRecord fromJson(JsonNode node) {
        JsonNode arr = JsonLines.requireArray(node, "messages");
        if (arr.isEmpty()) {
            throw new IllegalArgumentException("field \"messages\" must not be empty");
        }
        List<ChatMessage> messages = new ArrayList<>(arr.size());
        for (int i = 0; i < arr.size(); i++) {
            JsonNode m = arr.get(i);
            if (!m.isObject()) {
                throw new IllegalArgumentException("messages[" + i + "] must be an object");
            }
            Role role;
            try {
                role = Role.fromWireName(JsonLines.requireText(m, "role"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("messages[" + i + "]: " + e.getMessage(), e);
            }
            String content;
            try {
                content = JsonLines.requireText(m, "content");
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("messages[" + i + "]: " + e.getMessage(), e);
            }
            messages.add(new ChatMessage(role, content));
        }
        return new ChatRecord(messages, JsonLines.optionalText(node, "category"), JsonLines.optionalText(node, "source"));
    }

    /** This record as a JSON object in the OpenAI chat format. */
    ObjectNode toJson() {
        ObjectNode o = Json.mapper().createObjectNode();
        ArrayNode arr = o.putArray("messages");
        for (ChatMessage m : messages) {
            arr.addObject().put("role", m.role().wireName()).put("content", m.content());
        }
        if (category != null) {
            o.put("category", category);
        }
        if (source != null) {
            o.put("source", source);
        }
        return o;
    }

    /**
     * Reads chat records from a JSON Lines file.
     *
     * @param file the file
     * @return the records, in file order
     * @throws IOException                          if the file cannot be read
     * @throws dev.keel.core.KeelException        if a line is not a chat record (a dataset error naming file and line)
     */
    public static List<ChatRecord> readAll(Path file) throws IOException {
        return JsonLines.read(file, ChatRecord::fromJson);
    }

    /**
     * Writes chat records to a JSON Lines file atomically.
     *
     * @param file    the file
     * @param records the records
     * @throws IOException if the file cannot be written
     */
    public static void writeAll(Path file, List<ChatRecord> records) throws IOException {
        JsonLines.write(file, records, ChatRecord::toJson);
    }
}
