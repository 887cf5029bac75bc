package dev.keel.core.chat;

import dev.keel.core.internal.Preconditions;

/**
 * One message of a conversation.
 *
 * @param role    who speaks
 * @param content what is said (may be empty, never null)
 */
public record ChatMessage(Role role, String content) {

    /**
     * A message.
     *
     * @param role    who speaks
     * @param content what is said (may be empty)
     * @throws NullPointerException if {@code role} or {@code content} is null
     */
    public ChatMessage {
        Preconditions.notNull(role, "role");
        Preconditions.notNull(content, "content");
    }

    /**
     * A system message.
     *
     * @param content the system prompt
     * @return the message
     * @throws NullPointerException if {@code content} is null
     */
    public static ChatMessage system(String content) {
        return new ChatMessage(Role.SYSTEM, content);
    }

    /**
     * A user message.
     *
     * @param content what the user says
     * @return the message
     * @throws NullPointerException if {@code content} is null
     */
    public static ChatMessage user(String content) {
        return new ChatMessage(Role.USER, content);
    }

    /**
     * An assistant message.
     *
     * @param content what the assistant says
     * @return the message
     * @throws NullPointerException if {@code content} is null
     */
    public static ChatMessage assistant(String content) {
        return new ChatMessage(Role.ASSISTANT, content);
    }
}
