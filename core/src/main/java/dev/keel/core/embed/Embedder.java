package dev.keel.core.embed;

import java.util.List;

/**
 * Turns texts into L2-normalised vectors of a fixed {@link #dimension()}.
 *
 * <p>{@link #embedAll(List)} is the method to implement and to call: batching is where the speed
 * is. Implementations are thread-safe unless they say otherwise.
 *
 * <pre>{@code
 * try (Embedder e = OnnxEmbedder.allMiniLmL6V2()) {
 *     float[][] v = e.embedAll(List.of("The cat sits on the mat.", "A cat is sitting on a mat."));
 * }
 * }</pre>
 */
public interface Embedder extends AutoCloseable {

    /**
     * Embeds each text; the result has one unit-length row per text, in order.
     *
     * @param texts the texts, in order
     * @return one unit-length vector of {@link #dimension()} floats per text, in the order of {@code texts}
     */
    float[][] embedAll(List<String> texts);

    /**
     * Embeds one text.
     *
     * @param text the text to embed
     * @return the text's unit-length vector
     */
    default float[] embed(String text) {
        return embedAll(List.of(text))[0];
    }

    /**
     * The length of every vector.
     *
     * @return the length of every vector
     */
    int dimension();

    /**
     * An identifier of the model, for provenance.
     *
     * @return an identifier of the model, for provenance
     */
    String id();

    /** Releases native resources; idempotent. Use after close is an {@link IllegalStateException}. */
    @Override
    void close();
}
