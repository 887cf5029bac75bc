package dev.keel.benchmarks;

import java.util.Arrays;
import java.util.Locale;

/**
 * A load-robust companion of {@link SamBenchmark}: the four optimizers step in turn (AdamW, SAM,
 * ASAM, LookSAM, AdamW, ...) for {@code rounds} rounds after a warm-up, so drifting load on a shared
 * machine hits all of them alike; prints the median step time of each and its ratio to AdamW's.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.keel.benchmarks.SamStepRatios 20
 * </pre>
 */
public final class SamStepRatios {

    private SamStepRatios() {
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        String[] names = {"adamw", "sam", "asam", "looksam"};
        SamBenchmark[] b = new SamBenchmark[names.length];
        for (int i = 0; i < names.length; i++) {
            b[i] = new SamBenchmark();
            b[i].optimizer = names[i];
            b[i].setUp();
        }
        try {
            for (int w = 0; w < 5; w++) {
                for (SamBenchmark x : b) {
                    x.step();
                }
            }
            // LookSAM's cost depends on where in its k-cycle a step falls: time whole rounds of 5 steps
            double[][] ms = new double[names.length][rounds];
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < names.length; i++) {
                    long t = System.nanoTime();
                    for (int s = 0; s < 5; s++) {
                        b[i].step();
                    }
                    ms[i][r] = (System.nanoTime() - t) / 5e6;
                }
            }
            double base = median(ms[0]);
            for (int i = 0; i < names.length; i++) {
                double m = median(ms[i]);
                System.out.printf(Locale.ROOT, "%-8s median %8.1f ms/step  ratio %.2f%n", names[i], m, m / base);
            }
        } finally {
            for (SamBenchmark x : b) {
                x.tearDown();
            }
        }
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }
}
