package dev.keel.core.lm.generate;

import dev.keel.core.internal.Preconditions;
import dev.keel.core.chat.ChatMessage;
import dev.keel.core.chat.Role;

import java.util.List;

/**
 * Turns a conversation into the text a model was trained on. Pluggable: implement
 * {@link #render}, {@link #name} and {@link #endsTurnWithEos} for another format.
 */
public interface ChatTemplate {

    /**
     * Renders {@code messages}; with {@code addGenerationPrompt} the text ends where the assistant's
     * next reply begins.
     *
     * @param messages            the conversation, not empty
     * @param addGenerationPrompt whether to end with the opening of the assistant's next turn
     * @return the text the model reads
     * @throws IllegalArgumentException if the conversation does not fit the format
     */
    String render(List<ChatMessage> messages, boolean addGenerationPrompt);

    /**
     * Strings that end a reply in this format (in addition to the stop tokens).
     *
     * @return the stop strings, possibly empty
     */
    default List<String> stopStrings() {
        return List.of();
    }

    /**
     * A name for provenance.
     *
     * @return the template's name, e.g. {@code plain}
     */
    String name();

    /**
     * Whether the rendered text closes every assistant turn with the model's end-of-sequence marker
     * itself. Training examples in a template that does not get the eos token appended after each
     * reply (see {@link #endOfReplyToken}); those in one that does are encoded as rendered.
     *
     * @return {@code true} if each assistant turn already ends with the end-of-sequence marker
     */
    boolean endsTurnWithEos();

    /**
     * The token to append after each training reply in this format: none ({@code -1}) where the
     * template {@linkplain #endsTurnWithEos ends turns itself}, else {@code eosTokenId}.
     *
     * @param eosTokenId the model's end-of-sequence token id, or a negative number for none
     * @return the token id to append, or {@code -1} for none
     */
    default long endOfReplyToken(long eosTokenId) {
        return endsTurnWithEos() || eosTokenId < 0 ? -1 : eosTokenId;
    }

    /**
     * The Llama-2 template.
     * Llama-2 chat: {@code <s>[INST] <<SYS>>\nsystem\n<</SYS>>\n\nuser [/INST] assistant </s><s>[INST] ...}.
     * Messages must alternate user/assistant after an optional leading system message; every
     * assistant turn ends with {@code </s>} (so {@link #endsTurnWithEos} is true).
     *
     * @return the shared instance
     */
    static ChatTemplate llama2() {
        return Llama2.INSTANCE;
    }

    /**
     * {@code System: ...\nUser: ...\nAssistant: ...}, one turn per line, stopping at the next
     * {@code User:}; a turn ends with a newline only (so {@link #endsTurnWithEos} is false).
     *
     * @return the shared instance
     */
    static ChatTemplate plain() {
        return Plain.INSTANCE;
    }

    /** The Llama-2 {@code [INST]} format. */
    final class Llama2 implements ChatTemplate {
        static final Llama2 INSTANCE = new Llama2();

        private Llama2() {
        }

        @Override
        public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
            Preconditions.notEmpty(messages, "messages");
            StringBuilder sb = new StringBuilder();
            String system = null;
            int start = 0;
            if (messages.get(0).role() == Role.SYSTEM) {
                system = messages.get(0).content().strip();
                start = 1;
            }
            for (int i = start; i < messages.size(); i++) {
                ChatMessage m = messages.get(i);
                Role expected = (i - start) % 2 == 0 ? Role.USER : Role.ASSISTANT;
                if (m.role() != expected) {
                    throw new IllegalArgumentException("Llama-2 chat needs user and assistant turns to alternate, message "
                            + i + " is " + m.role().wireName() + " where " + expected.wireName() + " was expected");
                }
                if (m.role() == Role.USER) {
                    String content = m.content().strip();
                    if (system != null) {
                        content = "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + content;
                        system = null;
                    }
                    sb.append("<s>[INST] ").append(content).append(" [/INST]");
                } else {
                    sb.append(' ').append(m.content().strip()).append(" </s>");
                }
            }
            if (system != null) {
                throw new IllegalArgumentException("Llama-2 chat needs a user message after the system message");
            }
            return sb.toString();
        }

        @Override
        public List<String> stopStrings() {
            return List.of("</s>", "[INST]");
        }

        @Override
        public String name() {
            return "llama2";
        }

        @Override
        public boolean endsTurnWithEos() {
            return true;
        }
    }

    /** The plain {@code Role: content} format. */
    final class Plain implements ChatTemplate {
        static final Plain INSTANCE = new Plain();

        private Plain() {
        }

        @Override
        public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
            Preconditions.notEmpty(messages, "messages");
            StringBuilder sb = new StringBuilder();
            for (ChatMessage m : messages) {
                sb.append(label(m.role())).append(' ').append(m.content().strip()).append('\n');
            }
            if (addGenerationPrompt) {
                sb.append("Assistant:");
            }
            return sb.toString();
        }

        private static String label(Role r) {
            switch (r) {
                case SYSTEM: return "System:";
                case USER: return "User:";
                default: return "Assistant:";
            }
        }

        @Override
        public List<String> stopStrings() {
            return List.of("\nUser:", "\nSystem:", "User:");
        }

        @Override
        public String name() {
            return "plain";
        }

        @Override
        public boolean endsTurnWithEos() {
            return false;
        }
    }
}
