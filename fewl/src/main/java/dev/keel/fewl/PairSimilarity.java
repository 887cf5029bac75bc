package dev.keel.fewl;

/**
 * The similarity of two texts as one {@link FewlScorer#scoreAll} call sees it: a lookup in the
 * call's embeddings, or (on the generic path) a recorder of the pairs the call needs.
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
     * {@link #sim}, refusing a value that is not a finite number.
     *
     * @param item the item being scored, named in the message
     * @param a    one text
     * @param b    the other
     * @param what what the two texts are, for the message
     * @return their similarity
     * @throws IllegalArgumentException naming the item if the similarity is NaN or infinite
     */
    default double checked(FewlItem item, String a, String b, String what) {
        double v = sim(a, b);
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            throw new IllegalArgumentException("item " + item.id() + ": similarity of " + what + " is " + v);
        }
        return v;
    }
}
