/**
 * Text generation with a {@link dev.keel.core.lm.LlamaModel}: the token-level
 * {@link dev.keel.core.lm.generate.Generator} (greedy or temperature/top-p sampling with a seed, stop
 * tokens, a KV cache), chat templates ({@link dev.keel.core.lm.generate.ChatTemplate}: a model's own Jinja template,
 * {@link dev.keel.core.lm.generate.JinjaChatTemplate}, and the Java Llama-2 {@code [INST]} and plain
 * ones for models without one), what a Hugging Face model directory says about chat and generation
 * ({@link dev.keel.core.lm.generate.HubModelFiles}: special tokens, chat template, every eos id,
 * default sampling settings), the Hugging Face tokenizer wrapper
 * {@link dev.keel.core.lm.generate.LmTokenizer}, and {@link dev.keel.core.lm.generate.LocalChatModel},
 * which makes a local model a {@link dev.keel.core.chat.ChatModel}.
 */
package dev.keel.core.lm.generate;
