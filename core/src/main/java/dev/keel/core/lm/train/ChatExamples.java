package dev.keel.core.lm.train;

import dev.keel.core.internal.Preconditions;
import dev.keel.core.chat.ChatMessage;
import dev.keel.core.chat.Role;
import dev.keel.core.chat.ChatRecord;
import dev.keel.core.lm.generate.ChatTemplate;
import dev.keel.core.lm.generate.LmTokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Turns chat records into training examples whose only targets are the final assistant reply. */
public final class ChatExamples {

    private ChatExamples() {
    }

    /**
     * Renders {@code record} with {@code template}; the tokens of the last assistant message (and
     * {@code eosTokenId}, if {@code >= 0}, appended after it) are the targets, everything before is
     * prompt.
     *
     * @param record the chat record
     * @param tokenizer the tokenizer
     * @param template the chat template
     * @param eosTokenId the end-of-sequence token id, or -1 for none
     * @return the example; the reply (and the eos token, if any) are its targets
     */
    public static TrainingExample encode(ChatRecord record, LmTokenizer tokenizer, ChatTemplate template, long eosTokenId) {
        Preconditions.notNull(record, "record");
        Preconditions.notNull(tokenizer, "tokenizer");
        Preconditions.notNull(template, "template");
        List<ChatMessage> messages = record.messages();
        ChatMessage last = messages.get(messages.size() - 1);
        Preconditions.checkArgument(last.role() == Role.ASSISTANT && messages.size() >= 2,
                "a training record must end with an assistant message after a prompt, ended with "
                        + last.role().wireName());
        long[] prompt = tokenizer.encode(template.render(messages.subList(0, messages.size() - 1), true));
        long[] full = tokenizer.encode(template.render(messages, false));
        int common = 0;
        while (common < prompt.length && common < full.length && prompt[common] == full[common]) {
            common++;
        }
        long[] ids = eosTokenId >= 0 ? Arrays.copyOf(full, full.length + 1) : full;
        if (eosTokenId >= 0) {
            ids[full.length] = eosTokenId;
        }
        boolean[] mask = new boolean[ids.length];
        Arrays.fill(mask, Math.max(common, 1), ids.length, true);
        return new TrainingExample(ids, mask);
    }

    /**
     * Encodes every record; an error names the record by its 1-based position ({@code record 2 of 5}).
     *
     * @param records the chat records
     * @param tokenizer the tokenizer
     * @param template the chat template
     * @param eosTokenId the end-of-sequence token id, or -1 for none
     * @return the encoded examples, in order
     * @throws IllegalArgumentException naming the record if one does not encode
     */
    public static List<TrainingExample> encodeAll(List<ChatRecord> records, LmTokenizer tokenizer,
                                                  ChatTemplate template, long eosTokenId) {
        return encodeAll(records, tokenizer, template, eosTokenId, i -> "record " + (i + 1) + " of " + records.size());
    }

    /**
     * Encodes every record; an error starts with {@code where.apply(i)} for the record at 0-based
     * index {@code i}, e.g. {@code "train.jsonl line 3"} for a reader that kept the line numbers.
     *
     * @param records the chat records
     * @param tokenizer the tokenizer
     * @param template the chat template
     * @param eosTokenId the end-of-sequence token id, or -1 for none
     * @param where names the record at a 0-based index in an error message
     * @return the encoded examples, in order
     * @throws IllegalArgumentException naming the record if one does not encode
     */
    public static List<TrainingExample> encodeAll(List<ChatRecord> records, LmTokenizer tokenizer,
                                                  ChatTemplate template, long eosTokenId,
                                                  java.util.function.IntFunction<String> where) {
        Preconditions.notNull(records, "records");
        Preconditions.notNull(where, "where");
        List<TrainingExample> out = new ArrayList<>(records.size());
        int i = 0;
        for (ChatRecord r : records) {
            try {
                out.add(encode(r, tokenizer, template, eosTokenId));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where.apply(i) + ": " + e.getMessage(), e);
            }
            i++;
        }
        return out;
    }
}
