/**
 * Keel's foundation: the root of its exceptions ({@link dev.keel.core.KeelException}), the library
 * version and provenance. Sub-packages hold text embedding ({@code embed}), similarity
 * ({@code similarity}), chat models and chat fine-tuning records ({@code chat}), datasets
 * ({@code data}), device selection ({@code device}) and the language models ({@code lm}).
 * {@code dev.keel.core.internal} is shared by Keel's modules and is not API.
 */
package dev.keel.core;
