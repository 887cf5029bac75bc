package dev.keel.benchmarks;

import dev.keel.fewl.NeighbourSearch;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * FEWL's neighbour-question search at scale: the K = 25 nearest of every question among all
 * {@code n} questions (itself and near-duplicates excluded), 384-dimensional unit vectors, seeded.
 * The work is n² dot products, so time grows with the square of n.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar NeighbourSearchBenchmark -rf json -rff neighbours.json
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(1)
public class NeighbourSearchBenchmark {

    @Param({"1000", "10000", "50000"})
    public int n;

    private float[][] vectors;
    private int[] self;

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom rnd = new SplittableRandom(7);
        vectors = new float[n][384];
        self = new int[n];
        for (int i = 0; i < n; i++) {
            double norm = 0;
            for (int k = 0; k < 384; k++) {
                vectors[i][k] = (float) rnd.nextGaussian();
                norm += vectors[i][k] * vectors[i][k];
            }
            float inv = (float) (1 / Math.sqrt(norm));
            for (int k = 0; k < 384; k++) {
                vectors[i][k] *= inv;
            }
            self[i] = i;
        }
    }

    @Benchmark
    public NeighbourSearch.Result topK() {
        return NeighbourSearch.topK(vectors, vectors, 25, self, 0.95);
    }
}
