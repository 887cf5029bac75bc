package dev.keel.fewl;

import java.util.Locale;

/** Whether a candidate answer is known to be truthful or hallucinated; read only by benchmarks. */
public enum Label {
    /**
     * A truthful answer.
     */
    TRUTHFUL,
    /**
     * A hallucinated answer.
     */
    HALLUCINATED;

    /**
     * The name in JSON files: {@code truthful} or {@code hallucinated}.
     *
     * @return the name
     */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses {@code truthful} or {@code hallucinated} (case-insensitive).
     *
     * @param s the name
     * @return the label
     * @throws IllegalArgumentException for any other text
     */
    public static Label fromWireName(String s) {
        for (Label l : values()) {
            if (l.wireName().equalsIgnoreCase(s)) {
                return l;
            }
        }
        throw new IllegalArgumentException("label must be \"truthful\" or \"hallucinated\", was \"" + s + "\"");
    }
}
