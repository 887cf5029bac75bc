package dev.keel.core.lm.search;

/**
 * A reward on finished text, such as an exact-answer check: 1 for a right answer, 0 for a wrong one.
 */
@FunctionalInterface
public interface Verifier {

    /**
     * Scores a finished reply.
     *
     * @param text the generated text (prompt excluded, stop token excluded)
     * @return the reward, a finite number (conventionally in {@code [0, 1]})
     */
    double score(String text);

    /**
     * A verifier that gives 1 when the stripped reply equals the stripped {@code answer}, else 0.
     *
     * @param answer the expected reply
     * @return the exact-match verifier
     */
    static Verifier exactAnswer(String answer) {
        java.util.Objects.requireNonNull(answer, "answer");
        String want = answer.strip();
        return text -> text.strip().equals(want) ? 1.0 : 0.0;
    }
}
