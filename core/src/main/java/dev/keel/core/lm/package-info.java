/**
 * Llama-family language models on DJL's PyTorch engine: {@link dev.keel.core.lm.LlamaConfig} (Hugging
 * Face {@code config.json}), the decoder {@link dev.keel.core.lm.LlamaModel} with its
 * {@link dev.keel.core.lm.LinearLayer}s, the masked next-token loss {@link dev.keel.core.lm.LmLoss} and
 * the {@link dev.keel.core.lm.KvCache} used by generation. Sub-packages: {@code safetensors} (checkpoint
 * files), {@code lora} (adapters), {@code generate} (decoding and the local chat model) and
 * {@code train} (the training loop).
 */
package dev.keel.core.lm;
