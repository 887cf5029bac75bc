/**
 * The safetensors format: a memory-mapped reader that reads tensor by tensor
 * ({@link dev.keel.core.lm.safetensors.SafeTensorsFile}), sharded checkpoints
 * ({@link dev.keel.core.lm.safetensors.ShardedSafeTensors}), and an atomic writer
 * ({@link dev.keel.core.lm.safetensors.SafeTensors}). Malformed files are rejected with a
 * {@link dev.keel.core.lm.safetensors.SafeTensorsException} that says what is wrong.
 */
package dev.keel.core.lm.safetensors;
