package dev.keel.spark;

import dev.keel.core.embed.Embedder;
import dev.keel.core.embed.OnnxEmbedder;

import java.io.Serializable;

/**
 * Makes the embedder on each executor: the factory is serialised to the executors, the embedder
 * never is. Each executor JVM calls {@link #create()} once per {@link #key()} (lazily, at the first
 * partition that needs it), shares the embedder between its tasks and closes it when the JVM ends.
 *
 * <pre>{@code
 * EmbedderFactory f = EmbedderFactory.allMiniLmL6V2();
 * }</pre>
 */
@FunctionalInterface
public interface EmbedderFactory extends Serializable {

    /**
     * Creates the embedder (called once per executor JVM and key).
     *
     * @return a new embedder, thread-safe
     */
    Embedder create();

    /**
     * Which embedder this makes: factories with the same key share one embedder per JVM.
     *
     * @return the key; by default the factory's class name
     */
    default String key() {
        return getClass().getName();
    }

    /**
     * all-MiniLM-L6-v2 from its Maven jar (on the executors' class path), the FEWL default.
     *
     * @return the factory
     */
    static EmbedderFactory allMiniLmL6V2() {
        return new AllMiniLm();
    }

    /** The default embedder's factory (a class, so that its key is stable). */
    final class AllMiniLm implements EmbedderFactory {
        private static final long serialVersionUID = 1L;

        /** The factory; see {@link EmbedderFactory#allMiniLmL6V2()}. */
        public AllMiniLm() {
        }

        @Override
        public Embedder create() {
            return OnnxEmbedder.allMiniLmL6V2();
        }

        @Override
        public String key() {
            return "sentence-transformers/all-MiniLM-L6-v2";
        }
    }
}
