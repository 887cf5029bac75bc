package dev.keel.safety.data;

import dev.keel.core.internal.Preconditions;
import dev.keel.safety.PolicyCategory;

/**
 * One AdvBench harmful behaviour: an instruction ({@code goal}), the affirmative opening an
 * attacker wants ({@code target}, e.g. "Sure, here is ..."; never a harmful completion), the policy
 * category it was assigned, the rule that assigned it, and its split.
 *
 * @param index    0-based position in {@code advbench_harmful_behaviors.csv} (after the header)
 * @param goal     the harmful instruction
 * @param target   the affirmative opening
 * @param category the assigned policy category
 * @param rule     the id of the keyword rule that assigned the category
 * @param split    train or held-out evaluation
 */
public record HarmfulBehavior(int index, String goal, String target, PolicyCategory category, String rule, Split split) {

    /**
     * Checks the components.
     *
     * @param index    0-based position in {@code advbench_harmful_behaviors.csv} (after the header)
     * @param goal     the harmful instruction
     * @param target   the affirmative opening
     * @param category the assigned policy category
     * @param rule     the id of the keyword rule that assigned the category
     * @param split    train or held-out evaluation
     * @throws IllegalArgumentException if the index is negative or a text is blank
     * @throws NullPointerException     if a component is null
     */
    public HarmfulBehavior {
        Preconditions.checkNonNegative(index, "index");
        Preconditions.notBlank(goal, "goal");
        Preconditions.notBlank(target, "target");
        Preconditions.notNull(category, "category");
        Preconditions.notBlank(rule, "rule");
        Preconditions.notNull(split, "split");
    }

    /**
     * A short reference to this row, e.g. {@code advbench#17}.
     *
     * @return a short reference to this row, e.g. {@code advbench#17}
     */
    public String source() {
        return "advbench#" + index;
    }
}
