package dev.keel.core.embed;

/** How token vectors become one sentence vector. */
public enum Pooling {
    /** The mean of the token vectors under the attention mask (sentence-transformers' default). */
    MEAN,
    /** The vector of the first token ({@code [CLS]}). */
    CLS
}
