package dev.keel.core.chat;

import dev.keel.core.internal.Preconditions;

/**
 * One message of a conversation.
 *
 * @param role    who speaks
 * @param content what is said (may be empty, never null)
 */
public record ChatMessage(Role role, String content) {

    public ChatMessage {
        Preconditions.notNull(role, "role");
        Preconditions.notNull(content, "content");
    }

    public static ChatMessage system(String content) {
        return new ChatMessage(Role.SYSTEM, content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage(Role.USER, content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage(Role.ASSISTANT, content);
    }
}
