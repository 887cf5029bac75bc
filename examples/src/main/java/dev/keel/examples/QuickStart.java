package dev.keel.examples;

import dev.keel.core.embed.OnnxEmbedder;
import dev.keel.core.similarity.CosineSimilarity;

import java.util.List;
import java.util.Locale;

/**
 * The README's embedding quick start as a program: the cosine similarity of two sentences under
 * the default embedder (all-MiniLM-L6-v2, from its Maven jar; nothing is downloaded), and a batch
 * of embeddings. The README quotes the body of {@link #embed} verbatim ({@code ReadmeSnippetsTest}
 * checks it).
 *
 * <pre>
 * java -cp examples/target/keel.jar dev.keel.examples.QuickStart "The cat sits on the mat." "A cat is sitting on a mat."
 * </pre>
 */
public final class QuickStart {

    private QuickStart() {
    }

    /**
     * The cosine similarity of {@code a} and {@code b} under the default embedder.
     *
     * @param a the first text
     * @param b the second text
     * @return the similarity, in [-1, 1]
     * @throws IllegalArgumentException if a text is blank
     */
    public static double similarity(String a, String b) {
        try (OnnxEmbedder embedder = OnnxEmbedder.allMiniLmL6V2()) {
            return new CosineSimilarity(embedder).score(a, b);
        }
    }

    /**
     * The README's block: a similarity and a batch of three embeddings.
     *
     * @return the vectors of "one", "two" and "three", each of unit length and 384 wide
     */
    public static float[][] embed() {
        float[][] vectors;
        try (OnnxEmbedder embedder = OnnxEmbedder.allMiniLmL6V2()) {          // all-MiniLM-L6-v2, from its Maven jar
            CosineSimilarity cosine = new CosineSimilarity(embedder);
            double s = cosine.score("The cat sits on the mat.", "A cat is sitting on a mat.");   // about 0.97
            vectors = embedder.embedAll(List.of("one", "two", "three"));                     // unit length, 384 each
            System.out.println(s);
        }
        return vectors;
    }

    /**
     * Prints the similarity of two sentences.
     *
     * @param args the two sentences; defaults "The cat sits on the mat." and "A cat is sitting on a mat."
     */
    public static void main(String[] args) {
        String a = args.length > 0 ? args[0] : "The cat sits on the mat.";
        String b = args.length > 1 ? args[1] : "A cat is sitting on a mat.";
        System.out.println(String.format(Locale.ROOT, "%.4f", similarity(a, b)));
    }
}
