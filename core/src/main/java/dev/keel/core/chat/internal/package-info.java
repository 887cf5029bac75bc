/**
 * Internals of the chat clients, not API: {@link dev.keel.core.chat.internal.HttpTransport} (the
 * {@code java.net.http} client with its timeouts, retries under a
 * {@link dev.keel.core.chat.RetryPolicy}, {@code Retry-After}, the concurrency limit and the
 * masking of API keys) and {@link dev.keel.core.chat.internal.OpenAiWire} (the chat-completions
 * request JSON and the parsing of replies and error bodies). Other modules must not use them.
 */
package dev.keel.core.chat.internal;
