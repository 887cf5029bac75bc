package dev.keel.safety.data;

import java.util.Locale;

/** Which part of a fixed train / held-out evaluation split an instruction belongs to. */
public enum Split {
    /** May be used to build fine-tuning data (harmful examples, safety samples). */
    TRAIN,
    /** Held out: used only to evaluate; never mixed into training data. */
    EVALUATION;

    /**
     * The lower-case name used in files: {@code train} or {@code evaluation}.
     *
     * @return the lower-case name used in files: {@code train} or {@code evaluation}
     */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses {@code train} or {@code evaluation}, case-insensitively.
     *
     * @param value the text to parse
     * @return the split it names
     */
    public static Split parse(String value) {
        for (Split s : values()) {
            if (s.id().equalsIgnoreCase(value == null ? "" : value.trim())) {
                return s;
            }
        }
        throw new IllegalArgumentException("split must be train or evaluation, was \"" + value + "\"");
    }
}
