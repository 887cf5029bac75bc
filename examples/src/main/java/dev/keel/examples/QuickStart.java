package dev.keel.examples;

import dev.keel.core.embed.OnnxEmbedder;
import dev.keel.core.similarity.CosineSimilarity;

import java.util.Locale;

/**
 * The README's quick start as a program: the cosine similarity of two sentences under the
 * default embedder (all-MiniLM-L6-v2, from its Maven jar; nothing is downloaded).
 *
 * <pre>
 * java -cp examples/target/keel.jar dev.keel.examples.QuickStart "The cat sits on the mat." "A cat is sitting on a mat."
 * </pre>
 */
public final class QuickStart {

    private QuickStart() {
    }

    /** The cosine similarity of {@code a} and {@code b}, in [-1, 1]. */
    public static double similarity(String a, String b) {
        try (OnnxEmbedder embedder = OnnxEmbedder.allMiniLmL6V2()) {
            return new CosineSimilarity(embedder).score(a, b);
        }
    }

    public static void main(String[] args) {
        String a = args.length > 0 ? args[0] : "The cat sits on the mat.";
        String b = args.length > 1 ? args[1] : "A cat is sitting on a mat.";
        System.out.println(String.format(Locale.ROOT, "%.4f", similarity(a, b)));
    }
}
