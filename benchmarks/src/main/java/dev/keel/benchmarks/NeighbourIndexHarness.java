package dev.keel.benchmarks;

import dev.keel.core.data.TruthfulQa;
import dev.keel.core.embed.OnnxEmbedder;
import dev.keel.examples.fewl.EvounaNq;
import dev.keel.fewl.HnswIndex;
import dev.keel.fewl.MultiModelRecord;
import dev.keel.fewl.NeighbourSearch;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A timed harness for the approximate neighbour index ({@link HnswIndex}) against the exact
 * {@link NeighbourSearch}: recall@K on a sample of queries and the time to build the index and to
 * query every row. Single-shot timings (the build is minutes at a million rows, too long for JMH
 * iterations); each line of output is one JSON object.
 *
 * <pre>
 * # real question embeddings (EVOUNA-NQ + TruthfulQA, all-MiniLM-L6-v2) topped up with synthetic ones
 * java -Xmx4g -cp ... dev.keel.benchmarks.NeighbourIndexHarness questions 50000 2000
 * # random 384-d unit vectors: build, query all, recall on a sample
 * java -Xmx8g -cp ... dev.keel.benchmarks.NeighbourIndexHarness random 1000000 200 100 true
 * # the same, timing the queries of the first 20,000 rows only (and saying it extrapolated)
 * java -Xmx8g -cp ... dev.keel.benchmarks.NeighbourIndexHarness random 1000000 200 100 20000
 * </pre>
 *
 * <p>A first line ({@code "phase":"built"}) is printed as soon as the index is built, with the
 * build's wall-clock and process CPU seconds (the CPU figure is what to read on a shared machine:
 * it hardly changes with the load), so a run stopped during the queries still has its build time.
 */
public final class NeighbourIndexHarness {

    static final int K = 25;
    static final double DUPLICATE = 0.95;

    private NeighbourIndexHarness() {
    }

    /**
     * Runs one measurement.
     *
     * @param args {@code questions|random N SAMPLE [efSearch] [queryAll]}: {@code queryAll} is
     *             {@code true} (query every row), {@code false} (none, the default) or a row count
     *             (query the first that many rows and extrapolate the time to all of them, which
     *             the output says: {@code "queryAllExtrapolated":true})
     */
    public static void main(String[] args) {
        String mode = args[0];
        int n = Integer.parseInt(args[1]);
        int sample = Integer.parseInt(args[2]);
        int ef = args.length > 3 ? Integer.parseInt(args[3]) : HnswIndex.Parameters.DEFAULT_EF_SEARCH;
        int queryRows = args.length > 4 ? queryRows(args[4], n) : 0;
        long t0 = System.nanoTime();
        float[][] v = mode.equals("questions") ? questions(n, 17) : random(n, 384, 17);
        double prepare = (System.nanoTime() - t0) / 1e9;
        run(mode, v, sample, ef, queryRows, prepare);
    }

    /** {@code true} → n, {@code false} → 0, else a row count in [0, n]. */
    static int queryRows(String arg, int n) {
        if (arg.equals("true")) {
            return n;
        }
        if (arg.equals("false")) {
            return 0;
        }
        int rows;
        try {
            rows = Integer.parseInt(arg);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("queryAll must be true, false or a row count in [0, " + n + "], was " + arg, e);
        }
        if (rows < 0 || rows > n) {
            throw new IllegalArgumentException("queryAll must be true, false or a row count in [0, " + n + "], was " + arg);
        }
        return rows;
    }

    /** The CPU seconds this process has used so far (all threads), or NaN where the JVM does not say. */
    static double processCpuSeconds() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            long ns = sun.getProcessCpuTime();
            return ns < 0 ? Double.NaN : ns / 1e9;
        }
        return Double.NaN;
    }

    static void run(String mode, float[][] v, int sample, int ef, int queryRows, double prepare) {
        int n = v.length;
        HnswIndex.Parameters p = HnswIndex.Parameters.defaults().withEfSearch(ef);
        long t1 = System.nanoTime();
        double cpu1 = processCpuSeconds();
        try (HnswIndex index = HnswIndex.build(v, p)) {
            double build = (System.nanoTime() - t1) / 1e9;
            double buildCpu = processCpuSeconds() - cpu1;
            System.out.printf(Locale.ROOT, "{\"phase\":\"built\",\"mode\":\"%s\",\"n\":%d,\"index\":\"%s\",\"buildSeconds\":%.1f,"
                            + "\"buildCpuSeconds\":%.1f,\"cores\":%d}%n", mode, n, p.describe(), build, buildCpu,
                    Runtime.getRuntime().availableProcessors());
            System.out.flush();
            SplittableRandom rng = new SplittableRandom(99);
            int[] self = new int[Math.min(sample, n)];
            float[][] queries = new float[self.length][];
            for (int i = 0; i < self.length; i++) {
                self[i] = rng.nextInt(n);
                queries[i] = v[self[i]];
            }
            long t2 = System.nanoTime();
            NeighbourSearch.Result approx = index.search(queries, K, self, DUPLICATE);
            double sampleQuery = (System.nanoTime() - t2) / 1e9;
            long t3 = System.nanoTime();
            NeighbourSearch.Result exact = NeighbourSearch.topK(queries, v, K, self, DUPLICATE);
            double exactSample = (System.nanoTime() - t3) / 1e9;
            double recall = recall(approx, exact);
            double all = Double.NaN;
            double allCpu = Double.NaN;
            if (queryRows > 0) {
                int[] selfAll = new int[queryRows];
                for (int i = 0; i < queryRows; i++) {
                    selfAll[i] = i;
                }
                float[][] rows = queryRows == n ? v : java.util.Arrays.copyOf(v, queryRows);
                long t4 = System.nanoTime();
                double cpu4 = processCpuSeconds();
                index.search(rows, K, selfAll, DUPLICATE);
                all = (System.nanoTime() - t4) / 1e9 * n / queryRows;
                allCpu = (processCpuSeconds() - cpu4) * n / queryRows;
            }
            System.out.printf(Locale.ROOT, "{\"mode\":\"%s\",\"n\":%d,\"dim\":%d,\"k\":%d,\"index\":\"%s\",\"shards\":%s,"
                            + "\"prepareSeconds\":%.1f,\"buildSeconds\":%.1f,\"sampleQueries\":%d,\"sampleQuerySeconds\":%.2f,"
                            + "\"exactSampleSeconds\":%.2f,\"recallAt%d\":%.4f,\"queryAllSeconds\":%.1f,\"queryAllCpuSeconds\":%.1f,"
                            + "\"queryRowsTimed\":%d,\"queryAllExtrapolated\":%s,\"buildCpuSeconds\":%.1f,\"cores\":%d,\"maxHeapMiB\":%d}%n",
                    mode, n, v[0].length, K, p.describe(), index.describe().get("shards"), prepare, build, self.length, sampleQuery,
                    exactSample, K, recall, all, allCpu, queryRows, queryRows > 0 && queryRows < n, buildCpu,
                    Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
        }
    }

    static double recall(NeighbourSearch.Result approx, NeighbourSearch.Result exact) {
        long hit = 0;
        long total = 0;
        for (int q = 0; q < exact.indices().length; q++) {
            Set<Integer> a = new HashSet<>();
            for (int j : approx.indices()[q]) {
                a.add(j);
            }
            for (int j : exact.indices()[q]) {
                total++;
                hit += a.contains(j) ? 1 : 0;
            }
        }
        return total == 0 ? 1 : (double) hit / total;
    }

    /** Random unit vectors (Gaussian, normalised), seeded. */
    static float[][] random(int n, int d, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[][] v = new float[n][d];
        for (int i = 0; i < n; i++) {
            double norm = 0;
            for (int k = 0; k < d; k++) {
                v[i][k] = (float) rnd.nextGaussian();
                norm += v[i][k] * v[i][k];
            }
            float inv = (float) (1 / Math.sqrt(norm));
            for (int k = 0; k < d; k++) {
                v[i][k] *= inv;
            }
        }
        return v;
    }

    /**
     * The distinct EVOUNA-NQ and TruthfulQA questions embedded with all-MiniLM-L6-v2 (their rate is
     * printed), then synthetic vectors up to {@code n}: each a normalised mix of two real question
     * embeddings (weights 0.5..1 and 0..0.5) plus Gaussian noise of norm about 0.5, so they share the
     * real embeddings' directions without being paraphrases (near-duplicates) of them.
     */
    static float[][] questions(int n, long seed) {
        Set<String> texts = new LinkedHashSet<>();
        for (MultiModelRecord r : EvounaNq.load()) {
            texts.add(r.question());
        }
        for (TruthfulQa.Question q : TruthfulQa.load()) {
            texts.add(q.question());
        }
        List<String> list = new ArrayList<>(texts);
        float[][] real;
        long t = System.nanoTime();
        try (OnnxEmbedder e = OnnxEmbedder.allMiniLmL6V2()) {
            real = e.embedAll(list);
        }
        double s = (System.nanoTime() - t) / 1e9;
        System.out.printf(Locale.ROOT, "{\"realQuestions\":%d,\"embedSeconds\":%.1f,\"textsPerSecond\":%.1f}%n", real.length, s, real.length / s);
        int d = real[0].length;
        float[][] v = new float[Math.max(n, 0)][];
        SplittableRandom rng = new SplittableRandom(seed);
        double sigma = 0.5 / Math.sqrt(d);
        for (int i = 0; i < n; i++) {
            if (i < real.length) {
                v[i] = real[i];
                continue;
            }
            float[] a = real[rng.nextInt(real.length)];
            float[] b = real[rng.nextInt(real.length)];
            double wa = 0.5 + 0.5 * rng.nextDouble();
            double wb = 0.5 * rng.nextDouble();
            float[] x = new float[d];
            double norm = 0;
            for (int k = 0; k < d; k++) {
                x[k] = (float) (wa * a[k] + wb * b[k] + sigma * rng.nextGaussian());
                norm += x[k] * x[k];
            }
            float inv = (float) (1 / Math.sqrt(norm));
            for (int k = 0; k < d; k++) {
                x[k] *= inv;
            }
            v[i] = x;
        }
        return v;
    }
}
