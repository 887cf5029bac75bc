package dev.keel.benchmarks;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;

/**
 * Counts the floating-point work of a BERT-style encoder on a list of texts, to turn a measured
 * throughput into a share of the machine's peak FLOP/s.
 *
 * <p>Per layer and token: the Q, K, V and output projections ({@code 4·d²} multiply-adds), the
 * feed-forward block ({@code 2·d·ff}), and attention scores plus weighted values
 * ({@code 2·T·d} for a text of {@code T} tokens). One multiply-add is two FLOPs. Embedding lookups,
 * layer norms, softmax and GELU are left out (a few percent).
 */
public final class EncoderFlops {

    private EncoderFlops() {
    }

    /** FLOPs of all-MiniLM-L6-v2 (6 layers, d = 384, ff = 1536) over texts of the given token counts. */
    public static double miniLm(int[] tokenCounts) {
        return flops(tokenCounts, 6, 384, 1536);
    }

    /** FLOPs of an encoder with {@code layers} layers, width {@code d} and feed-forward width {@code ff}. */
    public static double flops(int[] tokenCounts, int layers, int d, int ff) {
        double total = 0;
        for (int t : tokenCounts) {
            double perToken = 4.0 * d * d + 2.0 * d * ff + 2.0 * t * d;
            total += 2.0 * layers * t * perToken;
        }
        return total;
    }

    /** Token counts (special tokens included) of each text under the all-MiniLM-L6-v2 tokenizer. */
    public static int[] miniLmTokenCounts(List<String> texts) {
        try (InputStream in = EncoderFlops.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2-tokenizer.json");
             HuggingFaceTokenizer tok = HuggingFaceTokenizer.newInstance(in, Map.of("padding", "false", "truncation", "true", "maxLength", "256"))) {
            Encoding[] enc = tok.batchEncode(texts.toArray(new String[0]));
            int[] out = new int[enc.length];
            for (int i = 0; i < enc.length; i++) {
                out[i] = enc[i].getIds().length;
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot load the all-MiniLM-L6-v2 tokenizer", e);
        }
    }

    /** Prints the FLOPs of one pass over the benchmark's 1,000 answers. */
    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int[] counts = miniLmTokenCounts(BenchmarkData.answers(n));
        long tokens = 0;
        for (int c : counts) {
            tokens += c;
        }
        double f = miniLm(counts);
        System.out.printf("texts=%d tokens=%d mean-tokens=%.1f GFLOP=%.3f GFLOP/text=%.5f%n",
                n, tokens, (double) tokens / n, f / 1e9, f / 1e9 / n);
    }
}
