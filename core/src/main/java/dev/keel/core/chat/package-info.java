/**
 * Chat models: the {@link dev.keel.core.chat.ChatModel} interface, an OpenAI-compatible HTTP client,
 * and a model that replays recorded replies from JSON Lines.
 */
package dev.keel.core.chat;
