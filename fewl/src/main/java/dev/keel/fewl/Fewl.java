package dev.keel.fewl;

import dev.keel.core.internal.Preconditions;
import dev.keel.core.similarity.CosineSimilarity;

import java.util.List;

/**
 * FEWL entry points: the one-liner {@link #score} and the {@link #builder()} of a {@link FewlScorer}.
 *
 * <pre>{@code
 * FewlScore s = Fewl.score("What happens if you crack your knuckles a lot?",
 *         "Nothing in particular happens.",
 *         Reference.list("Nothing in particular.", "You will get arthritis.", "Nothing harmful happens."));
 *
 * try (FewlScorer scorer = Fewl.builder().neighbours(25).build()) {
 *     List<FewlScore> scores = scorer.scoreAll(items);
 * }
 * }</pre>
 */
public final class Fewl {

    private Fewl() {
    }

    /**
     * Scores {@code answer} to {@code question} against the reference answers with cosine similarity
     * on the default all-MiniLM-L6-v2 embedder (created on first use and kept for the process).
     * With no intentionally wrong or corrected answers the expertise weights are <b>uniform</b>, and
     * with no neighbour corpus there is <b>no laziness penalty</b>: the result is the mean
     * similarity of the answer to the references. Use {@link #builder()} for the full method.
     *
     * @param question the question, not blank
     * @param answer   the candidate answer, not blank
     * @param refs     the reference answers, at least one
     * @return the score
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException for a blank question or answer, or no references
     */
    public static FewlScore score(String question, String answer, List<Reference> refs) {
        Preconditions.notBlank(question, "question");
        Preconditions.notBlank(answer, "answer");
        Preconditions.notEmpty(refs, "refs");
        FewlItem item = FewlItem.of("item", question, answer, refs);
        try (FewlScorer scorer = builder().similarity(new CosineSimilarity(DefaultEmbedder.shared())).penalty(false).build()) {
            return scorer.score(item);
        }
    }

    /**
     * Orders candidate answers to {@code question} by FEWL against the reference answers, best
     * first, with the defaults of {@link #score}: cosine similarity on all-MiniLM-L6-v2, uniform
     * weights, no penalty (so: by mean agreement with the references). For best-of-N selection
     * take the first; use {@link FewlScorer#rank} for other settings.
     *
     * @param question   the question, not blank
     * @param candidates the candidate answers, at least one, none blank
     * @param refs       the reference answers, at least one
     * @return the candidates with their scores, best first (ties keep the given order)
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException for a blank question or candidate, or no candidates or references
     */
    public static List<RankedAnswer> select(String question, List<String> candidates, List<Reference> refs) {
        try (FewlScorer scorer = builder().similarity(new CosineSimilarity(DefaultEmbedder.shared())).penalty(false).build()) {
            return scorer.rank(question, candidates, refs);
        }
    }

    /**
     * A builder of a {@link FewlScorer} with the paper's defaults (K = 25, R = 25, penalty on, all references).
     *
     * @return a new builder
     */
    public static FewlScorer.Builder builder() {
        return FewlScorer.builder();
    }
}
