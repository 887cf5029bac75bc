package dev.keel.benchmarks;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.util.Locale;

/**
 * The two physical limits the language-model figures are shared against, measured through the same
 * PyTorch as Keel in the same run: the best F32 GEMM rate ({@code 2048 x 2048 x 2048}, best of 5) and the
 * best read bandwidth (a sum over a 1 GiB F32 array, best of 5). Prints one JSON line. Threads come from
 * {@code -Dai.djl.pytorch.num_threads}.
 *
 * <pre>
 * java -Dai.djl.pytorch.num_threads=2 -cp benchmarks/target/benchmarks.jar dev.keel.benchmarks.MachineProbe
 * </pre>
 */
public final class MachineProbe {

    private MachineProbe() {
    }

    /**
     * Measures and prints.
     *
     * @param args none
     */
    public static void main(String[] args) {
        int n = 2048;
        double bestGemm = 0;
        double bestRead = 0;
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray a = m.randomUniform(-1, 1, new Shape(n, n));
            NDArray b = m.randomUniform(-1, 1, new Shape(n, n));
            for (int i = 0; i < 6; i++) {
                long t0 = System.nanoTime();
                try (NDArray c = a.matMul(b)) {
                    c.getShape();
                }
                double s = (System.nanoTime() - t0) / 1e9;
                if (i > 0) {
                    bestGemm = Math.max(bestGemm, 2.0 * n * n * n / s / 1e9);
                }
            }
            long elems = 1L << 28;
            NDArray big = m.ones(new Shape(elems));
            for (int i = 0; i < 6; i++) {
                long t0 = System.nanoTime();
                try (NDArray sum = big.sum()) {
                    sum.getFloat();
                }
                double s = (System.nanoTime() - t0) / 1e9;
                if (i > 0) {
                    bestRead = Math.max(bestRead, elems * 4.0 / s / 1e9);
                }
            }
        }
        System.out.println(String.format(Locale.ROOT, "{\"gemmF32GflopPerSecond\": %.1f, \"readGBPerSecond\": %.2f}",
                bestGemm, bestRead));
    }
}
