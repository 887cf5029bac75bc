package dev.keel.core.chat;

import dev.keel.core.internal.JsonLines;

import dev.keel.core.internal.Json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.internal.Preconditions;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One chat fine-tuning record in the OpenAI format:
 * {@code {"messages": [{"role", "content"}], "category"?, "source"?}}.
 *
 * @param messages the conversation, not empty
 * @param category a policy category, or {@code null}
 * @param source   where the record came from, or {@code null}
 */
public record ChatRecord(List<ChatMessage> messages, String category, String source) {

    public ChatRecord {
        messages = List.copyOf(Preconditions.notEmpty(messages, "messages"));
    }

    public static ChatRecord of(List<ChatMessage> messages) {
        return new ChatRecord(messages, null, null);
    }

    /** A user turn answered by an assistant turn, optionally after a system prompt. */
    public static ChatRecord of(String system, String user, String assistant) {
        List<ChatMessage> m = new ArrayList<>(3);
        if (system != null) {
            m.add(ChatMessage.system(system));
        }
        m.add(ChatMessage.user(user));
        m.add(ChatMessage.assistant(assistant));
        return of(m);
    }

    public ChatRecord withCategory(String category) {
        return new ChatRecord(messages, category, source);
    }

    public ChatRecord withSource(String source) {
        return new ChatRecord(messages, category, source);
    }

    /** Parses one line's object; throws {@link IllegalArgumentException} naming what is wrong. */
    public static ChatRecord fromJson(JsonNode node) {
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
    public ObjectNode toJson() {
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

    /** Reads chat records from a JSON Lines file. */
    public static List<ChatRecord> readAll(Path file) throws IOException {
        return JsonLines.read(file, ChatRecord::fromJson);
    }

    /** Writes chat records to a JSON Lines file atomically. */
    public static void writeAll(Path file, List<ChatRecord> records) throws IOException {
        JsonLines.write(file, records, ChatRecord::toJson);
    }
}
