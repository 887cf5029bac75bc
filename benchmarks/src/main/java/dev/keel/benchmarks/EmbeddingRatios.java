package dev.keel.benchmarks;

import dev.keel.core.embed.OnnxEmbedder;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A load-robust companion of {@link EmbeddingBenchmark}: langchain4j, Keel with the exported graph
 * ({@code fuse(false)}) and Keel as shipped (fused) each embed the same 1,000 TruthfulQA answers in
 * turn, {@code rounds} times after a warm-up round, so a machine whose speed drifts between runs (as a
 * shared virtual machine's does) slows all three alike. Prints each one's median sentences/s and the
 * median over rounds of its ratio to langchain4j's in the same round.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.keel.benchmarks.EmbeddingRatios 1 15
 * java -cp benchmarks/target/benchmarks.jar dev.keel.benchmarks.EmbeddingRatios 32 15
 * </pre>
 */
public final class EmbeddingRatios {

    private EmbeddingRatios() {
    }

    public static void main(String[] args) {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 32;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        if (batch < 1 || rounds < 1) {
            System.err.println("usage: EmbeddingRatios [batch >= 1] [rounds >= 1], got " + Arrays.toString(args));
            System.exit(2);
        }
        List<String> answers = BenchmarkData.answers(EmbeddingBenchmark.TEXTS);
        List<List<String>> chunks = new ArrayList<>();
        List<List<TextSegment>> segments = new ArrayList<>();
        for (int i = 0; i < answers.size(); i += batch) {
            List<String> c = answers.subList(i, Math.min(answers.size(), i + batch));
            chunks.add(c);
            segments.add(c.stream().map(TextSegment::from).toList());
        }
        String[] names = {"langchain4j", "keel-unfused", "keel"};
        AllMiniLmL6V2EmbeddingModel peer = new AllMiniLmL6V2EmbeddingModel();
        try (OnnxEmbedder unfused = OnnxEmbedder.allMiniLmL6V2(OnnxEmbedder.builder().batchSize(batch).fuse(false));
             OnnxEmbedder keel = OnnxEmbedder.allMiniLmL6V2(OnnxEmbedder.builder().batchSize(batch))) {
            double[][] rate = new double[names.length][rounds];
            for (int r = -1; r < rounds; r++) {
                for (int k = 0; k < names.length; k++) {
                    long t = System.nanoTime();
                    for (int i = 0; i < chunks.size(); i++) {
                        if (k == 0) {
                            peer.embedAll(segments.get(i));
                        } else {
                            (k == 1 ? unfused : keel).embedAll(chunks.get(i));
                        }
                    }
                    if (r >= 0) {
                        rate[k][r] = answers.size() / ((System.nanoTime() - t) / 1e9);
                    }
                }
            }
            for (int k = 0; k < names.length; k++) {
                double[] ratio = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    ratio[r] = rate[k][r] / rate[0][r];
                }
                double[] sorted = ratio.clone();
                Arrays.sort(sorted);
                System.out.printf(Locale.ROOT, "batch %2d %-12s median %6.1f sentences/s  ratio to langchain4j %.3f"
                                + " (rounds: min %.3f, max %.3f)%n", batch, names[k], median(rate[k]), median(ratio),
                        sorted[0], sorted[rounds - 1]);
            }
        }
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        int n = c.length;
        return n % 2 == 1 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
    }
}
