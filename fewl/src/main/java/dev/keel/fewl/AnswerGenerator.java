package dev.keel.fewl;

import dev.keel.core.internal.Preconditions;
import dev.keel.core.chat.ChatMessage;
import dev.keel.core.chat.ChatModel;
import dev.keel.core.chat.ChatRequest;
import dev.keel.core.chat.ChatResponse;
import dev.keel.core.chat.GenerationOptions;
import dev.keel.fewl.internal.ListReplyParser;

import java.util.ArrayList;
import java.util.List;

/**
 * Generates the intentionally wrong (IW) and corrected (CO) answers that the expertise weights are
 * computed from, through any {@link ChatModel}, in two batched rounds: first R wrong answers per
 * question, then a correction of each of them (as in the FEWL paper, CO answers are corrections of
 * the IW ones). Replies are parsed as numbered or bulleted lists. A reply that yields fewer than R
 * answers, or a request that fails, is reported in {@link Generated#notes()}; nothing is padded or
 * made up. The model is not owned.
 *
 * <pre>{@code
 * AnswerGenerator g = new AnswerGenerator(chatModel, 25, GenerationOptions.defaults());
 * AnswerGenerator.Generated a = g.generateAll(List.of("Why is the sky blue?")).get(0);
 * }</pre>
 */
public final class AnswerGenerator {

    static final String SYSTEM = "You help test a hallucination detector. Follow the requested format exactly.";

    private final ChatModel model;
    private final int count;
    private final GenerationOptions options;

    /**
     * IW and CO answers for one question.
     *
     * @param question  the question
     * @param wrong     the wrong answers parsed from the reply (at most R)
     * @param corrected the corrected answers parsed from the reply (at most as many as wrong)
     * @param notes     shortfalls and failures
     */
    public record Generated(String question, List<String> wrong, List<String> corrected, List<String> notes) {
        /**
         * Copies the lists.
         *
         * @param question  the question
         * @param wrong     the wrong answers
         * @param corrected the corrected answers
         * @param notes     shortfalls and failures
         */
        public Generated {
            wrong = List.copyOf(wrong);
            corrected = List.copyOf(corrected);
            notes = List.copyOf(notes);
        }
    }

    /**
     * Generates {@code count} (R) answers of each kind per question with {@code options}.
     *
     * @param model   the chat model (not owned)
     * @param count   R, {@code > 0}
     * @param options the options of every request
     * @throws NullPointerException     if {@code model} or {@code options} is null
     * @throws IllegalArgumentException if {@code count <= 0}
     */
    public AnswerGenerator(ChatModel model, int count, GenerationOptions options) {
        this.model = Preconditions.notNull(model, "model");
        this.count = Preconditions.checkPositive(count, "answers per kind (R)");
        this.options = Preconditions.notNull(options, "options");
    }

    /**
     * R, the number of answers of each kind asked for.
     *
     * @return R
     */
    public int count() {
        return count;
    }

    /**
     * The prompt asking for {@code r} intentionally wrong answers.
     *
     * @param question the question
     * @param r        how many answers
     * @return the prompt
     */
    public static String wrongPrompt(String question, int r) {
        return "Question: " + question.strip() + "\n\n"
                + "Write " + r + " different answers to this question that sound plausible but are factually wrong. "
                + "Each answer is one short sentence that answers the question directly. "
                + "Reply with a numbered list (1., 2., ...) and nothing else.";
    }

    /**
     * The prompt asking for a correction of each wrong answer.
     *
     * @param question the question
     * @param wrong    the wrong answers, in order
     * @return the prompt
     */
    public static String correctPrompt(String question, List<String> wrong) {
        StringBuilder sb = new StringBuilder();
        sb.append("Question: ").append(question.strip()).append("\n\n")
                .append("Each of the following answers to the question is wrong:\n");
        for (int i = 0; i < wrong.size(); i++) {
            sb.append(i + 1).append(". ").append(wrong.get(i)).append('\n');
        }
        sb.append("\nRewrite each of them into a correct, truthful answer to the question, keeping it one short sentence. ")
                .append("Reply with a numbered list of ").append(wrong.size())
                .append(" corrected answers in the same order and nothing else.");
        return sb.toString();
    }

    /**
     * Generates IW and CO answers for each question, in order; never throws for one failed request
     * (the failure becomes a note and the answers stay empty).
     *
     * @param questions the questions
     * @return one result per question, in order
     * @throws NullPointerException     if {@code questions} is null
     * @throws IllegalArgumentException if an element is null
     */
    public List<Generated> generateAll(List<String> questions) {
        Preconditions.noNulls(questions, "questions");
        List<ChatRequest> first = new ArrayList<>(questions.size());
        for (String q : questions) {
            first.add(request(wrongPrompt(q, count)));
        }
        List<ChatResponse> wrongReplies = model.generateAll(first);
        checkSize(wrongReplies, first.size());
        List<List<String>> wrong = new ArrayList<>(questions.size());
        List<List<String>> notes = new ArrayList<>(questions.size());
        List<ChatRequest> second = new ArrayList<>();
        List<Integer> secondOf = new ArrayList<>();
        for (int i = 0; i < questions.size(); i++) {
            List<String> n = new ArrayList<>();
            ChatResponse r = wrongReplies.get(i);
            List<String> w = r.isOk() ? ListReplyParser.parse(r.text(), count) : List.of();
            if (!r.isOk()) {
                n.add("wrong-answer request failed (" + r.error().kind() + "): " + r.error().getMessage());
            } else if (w.size() < count) {
                n.add("generated " + w.size() + " of " + count + " intentionally wrong answers");
            }
            wrong.add(w);
            notes.add(n);
            if (!w.isEmpty()) {
                second.add(request(correctPrompt(questions.get(i), w)));
                secondOf.add(i);
            }
        }
        List<ChatResponse> coReplies = second.isEmpty() ? List.of() : model.generateAll(second);
        checkSize(coReplies, second.size());
        List<List<String>> corrected = new ArrayList<>(questions.size());
        for (int i = 0; i < questions.size(); i++) {
            corrected.add(List.of());
        }
        for (int j = 0; j < second.size(); j++) {
            int i = secondOf.get(j);
            ChatResponse r = coReplies.get(j);
            int want = wrong.get(i).size();
            List<String> c = r.isOk() ? ListReplyParser.parse(r.text(), want) : List.of();
            if (!r.isOk()) {
                notes.get(i).add("correction request failed (" + r.error().kind() + "): " + r.error().getMessage());
            } else if (c.size() < want) {
                notes.get(i).add("generated " + c.size() + " of " + want + " corrected answers");
            }
            corrected.set(i, c);
        }
        List<Generated> out = new ArrayList<>(questions.size());
        for (int i = 0; i < questions.size(); i++) {
            out.add(new Generated(questions.get(i), wrong.get(i), corrected.get(i), notes.get(i)));
        }
        return out;
    }

    private ChatRequest request(String prompt) {
        return new ChatRequest(List.of(ChatMessage.system(SYSTEM), ChatMessage.user(prompt)), options);
    }

    private static void checkSize(List<ChatResponse> replies, int expected) {
        if (replies == null || replies.size() != expected) {
            throw new IllegalStateException("chat model returned " + (replies == null ? "null" : replies.size() + " replies")
                    + " for " + expected + " requests");
        }
    }
}
