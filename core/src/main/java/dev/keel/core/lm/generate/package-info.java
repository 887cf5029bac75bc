/**
 * Text generation with a {@link dev.keel.core.lm.LlamaModel}: the token-level
 * {@link dev.keel.core.lm.generate.Generator} (greedy or temperature/top-k/top-p sampling with a seed,
 * stop tokens, a KV cache; one prompt, or a left-padded batch of prompts each with its own options,
 * stops and seed), chat templates ({@link dev.keel.core.lm.generate.ChatTemplate}: a model's own Jinja
 * template, {@link dev.keel.core.lm.generate.JinjaChatTemplate}, and the Java Llama-2 {@code [INST]} and
 * plain ones for models without one), what a Hugging Face model directory says about chat and
 * generation ({@link dev.keel.core.lm.generate.HubModelFiles}: special tokens, chat template, every eos
 * id, default sampling settings, read as transformers reads them by
 * {@link dev.keel.core.lm.generate.GenerationDefaults}), the Hugging Face tokenizer wrapper
 * {@link dev.keel.core.lm.generate.LmTokenizer}, and {@link dev.keel.core.lm.generate.LocalChatModel},
 * which makes a local model a {@link dev.keel.core.chat.ChatModel} (from a model directory as the Hub
 * ships it, with batched generation).
 */
package dev.keel.core.lm.generate;
