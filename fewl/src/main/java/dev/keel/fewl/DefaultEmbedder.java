package dev.keel.fewl;

import dev.keel.core.embed.Embedder;
import dev.keel.core.embed.OnnxEmbedder;

/** The default embedding model: all-MiniLM-L6-v2 from its Maven artifact (no download). */
final class DefaultEmbedder {

    private DefaultEmbedder() {
    }

    /** A new default embedder; the caller owns it. */
    static Embedder create() {
        return OnnxEmbedder.allMiniLmL6V2();
    }

    /** One default embedder for the process, created on first use and never closed. */
    static Embedder shared() {
        return Holder.INSTANCE;
    }

    private static final class Holder {
        static final Embedder INSTANCE = create();
    }
}
