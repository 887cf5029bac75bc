/**
 * Chat models: the {@link dev.keel.core.chat.ChatModel} interface with its request, response and
 * option types; {@link dev.keel.core.chat.OpenAiChatModel}, a client for OpenAI-compatible
 * chat-completions endpoints with a concurrency limit, a deadline that covers each whole reply, a
 * size limit on reply bodies, streaming ({@link dev.keel.core.chat.ChatDeltaListener}), several
 * choices ({@link dev.keel.core.chat.ChatChoice}), log probabilities
 * ({@link dev.keel.core.chat.TokenLogprob}), token usage ({@link dev.keel.core.chat.TokenUsage}) and
 * {@link dev.keel.core.chat.ResponseFormat}, whose failed requests are retried under a
 * {@link dev.keel.core.chat.RetryPolicy} owned by its HTTP transport;
 * {@link dev.keel.core.chat.RecordedChatModel}, which replays replies recorded in JSON Lines; and
 * {@link dev.keel.core.chat.RecordingChatModel}, which records the replies of any model so that they
 * can be replayed.
 */
package dev.keel.core.chat;
