package dev.keel.fewl;

import dev.keel.core.internal.Preconditions;

/**
 * One candidate answer in a FEWL ranking ({@link FewlScorer#rank}, {@link Fewl#select}).
 *
 * @param index  the candidate's position in the list that was ranked
 * @param answer the candidate answer
 * @param score  its FEWL score ({@link FewlScore#scored()} false when it could not be scored)
 */
public record RankedAnswer(int index, String answer, FewlScore score) {

    /**
     * Checks the components.
     *
     * @param index  the candidate's position, {@code >= 0}
     * @param answer the candidate answer
     * @param score  its score
     * @throws IllegalArgumentException if {@code index < 0}
     * @throws NullPointerException     if {@code answer} or {@code score} is null
     */
    public RankedAnswer {
        Preconditions.checkNonNegative(index, "index");
        Preconditions.notNull(answer, "answer");
        Preconditions.notNull(score, "score");
    }
}
