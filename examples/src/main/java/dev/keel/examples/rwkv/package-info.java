/**
 * The RWKV-against-Transformer experiments: {@link dev.keel.examples.rwkv.GenerationCost} (milliseconds per new
 * token and memory per sequence against the context length, CSV + PNG). The equal-scale training comparison is
 * {@code keel train-tiny --arch llama|rwkv} ({@link dev.keel.examples.tiny.TinyRecipe}).
 */
package dev.keel.examples.rwkv;
