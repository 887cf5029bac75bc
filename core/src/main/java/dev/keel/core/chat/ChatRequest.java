package dev.keel.core.chat;

import dev.keel.core.internal.Preconditions;

import java.util.List;

/**
 * A conversation to continue and how to generate the reply.
 *
 * @param messages the conversation so far, not empty
 * @param options  generation options
 */
public record ChatRequest(List<ChatMessage> messages, GenerationOptions options) {

    /**
     * A request; {@code messages} is copied.
     *
     * @param messages the conversation so far, not empty
     * @param options  generation options
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if {@code messages} is empty or holds null
     */
    public ChatRequest {
        messages = List.copyOf(Preconditions.notEmpty(messages, "messages"));
        Preconditions.notNull(options, "options");
    }

    /**
     * A single user message with default options.
     *
     * @param prompt what the user says
     * @return the request
     * @throws NullPointerException if {@code prompt} is null
     */
    public static ChatRequest ofUser(String prompt) {
        return new ChatRequest(List.of(ChatMessage.user(prompt)), GenerationOptions.defaults());
    }

    /**
     * The given messages with default options.
     *
     * @param messages the conversation so far, not empty
     * @return the request
     * @throws NullPointerException     if {@code messages} is null
     * @throws IllegalArgumentException if {@code messages} is empty or holds null
     */
    public static ChatRequest of(List<ChatMessage> messages) {
        return new ChatRequest(messages, GenerationOptions.defaults());
    }
}
