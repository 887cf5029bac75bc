/**
 * keel-tiny, the small chat model bundled with the examples: its generated instruction corpus
 * ({@link dev.keel.examples.tiny.TinyCorpus}), word-level tokenizer
 * ({@link dev.keel.examples.tiny.TinyTokenizer}), chat format
 * ({@link dev.keel.examples.tiny.TinyChatTemplate}), training recipe and evaluation
 * ({@link dev.keel.examples.tiny.TinyRecipe}) and the bundled weights
 * ({@link dev.keel.examples.tiny.TinyModel}).
 */
package dev.keel.examples.tiny;
