/**
 * LoRA adapters for {@link dev.keel.core.lm.LlamaModel}: {@link dev.keel.core.lm.lora.LoraConfig}
 * (PEFT's {@code adapter_config.json}), {@link dev.keel.core.lm.lora.LoraAdapter} (attach by module
 * name, merge/unmerge, save/load in PEFT's layout) and the per-layer update
 * {@link dev.keel.core.lm.lora.LoraLayer}.
 */
package dev.keel.core.lm.lora;
