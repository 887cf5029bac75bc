package dev.keel.fewl;

import dev.keel.core.internal.Preconditions;

import java.util.ArrayList;
import java.util.List;

/**
 * One reference LLM's answer to a question.
 *
 * @param model  which model answered (distinct within an item; the laziness penalty matches a
 *               reference to the same model's answers to neighbour questions by this name)
 * @param answer its answer, not blank
 */
public record Reference(String model, String answer) {

    public Reference {
        Preconditions.notBlank(model, "model");
        Preconditions.notNull(answer, "answer");
        if (answer.isBlank()) {
            throw new IllegalArgumentException("answer of reference " + model + " must not be blank");
        }
    }

    /** A reference answer by {@code model}. */
    public static Reference of(String model, String answer) {
        return new Reference(model, answer);
    }

    /** References named {@code ref1, ref2, ...} in the given order. */
    public static List<Reference> list(String... answers) {
        Preconditions.notNull(answers, "answers");
        List<Reference> out = new ArrayList<>(answers.length);
        for (int i = 0; i < answers.length; i++) {
            out.add(new Reference("ref" + (i + 1), answers[i]));
        }
        return List.copyOf(out);
    }
}
