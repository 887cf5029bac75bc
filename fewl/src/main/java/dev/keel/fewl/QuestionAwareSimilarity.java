package dev.keel.fewl;

import dev.keel.core.similarity.Similarity;

import java.util.List;

/**
 * A {@link Similarity} that can also use the question each text answers, e.g. to leave out the
 * words an answer merely repeats from its question ("The first Nobel Prize in Physics was awarded
 * to ..."). {@link FewlScorer} passes each text's own question: the item's question for the
 * candidate, the references and the IW/CO answers, the neighbour question for a reference's answer
 * to a neighbour. {@link #scoreAll(List, List)} scores without questions.
 */
public interface QuestionAwareSimilarity extends Similarity {

    /**
     * Scores each pair {@code (a[i], b[i])}, where {@code a[i]} answers {@code aQuestions[i]} and
     * {@code b[i]} answers {@code bQuestions[i]}; all four lists have the same size.
     *
     * @param a          the first text of each pair
     * @param aQuestions the question each first text answers (an element may be null: no question)
     * @param b          the second text of each pair
     * @param bQuestions the question each second text answers (an element may be null: no question)
     * @return the score of each pair, in order
     * @throws IllegalArgumentException if the sizes differ
     */
    double[] scoreAll(List<String> a, List<String> aQuestions, List<String> b, List<String> bQuestions);
}
