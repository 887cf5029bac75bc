package dev.keel.examples.tiny;

import dev.keel.core.internal.Preconditions;
import dev.keel.core.chat.ChatMessage;
import dev.keel.core.lm.generate.ChatTemplate;

import java.util.List;

/**
 * The chat format keel-tiny was trained on: {@code <|system|> ...<|user|> ...<|assistant|> ...<|end|>}.
 * Every assistant turn ends with {@code <|end|>} (the model's {@code eos_token_id}), so training
 * examples are encoded without an extra end token.
 */
public final class TinyChatTemplate implements ChatTemplate {

    /** The markers, each one special token of keel-tiny's tokenizer. */
    public static final String SYSTEM = "<|system|>";
    public static final String USER = "<|user|>";
    public static final String ASSISTANT = "<|assistant|>";
    public static final String END = "<|end|>";

    private static final TinyChatTemplate INSTANCE = new TinyChatTemplate();

    private TinyChatTemplate() {
    }

    public static TinyChatTemplate instance() {
        return INSTANCE;
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        Preconditions.notEmpty(messages, "messages");
        StringBuilder sb = new StringBuilder();
        for (ChatMessage m : messages) {
            switch (m.role()) {
                case SYSTEM -> sb.append(SYSTEM).append(' ').append(m.content().strip());
                case USER -> sb.append(USER).append(' ').append(m.content().strip());
                case ASSISTANT -> sb.append(ASSISTANT).append(' ').append(m.content().strip()).append(END);
                default -> throw new IllegalArgumentException("role " + m.role() + " is not supported by " + name());
            }
        }
        if (addGenerationPrompt) {
            sb.append(ASSISTANT);
        }
        return sb.toString();
    }

    @Override
    public List<String> stopStrings() {
        return List.of(USER, END);
    }

    @Override
    public String name() {
        return "keel-tiny";
    }

    /** Every assistant turn ends with {@link #END}, keel-tiny's eos token. */
    @Override
    public boolean endsTurnWithEos() {
        return true;
    }
}
