/**
 * Llama-family language models on DJL's PyTorch engine: {@link dev.keel.core.lm.LlamaConfig} (Hugging
 * Face {@code config.json} of a Llama, Mistral, Qwen2 or Qwen3 checkpoint, with its
 * {@link dev.keel.core.lm.RopeScaling}), the decoder {@link dev.keel.core.lm.LlamaModel} with its
 * {@link dev.keel.core.internal.LinearLayer}s, the masked next-token loss {@link dev.keel.core.internal.LmLoss} and
 * the {@link dev.keel.core.lm.KvCache} used by generation. {@link dev.keel.core.lm.CausalLm} is what any
 * language model offers (the decoder, or the recurrent RWKV-4 of {@code rwkv}), with its per-sequence
 * {@link dev.keel.core.lm.LmState}; generation, training, LoRA and the local chat model take it.
 * Sub-packages: {@code safetensors} (checkpoint files), {@code lora} (adapters), {@code generate}
 * (decoding and the local chat model), {@code train} (the training loop) and {@code rwkv} (RWKV-4).
 *
 * <pre>{@code
 * try (LlamaModel model = LlamaModel.load(Path.of("my-llama"), Device.cpu());
 *      LoraAdapter lora = LoraAdapter.create(model, LoraConfig.builder().rank(8).alpha(16).build(), 42);
 *      LmTrainer trainer = LmTrainer.builder().model(model).parameters(lora.parameters())
 *              .config(TrainingConfig.builder().totalSteps(200).seed(42).build())
 *              .checkpointDir(Path.of("ckpt")).build()) {
 *     trainer.fit(examples);                 // resumes from ckpt/latest if present
 *     lora.save(Path.of("adapter"));         // adapter_config.json + adapter_model.safetensors (PEFT)
 * }
 * }</pre>
 */
package dev.keel.core.lm;
