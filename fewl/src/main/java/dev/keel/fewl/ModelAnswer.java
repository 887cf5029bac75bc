package dev.keel.fewl;

import dev.keel.core.internal.Preconditions;

/**
 * One model's answer to a question of a multi-model benchmark ({@link MultiModelRecord}).
 *
 * @param model  which model answered, not blank, distinct within the question
 * @param answer its answer; {@code null} when the model did not answer (a blank answer is read as
 *               {@code null}): it is then neither a candidate nor a reference
 * @param label  the human judgement, or {@code null} when there is none (the answer is then a
 *               reference only, not a candidate)
 */
public record ModelAnswer(String model, String answer, Label label) {

    /**
     * Checks the components; a blank answer becomes {@code null}.
     *
     * @param model  which model answered, not blank
     * @param answer its answer, or {@code null}/blank for none
     * @param label  the judgement, or {@code null}
     * @throws NullPointerException     if {@code model} is null
     * @throws IllegalArgumentException if {@code model} is blank
     */
    public ModelAnswer {
        Preconditions.notBlank(model, "model");
        if (answer != null && answer.isBlank()) {
            answer = null;
        }
    }

    /**
     * Whether the model answered.
     *
     * @return true when {@link #answer()} is not null
     */
    public boolean answered() {
        return answer != null;
    }

    /**
     * Whether this answer is a candidate of the benchmark: answered and labelled.
     *
     * @return true when both
     */
    public boolean candidate() {
        return answer != null && label != null;
    }
}
