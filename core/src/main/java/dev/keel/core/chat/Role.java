package dev.keel.core.chat;

import java.util.Locale;

/** Who speaks a chat message, as in the OpenAI chat format. */
public enum Role {
    SYSTEM, USER, ASSISTANT;

    /** The lower-case wire name: {@code system}, {@code user} or {@code assistant}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a wire name, case-insensitively. */
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
