package dev.keel.core.testkit;

import dev.keel.core.embed.Embedder;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** Small deterministic embedders for fast tests. */
public final class TestEmbedders {

    private TestEmbedders() {
    }

    /** Bag of words hashed into {@code dim} buckets, L2-normalised; counts calls and texts. */
    public static class Hashing implements Embedder {
        public final int dim;
        public final AtomicInteger calls = new AtomicInteger();
        public final AtomicInteger texts = new AtomicInteger();

        public Hashing(int dim) {
            this.dim = dim;
        }

        public Hashing() {
            this(256);
        }

        @Override
        public float[][] embedAll(List<String> in) {
            calls.incrementAndGet();
            texts.addAndGet(in.size());
            float[][] out = new float[in.size()][];
            for (int i = 0; i < in.size(); i++) {
                out[i] = vector(in.get(i));
            }
            return out;
        }

        public float[] vector(String text) {
            float[] v = new float[dim];
            for (String w : text.toLowerCase(Locale.ROOT).split("[^a-z0-9]+")) {
                if (w.isEmpty()) {
                    continue;
                }
                int h = w.hashCode() * 0x9E3779B1;
                v[Math.floorMod(h, dim)] += 1;
            }
            return normalise(v);
        }

        @Override
        public int dimension() {
            return dim;
        }

        @Override
        public String id() {
            return "test/hashing-" + dim;
        }

        @Override
        public void close() {
        }
    }

    /** Fixed vectors per text (normalised); an unknown text is an error. */
    public static final class Lookup implements Embedder {
        private final Map<String, float[]> vectors;
        public final AtomicInteger calls = new AtomicInteger();

        public Lookup(Map<String, float[]> vectors) {
            this.vectors = vectors;
        }

        @Override
        public float[][] embedAll(List<String> in) {
            calls.incrementAndGet();
            float[][] out = new float[in.size()][];
            for (int i = 0; i < in.size(); i++) {
                float[] v = vectors.get(in.get(i));
                if (v == null) {
                    throw new IllegalArgumentException("no vector for \"" + in.get(i) + "\"");
                }
                out[i] = normalise(v.clone());
            }
            return out;
        }

        @Override
        public int dimension() {
            return vectors.values().iterator().next().length;
        }

        @Override
        public String id() {
            return "test/lookup";
        }

        @Override
        public void close() {
        }
    }

    public static float[] normalise(float[] v) {
        double n = 0;
        for (float x : v) {
            n += x * x;
        }
        if (n == 0) {
            v[0] = 1;
            return v;
        }
        float inv = (float) (1 / Math.sqrt(n));
        for (int i = 0; i < v.length; i++) {
            v[i] *= inv;
        }
        return v;
    }
}
