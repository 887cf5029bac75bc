package dev.keel.fewl;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.device.Devices;

import java.util.Arrays;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;

/**
 * The K nearest corpus vectors of each query vector by dot product (cosine for unit vectors), as a
 * blocked matrix product: a block of queries is multiplied with a block of corpus rows at a time so
 * that both stay in cache, and each query keeps its running top K. Query blocks run in parallel.
 * Large searches (at least {@value #TENSOR_THRESHOLD} query-corpus pairs) run the same blocked
 * product as tensor operations on DJL's PyTorch engine (BLAS matrix products and {@code topk}, on
 * the GPU when {@link Devices} chose one) where PyTorch's native library is on the class path; small
 * ones, and all of them without that library, stay in plain Java, which has no start-up cost.
 *
 * <p>A query's own row ({@code selfIndex}) and near-duplicates (similarity above
 * {@code duplicateThreshold}) are never neighbours. Results are ordered by similarity, highest
 * first; ties go to the lower corpus index, so the result is deterministic.
 *
 * <pre>{@code
 * NeighbourSearch.Result r = NeighbourSearch.topK(queries, corpus, 25, null, 0.95);
 * int[] nearestOfFirst = r.indices()[0];
 * }</pre>
 */
public final class NeighbourSearch {

    static final int QUERY_BLOCK = 64;
    static final int CORPUS_BLOCK = 256;
    /** Searches with at least this many query-corpus pairs run on tensors. */
    static final long TENSOR_THRESHOLD = 4_000_000L;
    /** Query rows per tensor block: the block's similarity matrix holds this many rows of the corpus. */
    static final int TENSOR_QUERY_BLOCK = 512;

    /**
     * Neighbours per query.
     *
     * @param indices      {@code indices[q]}: corpus rows, best first; at most K, fewer when the corpus is small
     * @param similarities {@code similarities[q][r]}: the similarity of {@code indices[q][r]}
     */
    public record Result(int[][] indices, double[][] similarities) {
    }

    private NeighbourSearch() {
    }

    /**
     * Finds the top {@code k} corpus rows of each query.
     *
     * @param queries            query vectors, all of one length
     * @param corpus             corpus vectors, of the same length
     * @param k                  how many neighbours, {@code >= 0}
     * @param selfIndex          for each query the corpus row that is the query itself ({@code -1}
     *                           if none), or {@code null} when queries are not in the corpus
     * @param duplicateThreshold rows with a similarity above this are near-duplicates and skipped
     * @return the neighbours of each query, best first
     * @throws NullPointerException     if {@code queries} or {@code corpus} is null
     * @throws IllegalArgumentException if lengths differ, {@code k < 0} or {@code selfIndex} has the wrong length
     */
    public static Result topK(float[][] queries, float[][] corpus, int k, int[] selfIndex, double duplicateThreshold) {
        check(queries, corpus, k, selfIndex);
        if (usesTensors(queries.length, corpus.length, k, Devices::pyTorchNativePresent)) {
            return topKTensor(queries, corpus, k, selfIndex, duplicateThreshold, Devices.defaultDevice());
        }
        return topKBlocked(queries, corpus, k, selfIndex, duplicateThreshold);
    }

    /**
     * Whether a search of {@code queries × corpus} rows runs on tensors: only a large one, and only
     * where PyTorch's native library is there (asked last, so small searches never look).
     *
     * @param queries       query rows
     * @param corpus        corpus rows
     * @param k             neighbours asked for
     * @param nativePresent whether PyTorch's native library is on the class path
     * @return true for the tensor path, false for plain Java
     */
    static boolean usesTensors(int queries, int corpus, int k, BooleanSupplier nativePresent) {
        return k > 0 && (long) queries * corpus >= TENSOR_THRESHOLD && nativePresent.getAsBoolean();
    }

    /**
     * The tensor version: per block of query rows, S = Q·Cᵀ, self and near-duplicates masked to
     * −∞, then {@code topk}. Results are re-ordered by similarity (ties: lower corpus index), as in
     * the Java version; similarities agree with it to float rounding (about 1e-6), so a different
     * neighbour can be picked only where two candidates tie to that precision at the K-th place.
     */
    static Result topKTensor(float[][] queries, float[][] corpus, int k, int[] selfIndex, double duplicateThreshold, Device device) {
        check(queries, corpus, k, selfIndex);
        int m = queries.length;
        int n = corpus.length;
        int[][] idx = new int[m][];
        double[][] sim = new double[m][];
        if (m == 0) {
            return new Result(idx, sim);
        }
        if (n == 0) {
            for (int q = 0; q < m; q++) {
                idx[q] = new int[0];
                sim[q] = new double[0];
            }
            return new Result(idx, sim);
        }
        int d = corpus[0].length;
        int take = Math.min(n, k + 1);
        try (NDManager manager = NDManager.newBaseManager(device, "PyTorch")) {
            NDArray c = manager.create(flatten(corpus, 0, n, d), new Shape(n, d));
            NDArray ct = c.transpose();
            NDArray columns = manager.arange(n).toType(DataType.INT64, false).reshape(1, n);
            for (int q0 = 0; q0 < m; q0 += TENSOR_QUERY_BLOCK) {
                int q1 = Math.min(m, q0 + TENSOR_QUERY_BLOCK);
                int b = q1 - q0;
                try (NDManager step = manager.newSubManager()) {
                    NDArray qb = step.create(flatten(queries, q0, q1, d), new Shape(b, d));
                    NDArray s = qb.matMul(ct);
                    NDArray excluded = s.gt(duplicateThreshold);
                    if (selfIndex != null) {
                        long[] selfs = new long[b];
                        for (int i = 0; i < b; i++) {
                            selfs[i] = selfIndex[q0 + i];
                        }
                        excluded = excluded.logicalOr(step.create(selfs, new Shape(b, 1)).eq(columns));
                    }
                    s = NDArrays.where(excluded, step.full(s.getShape(), Float.NEGATIVE_INFINITY), s);
                    NDList top = s.topK(take, 1, true, true);
                    float[] values = top.get(0).toFloatArray();
                    long[] indices = top.get(1).toType(DataType.INT64, false).toLongArray();
                    for (int i = 0; i < b; i++) {
                        TopK t = new TopK(k);
                        for (int r = 0; r < take; r++) {
                            float v = values[i * take + r];
                            if (v != Float.NEGATIVE_INFINITY) {
                                t.offer((int) indices[i * take + r], v);
                            }
                        }
                        t.finish(idx, sim, q0 + i);
                    }
                }
            }
        }
        return new Result(idx, sim);
    }

    private static float[] flatten(float[][] rows, int from, int to, int d) {
        float[] flat = new float[(to - from) * d];
        for (int i = from; i < to; i++) {
            System.arraycopy(rows[i], 0, flat, (i - from) * d, d);
        }
        return flat;
    }

    /** The blocked search in plain Java: deterministic to the bit, and what small searches use. */
    static Result topKBlocked(float[][] queries, float[][] corpus, int k, int[] selfIndex, double duplicateThreshold) {
        check(queries, corpus, k, selfIndex);
        int m = queries.length;
        int[][] idx = new int[m][];
        double[][] sim = new double[m][];
        int blocks = (m + QUERY_BLOCK - 1) / QUERY_BLOCK;
        IntStream.range(0, blocks).parallel().forEach(b -> {
            int q0 = b * QUERY_BLOCK;
            int q1 = Math.min(m, q0 + QUERY_BLOCK);
            TopK[] tops = new TopK[q1 - q0];
            for (int q = q0; q < q1; q++) {
                tops[q - q0] = new TopK(k);
            }
            float[] out = new float[8];
            for (int c0 = 0; c0 < corpus.length; c0 += CORPUS_BLOCK) {
                int c1 = Math.min(corpus.length, c0 + CORPUS_BLOCK);
                int q = q0;
                for (; q + 3 < q1; q += 4) {
                    int j = c0;
                    for (; j + 1 < c1; j += 2) {
                        kernel4x2(queries[q], queries[q + 1], queries[q + 2], queries[q + 3], corpus[j], corpus[j + 1], out);
                        for (int a = 0; a < 4; a++) {
                            offer(tops[q + a - q0], selfIndex == null ? -1 : selfIndex[q + a], j, out[2 * a], duplicateThreshold);
                            offer(tops[q + a - q0], selfIndex == null ? -1 : selfIndex[q + a], j + 1, out[2 * a + 1], duplicateThreshold);
                        }
                    }
                    for (; j < c1; j++) {
                        for (int a = 0; a < 4; a++) {
                            offer(tops[q + a - q0], selfIndex == null ? -1 : selfIndex[q + a], j, dotFloat(queries[q + a], corpus[j]), duplicateThreshold);
                        }
                    }
                }
                for (; q < q1; q++) {
                    for (int j = c0; j < c1; j++) {
                        offer(tops[q - q0], selfIndex == null ? -1 : selfIndex[q], j, dotFloat(queries[q], corpus[j]), duplicateThreshold);
                    }
                }
            }
            for (int q = q0; q < q1; q++) {
                tops[q - q0].finish(idx, sim, q);
            }
        });
        return new Result(idx, sim);
    }

    /** The same result by a plain loop over all pairs: the reference the blocked version is tested against. */
    static Result bruteForce(float[][] queries, float[][] corpus, int k, int[] selfIndex, double duplicateThreshold) {
        check(queries, corpus, k, selfIndex);
        int[][] idx = new int[queries.length][];
        double[][] sim = new double[queries.length][];
        for (int q = 0; q < queries.length; q++) {
            Integer[] order = new Integer[corpus.length];
            double[] s = new double[corpus.length];
            int n = 0;
            for (int j = 0; j < corpus.length; j++) {
                s[j] = dotFloat(queries[q], corpus[j]);
                if ((selfIndex == null || selfIndex[q] != j) && !(s[j] > duplicateThreshold)) {
                    order[n++] = j;
                }
            }
            Integer[] kept = Arrays.copyOf(order, n);
            Arrays.sort(kept, (a, b) -> s[a] != s[b] ? Double.compare(s[b], s[a]) : Integer.compare(a, b));
            int r = Math.min(k, n);
            idx[q] = new int[r];
            sim[q] = new double[r];
            for (int i = 0; i < r; i++) {
                idx[q][i] = kept[i];
                sim[q][i] = s[kept[i]];
            }
        }
        return new Result(idx, sim);
    }

    private static void check(float[][] queries, float[][] corpus, int k, int[] selfIndex) {
        Preconditions.notNull(queries, "queries");
        Preconditions.notNull(corpus, "corpus");
        Preconditions.checkNonNegative(k, "k");
        if (selfIndex != null) {
            Preconditions.checkArgument(selfIndex.length == queries.length,
                    "size mismatch: selfIndex has " + selfIndex.length + " entries, queries " + queries.length);
        }
        int d = queries.length > 0 ? queries[0].length : corpus.length > 0 ? corpus[0].length : 0;
        for (int i = 0; i < queries.length; i++) {
            Preconditions.checkArgument(queries[i] != null && queries[i].length == d, "queries[" + i + "] must have length " + d);
        }
        for (int i = 0; i < corpus.length; i++) {
            Preconditions.checkArgument(corpus[i] != null && corpus[i].length == d, "corpus[" + i + "] must have length " + d);
        }
    }

    private static void offer(TopK t, int self, int j, float s, double duplicateThreshold) {
        if (j != self && !(s > duplicateThreshold)) {
            t.offer(j, s);
        }
    }

    /**
     * The dot product as one float sum in index order: exactly what {@link #kernel4x2} computes for
     * each pair, so that the blocked search and the brute-force reference agree bit for bit.
     */
    static float dotFloat(float[] a, float[] b) {
        float s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /** Eight dot products at once (4 queries × 2 corpus rows): eight independent accumulators. */
    private static void kernel4x2(float[] q0, float[] q1, float[] q2, float[] q3, float[] c0, float[] c1, float[] out) {
        float s00 = 0;
        float s01 = 0;
        float s10 = 0;
        float s11 = 0;
        float s20 = 0;
        float s21 = 0;
        float s30 = 0;
        float s31 = 0;
        for (int i = 0; i < c0.length; i++) {
            float x = c0[i];
            float y = c1[i];
            float a = q0[i];
            float b = q1[i];
            float c = q2[i];
            float d = q3[i];
            s00 += a * x;
            s01 += a * y;
            s10 += b * x;
            s11 += b * y;
            s20 += c * x;
            s21 += c * y;
            s30 += d * x;
            s31 += d * y;
        }
        out[0] = s00;
        out[1] = s01;
        out[2] = s10;
        out[3] = s11;
        out[4] = s20;
        out[5] = s21;
        out[6] = s30;
        out[7] = s31;
    }

    /** The dot product, summed in double over four lanes (for answer similarities, where accuracy matters more). */
    static double dot(float[] a, float[] b) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int n = a.length;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += a[i] * b[i];
            s1 += a[i + 1] * b[i + 1];
            s2 += a[i + 2] * b[i + 2];
            s3 += a[i + 3] * b[i + 3];
        }
        for (; i < n; i++) {
            s0 += a[i] * b[i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** A running top-K: better means higher similarity, then lower index. */
    private static final class TopK {
        private final int k;
        private final int[] idx;
        private final double[] sim;
        private int size;
        private int worst = -1;

        TopK(int k) {
            this.k = k;
            this.idx = new int[k];
            this.sim = new double[k];
        }

        void offer(int j, double s) {
            if (k == 0) {
                return;
            }
            if (size < k) {
                idx[size] = j;
                sim[size] = s;
                size++;
                if (size == k) {
                    findWorst();
                }
                return;
            }
            if (s > sim[worst] || (s == sim[worst] && j < idx[worst])) {
                idx[worst] = j;
                sim[worst] = s;
                findWorst();
            }
        }

        private void findWorst() {
            int w = 0;
            for (int i = 1; i < size; i++) {
                if (sim[i] < sim[w] || (sim[i] == sim[w] && idx[i] > idx[w])) {
                    w = i;
                }
            }
            worst = w;
        }

        void finish(int[][] outIdx, double[][] outSim, int q) {
            Integer[] order = new Integer[size];
            for (int i = 0; i < size; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> sim[a] != sim[b] ? Double.compare(sim[b], sim[a]) : Integer.compare(idx[a], idx[b]));
            outIdx[q] = new int[size];
            outSim[q] = new double[size];
            for (int i = 0; i < size; i++) {
                outIdx[q][i] = idx[order[i]];
                outSim[q][i] = sim[order[i]];
            }
        }
    }
}
