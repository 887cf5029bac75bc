package dev.keel.fewl;

import dev.keel.core.embed.Embedder;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.similarity.CosineSimilarity;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;

/**
 * A blend of lexical and embedding agreement: {@code w · containment(a, b) + (1 − w) · cos(a, b)}
 * with {@link ContainmentSimilarity} (question words ignored where the question is known) and the
 * cosine of the embedder's (unit) vectors. Containment sees that a short
 * answer's facts are in a long one; cosine sees paraphrase. Range {@code [-(1 − w), 1]}; symmetric
 * when the containment is ({@link ContainmentSimilarity.Direction#SHORTER_IN_LONGER}). Each
 * {@code scoreAll} embeds its distinct texts in one {@code embedAll} call (wrap the embedder in a
 * {@link dev.keel.core.embed.CachingEmbedder} to share them between calls). Keel's own extension.
 */
public final class HybridSimilarity implements QuestionAwareSimilarity {

    /** The default weight of containment. */
    public static final double DEFAULT_LEXICAL_WEIGHT = 0.5;

    private final ContainmentSimilarity lexical;
    private final Embedder embedder;
    private final double weight;

    /**
     * The default blend: half {@link ContainmentSimilarity#ContainmentSimilarity()}, half cosine.
     *
     * @param embedder the embedder for the cosine part (not owned)
     * @throws NullPointerException if {@code embedder} is null
     */
    public HybridSimilarity(Embedder embedder) {
        this(new ContainmentSimilarity(), embedder, DEFAULT_LEXICAL_WEIGHT);
    }

    /**
     * A blend.
     *
     * @param lexical       the containment part
     * @param embedder      the embedder for the cosine part (not owned)
     * @param lexicalWeight w, the weight of containment, in {@code [0, 1]}
     * @throws NullPointerException     if {@code lexical} or {@code embedder} is null
     * @throws IllegalArgumentException if {@code lexicalWeight} is outside {@code [0, 1]}
     */
    public HybridSimilarity(ContainmentSimilarity lexical, Embedder embedder, double lexicalWeight) {
        this.lexical = Preconditions.notNull(lexical, "lexical");
        this.embedder = Preconditions.notNull(embedder, "embedder");
        this.weight = Preconditions.checkInRange(lexicalWeight, 0.0, 1.0, "lexicalWeight");
    }

    /**
     * The embedder of the cosine part.
     *
     * @return the embedder (not owned)
     */
    public Embedder embedder() {
        return embedder;
    }

    /**
     * The containment part.
     *
     * @return the lexical similarity
     */
    public ContainmentSimilarity lexical() {
        return lexical;
    }

    /**
     * The weight of containment.
     *
     * @return w
     */
    public double lexicalWeight() {
        return weight;
    }

    @Override
    public double[] scoreAll(List<String> a, List<String> b) {
        return scoreAll(a, null, b, null);
    }

    @Override
    public double[] scoreAll(List<String> a, List<String> aQuestions, List<String> b, List<String> bQuestions) {
        double[] lex = lexical.scoreAll(a, aQuestions, b, bQuestions);
        if (weight == 1.0) {
            return lex;
        }
        LinkedHashMap<String, Integer> index = new LinkedHashMap<>();
        for (String s : a) {
            index.putIfAbsent(s, index.size());
        }
        for (String s : b) {
            index.putIfAbsent(s, index.size());
        }
        float[][] v = index.isEmpty() ? new float[0][] : embedder.embedAll(new ArrayList<>(index.keySet()));
        if (v == null || v.length != index.size()) {
            throw new IllegalStateException("embedder " + embedder.id() + " returned "
                    + (v == null ? "null" : v.length + " vectors") + " for " + index.size() + " texts");
        }
        double[] out = new double[lex.length];
        for (int i = 0; i < out.length; i++) {
            double c = CosineSimilarity.dot(v[index.get(a.get(i))], v[index.get(b.get(i))]);
            out[i] = weight * lex[i] + (1 - weight) * c;
        }
        return out;
    }

    @Override
    public String name() {
        return String.format(Locale.ROOT, "hybrid(%.2f %s + %.2f cosine)", weight, lexical.name(), 1 - weight);
    }
}
