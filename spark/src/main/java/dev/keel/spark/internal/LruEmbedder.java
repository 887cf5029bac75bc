package dev.keel.spark.internal;

import dev.keel.core.embed.Embedder;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An executor's embedder with a bounded cache (least recently used texts go first), so that the
 * neighbour answers several batches share are embedded once; closes its delegate.
 */
public final class LruEmbedder implements Embedder {

    private final Embedder delegate;
    private final LinkedHashMap<String, float[]> cache;

    /**
     * Caches up to {@code capacity} vectors of {@code delegate}.
     *
     * @param delegate the embedder (owned)
     * @param capacity how many texts to keep, {@code >= 0}
     */
    public LruEmbedder(Embedder delegate, int capacity) {
        this.delegate = delegate;
        this.cache = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, float[]> e) {
                return size() > capacity;
            }
        };
    }

    @Override
    public float[][] embedAll(List<String> texts) {
        float[][] out = new float[texts.size()][];
        Map<String, List<Integer>> missing = new LinkedHashMap<>();
        synchronized (cache) {
            for (int i = 0; i < texts.size(); i++) {
                float[] v = cache.get(texts.get(i));
                if (v != null) {
                    out[i] = v;
                } else {
                    missing.computeIfAbsent(texts.get(i), t -> new ArrayList<>()).add(i);
                }
            }
        }
        if (!missing.isEmpty()) {
            List<String> todo = new ArrayList<>(missing.keySet());
            float[][] v = delegate.embedAll(todo);
            if (v == null || v.length != todo.size()) {
                throw new IllegalStateException("embedder " + delegate.id() + " returned "
                        + (v == null ? "null" : v.length + " vectors") + " for " + todo.size() + " texts");
            }
            Map<String, float[]> fresh = new HashMap<>();
            for (int j = 0; j < todo.size(); j++) {
                fresh.put(todo.get(j), v[j]);
                for (int i : missing.get(todo.get(j))) {
                    out[i] = v[j];
                }
            }
            synchronized (cache) {
                cache.putAll(fresh);
            }
        }
        return out;
    }

    @Override
    public int dimension() {
        return delegate.dimension();
    }

    @Override
    public String id() {
        return delegate.id();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
