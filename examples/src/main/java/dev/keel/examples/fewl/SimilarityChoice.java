package dev.keel.examples.fewl;

import dev.keel.core.embed.Embedder;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.similarity.CosineSimilarity;
import dev.keel.core.similarity.Similarity;
import dev.keel.fewl.ContainmentSimilarity;
import dev.keel.fewl.HybridSimilarity;

import java.util.Locale;

/** The answer similarities {@code keel fewl bench|demo --similarity} offers. */
public enum SimilarityChoice {
    /** Cosine of all-MiniLM-L6-v2 vectors (the paper's). */
    COSINE,
    /** {@link ContainmentSimilarity}: shorter answer's content words in the longer, question words left out. */
    CONTAINMENT,
    /** {@link HybridSimilarity}: half containment, half cosine. */
    HYBRID;

    /**
     * The similarity over {@code embedder}.
     *
     * @param embedder the embedder (not owned)
     * @return the similarity
     * @throws NullPointerException if {@code embedder} is null
     */
    public Similarity create(Embedder embedder) {
        Preconditions.notNull(embedder, "embedder");
        return switch (this) {
            case COSINE -> new CosineSimilarity(embedder);
            case CONTAINMENT -> new ContainmentSimilarity();
            case HYBRID -> new HybridSimilarity(embedder);
        };
    }

    /**
     * Parses a command-line name ({@code cosine}, {@code containment}, {@code hybrid}, any case).
     *
     * @param name the name
     * @return the choice
     * @throws IllegalArgumentException naming the value if it is none of them
     */
    public static SimilarityChoice parse(String name) {
        Preconditions.notNull(name, "similarity");
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("similarity must be cosine, containment or hybrid, was \"" + name + "\"", e);
        }
    }
}
