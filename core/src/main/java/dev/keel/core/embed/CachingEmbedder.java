package dev.keel.core.embed;

import dev.keel.core.internal.Preconditions;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Embeds each distinct text once: later requests for the same text reuse the stored vector, and
 * the texts a batch still needs go to the delegate in one {@code embedAll} call. Unbounded; call
 * {@link #clear()} between runs that share nothing. Thread-safe. Closing it closes the delegate.
 *
 * <pre>{@code
 * try (Embedder e = new CachingEmbedder(OnnxEmbedder.allMiniLmL6V2())) { ... }
 * }</pre>
 */
public final class CachingEmbedder implements Embedder {

    private final Embedder delegate;
    private final boolean ownsDelegate;
    private final Map<String, float[]> cache = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * Caches {@code delegate} and closes it on {@link #close()}.
     *
     * @param delegate the embedder to cache for
     */
    public CachingEmbedder(Embedder delegate) {
        this(delegate, true);
    }

    /**
     * Caches {@code delegate}; closes it on {@link #close()} only if {@code ownsDelegate}.
     *
     * @param delegate the embedder to cache for
     * @param ownsDelegate whether {@link #close()} closes {@code delegate} as well
     */
    public CachingEmbedder(Embedder delegate, boolean ownsDelegate) {
        this.delegate = Preconditions.notNull(delegate, "delegate");
        this.ownsDelegate = ownsDelegate;
    }

    @Override
    public float[][] embedAll(List<String> texts) {
        Preconditions.noNulls(texts, "texts");
        Preconditions.checkState(!closed, "caching embedder " + delegate.id() + " is closed");
        float[][] out = new float[texts.size()][];
        Map<String, List<Integer>> missing = new HashMap<>();
        for (int i = 0; i < texts.size(); i++) {
            float[] v = cache.get(texts.get(i));
            if (v != null) {
                out[i] = v.clone();
            } else {
                missing.computeIfAbsent(texts.get(i), k -> new ArrayList<>(1)).add(i);
            }
        }
        if (!missing.isEmpty()) {
            List<String> todo = new ArrayList<>(missing.keySet());
            float[][] fresh = delegate.embedAll(todo);
            for (int j = 0; j < todo.size(); j++) {
                cache.put(todo.get(j), fresh[j]);
                for (int i : missing.get(todo.get(j))) {
                    out[i] = fresh[j].clone();
                }
            }
        }
        return out;
    }

    /**
     * The number of distinct texts held.
     *
     * @return the number of distinct texts held
     */
    public int size() {
        return cache.size();
    }

    /** Forgets every stored vector. */
    public void clear() {
        cache.clear();
    }

    @Override
    public int dimension() {
        return delegate.dimension();
    }

    @Override
    public String id() {
        return delegate.id();
    }

    /**
     * Closes the delegate where this cache owns it; later calls of {@link #embedAll(List)} throw
     * {@link IllegalStateException}, also for texts already cached. Idempotent.
     */
    @Override
    public void close() {
        closed = true;
        if (ownsDelegate) {
            delegate.close();
        }
    }
}
