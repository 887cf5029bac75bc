package dev.keel.core.chat;

/**
 * Receives a streamed reply piece by piece ({@link ChatModel#generateStreaming}). Called on the
 * thread that asked for the reply, in the order the pieces arrive; the pieces of one choice,
 * concatenated, are that choice's {@link ChatChoice#text() text}.
 */
@FunctionalInterface
public interface ChatDeltaListener {

    /**
     * A new piece of choice {@code choice}'s text.
     *
     * @param choice the choice's index ({@code 0} unless {@link GenerationOptions#n()} is above 1)
     * @param text   the new text, not empty
     */
    void onDelta(int choice, String text);
}
