/**
 * Similarity of texts: cosine over an embedder (range [-1, 1]), and the lexical token-F1 and
 * ROUGE-L F1 (range [0, 1]).
 */
package dev.keel.core.similarity;
