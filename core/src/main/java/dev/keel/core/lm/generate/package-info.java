/**
 * Text generation with a {@link dev.keel.core.lm.LlamaModel}: the token-level
 * {@link dev.keel.core.lm.generate.Generator} (greedy or temperature/top-p sampling with a seed, stop
 * tokens, a KV cache), chat templates ({@link dev.keel.core.lm.generate.ChatTemplate}: Llama-2
 * {@code [INST]} and plain), the Hugging Face tokenizer wrapper
 * {@link dev.keel.core.lm.generate.LmTokenizer}, and {@link dev.keel.core.lm.generate.LocalChatModel},
 * which makes a local model a {@link dev.keel.core.chat.ChatModel}.
 */
package dev.keel.core.lm.generate;
