/**
 * Text embedding: the {@link dev.keel.core.embed.Embedder} interface, an ONNX Runtime embedder
 * with Hugging Face tokenizers and length-bucketed batches (default all-MiniLM-L6-v2 from its Maven
 * jar), and a caching decorator that embeds each distinct text once.
 */
package dev.keel.core.embed;
