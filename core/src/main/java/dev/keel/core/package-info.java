/**
 * Keel's foundation: argument checks, version and provenance. Sub-packages hold text embedding
 * ({@code embed}), similarity ({@code similarity}), chat models ({@code chat}), JSON Lines datasets
 * ({@code data}) and device selection ({@code device}).
 */
package dev.keel.core;
