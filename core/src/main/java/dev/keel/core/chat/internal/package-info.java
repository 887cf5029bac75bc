/**
 * Internals of the chat clients, not API: {@link dev.keel.core.chat.internal.HttpTransport} (the
 * {@code java.net.http} client with its timeouts, retries under a
 * {@link dev.keel.core.chat.RetryPolicy}, {@code Retry-After}, the concurrency limit, the
 * per-attempt deadline over the whole body, the body-size limit, server-sent events, and closing
 * with calls in flight), {@link dev.keel.core.chat.internal.SecretMasker} (API keys and URL
 * credentials masked in every text), and {@link dev.keel.core.chat.internal.OpenAiWire} (the
 * chat-completions request JSON and the parsing of replies, streamed chunks and error bodies).
 * Other modules must not use them.
 */
package dev.keel.core.chat.internal;
