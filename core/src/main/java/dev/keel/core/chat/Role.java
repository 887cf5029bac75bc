package dev.keel.core.chat;

import java.util.Locale;

/** Who speaks a chat message, as in the OpenAI chat format. */
public enum Role {
    /** Instructions that frame the conversation. */
    SYSTEM,
    /** The person talking to the model. */
    USER,
    /** The model. */
    ASSISTANT;

    /**
     * The lower-case wire name: {@code system}, {@code user} or {@code assistant}.
     *
     * @return the wire name
     */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a wire name, case-insensitively, ignoring surrounding whitespace.
     *
     * @param name the wire name
     * @return the role
     * @throws IllegalArgumentException if {@code name} is null or not a role, naming the value
     */
    public static Role fromWireName(String name) {
        if (name != null) {
            for (Role r : values()) {
                if (r.wireName().equalsIgnoreCase(name.trim())) {
                    return r;
                }
            }
        }
        throw new IllegalArgumentException("role must be one of system, user, assistant; was \"" + name + "\"");
    }
}
