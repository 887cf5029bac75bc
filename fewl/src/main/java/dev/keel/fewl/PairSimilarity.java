package dev.keel.fewl;

/**
 * The similarity of two texts as one {@link FewlScorer#scoreAll} call sees it: a lookup in the
 * call's embeddings, or (on the generic path) a recorder of the pairs the call needs. Each text
 * comes with the question it answers, for a {@link QuestionAwareSimilarity}; the others ignore it.
 */
@FunctionalInterface
interface PairSimilarity {

    /**
     * The similarity of {@code a} and {@code b}.
     *
     * @param a one text
     * @param b the other
     * @return their similarity
     */
    double sim(String a, String b);

    /**
     * The similarity of {@code a} (answering {@code qa}) and {@code b} (answering {@code qb});
     * by default the questions are ignored.
     *
     * @param a  one text
     * @param qa the question it answers
     * @param b  the other
     * @param qb the question that one answers
     * @return their similarity
     */
    default double sim(String a, String qa, String b, String qb) {
        return sim(a, b);
    }

    /**
     * {@link #sim}, refusing a value that is not a finite number; both texts answer the item's question.
     *
     * @param item the item being scored, named in the message
     * @param a    one text
     * @param b    the other
     * @param what what the two texts are, for the message
     * @return their similarity
     * @throws IllegalArgumentException naming the item if the similarity is NaN or infinite
     */
    default double checked(FewlItem item, String a, String b, String what) {
        return checked(item, a, b, item.question(), what);
    }

    /**
     * {@link #sim}, refusing a value that is not a finite number; {@code a} answers the item's
     * question, {@code b} answers {@code qb}.
     *
     * @param item the item being scored, named in the message
     * @param a    one text
     * @param b    the other
     * @param qb   the question {@code b} answers
     * @param what what the two texts are, for the message
     * @return their similarity
     * @throws IllegalArgumentException naming the item if the similarity is NaN or infinite
     */
    default double checked(FewlItem item, String a, String b, String qb, String what) {
        double v = sim(a, item.question(), b, qb);
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            throw new IllegalArgumentException("item " + item.id() + ": similarity of " + what + " is " + v);
        }
        return v;
    }
}
