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

    /**
     * Checks the components.
     *
     * @param model  which model answered, not blank
     * @param answer its answer, not blank
     * @throws NullPointerException     if {@code model} or {@code answer} is null
     * @throws IllegalArgumentException if either is blank
     */
    public Reference {
        Preconditions.notBlank(model, "model");
        Preconditions.notNull(answer, "answer");
        if (answer.isBlank()) {
            throw new IllegalArgumentException("answer of reference " + model + " must not be blank");
        }
    }

    /**
     * A reference answer by {@code model}.
     *
     * @param model  which model answered, not blank
     * @param answer its answer, not blank
     * @return the reference
     * @throws IllegalArgumentException if either is blank
     */
    public static Reference of(String model, String answer) {
        return new Reference(model, answer);
    }

    /**
     * References named {@code ref1, ref2, ...} in the given order.
     *
     * @param answers the answers, none blank
     * @return the references
     * @throws NullPointerException     if {@code answers} or an element is null
     * @throws IllegalArgumentException if an answer is blank
     */
    public static List<Reference> list(String... answers) {
        Preconditions.notNull(answers, "answers");
        List<Reference> out = new ArrayList<>(answers.length);
        for (int i = 0; i < answers.length; i++) {
            out.add(new Reference("ref" + (i + 1), answers[i]));
        }
        return List.copyOf(out);
    }

    /**
     * Checks the references of one item or benchmark line: at least one, none null, model names
     * distinct.
     *
     * @param id         the item's id, for the message
     * @param references the references
     * @return an unmodifiable copy
     * @throws IllegalArgumentException naming the item if a check fails
     */
    static List<Reference> checkDistinct(String id, List<Reference> references) {
        if (references == null || references.isEmpty()) {
            throw new IllegalArgumentException("item " + id + ": needs at least one reference answer, has none");
        }
        java.util.Set<String> models = new java.util.HashSet<>();
        for (int i = 0; i < references.size(); i++) {
            Reference r = references.get(i);
            if (r == null) {
                throw new IllegalArgumentException("item " + id + ": reference " + i + " is null");
            }
            if (!models.add(r.model())) {
                throw new IllegalArgumentException("item " + id + ": reference model \"" + r.model() + "\" appears twice");
            }
        }
        return List.copyOf(references);
    }
}
