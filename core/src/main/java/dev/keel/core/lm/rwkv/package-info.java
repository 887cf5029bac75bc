/**
 * The recurrent RWKV-4 language model beside the Llama-family Transformer: {@link dev.keel.core.lm.rwkv.RwkvConfig}
 * (transformers' {@code RwkvConfig} in {@code config.json}), {@link dev.keel.core.lm.rwkv.RwkvModel} (parallel form
 * for training and prompts, recurrent form for generation; transformers' {@code RwkvForCausalLM} checkpoint layout)
 * and its constant-size {@link dev.keel.core.lm.rwkv.RwkvState}. Both models are
 * {@link dev.keel.core.lm.CausalLm}s, so generation, training, LoRA and the local chat model take either.
 */
package dev.keel.core.lm.rwkv;
