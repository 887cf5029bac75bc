package dev.keel.core.chat;

import dev.keel.core.internal.Preconditions;
import dev.keel.core.data.DatasetException;
import dev.keel.core.internal.JsonLines;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A chat model that replays recorded replies, for tests and for experiments that must not call a
 * live endpoint twice. Replies are looked up by the exact conversation (each message's role and
 * content) and, unless {@link Matching#MESSAGES_ONLY} is chosen, by the generation options.
 *
 * <p>The file is JSON Lines (see {@link RecordingChatModel}, which writes it):
 * <pre>{@code
 * {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}], "response": "Hello"}
 * {"messages": [{"role": "user", "content": "2+2?"}], "options": {"temperature": 0.0, "seed": 7}, "response": "4"}
 * {"prompt": "Capital of France?", "response": "Paris"}
 * }</pre>
 * A line without {@code options} answers a request with any options; a line with options answers
 * only requests with equal options (an exact match is preferred over a line without options).
 *
 * <pre>{@code
 * try (ChatModel model = RecordedChatModel.load(Path.of("replies.jsonl"))) {
 *     String reply = model.generate("Capital of France?");   // "Paris"
 * }
 * }</pre>
 *
 * <p>A request with no recording comes back as a failed response of kind
 * {@link ChatModelException.Kind#NOT_FOUND NOT_FOUND}. Instances are immutable and thread-safe.
 */
public final class RecordedChatModel implements ChatModel {

    /** How a request is matched to a recording. */
    public enum Matching {
        /** The messages, and the options where the recording has them. */
        MESSAGES_AND_OPTIONS,
        /** The messages alone; recorded options are ignored. */
        MESSAGES_ONLY
    }

    static final int SHOWN_PROMPT_CHARS = 80;

    /** A lookup key: the messages, and the options or {@code null} for "any". */
    private record Key(List<ChatMessage> messages, GenerationOptions options) {
    }

    private final Map<Key, String> replies;
    private final Matching matching;
    private final String id;
    private final AtomicBoolean closed = new AtomicBoolean();

    private RecordedChatModel(Map<Key, String> replies, Matching matching, String id) {
        this.replies = Map.copyOf(replies);
        this.matching = matching;
        this.id = id;
    }

    /**
     * Loads recorded replies from {@code file}, matching messages and options.
     *
     * @param file a JSON Lines file of recorded exchanges
     * @return the model
     * @throws DatasetException if a line cannot be read, or two lines record different replies to
     *                          the same request; the message names the line
     * @throws IOException      if the file cannot be read
     */
    public static RecordedChatModel load(Path file) throws IOException {
        return load(file, Matching.MESSAGES_AND_OPTIONS);
    }

    /**
     * Loads recorded replies from {@code file}.
     *
     * @param file     a JSON Lines file of recorded exchanges
     * @param matching how requests are matched to recordings
     * @return the model
     * @throws DatasetException if a line cannot be read, or two lines record different replies to
     *                          the same request (under {@code matching}); the message names the line
     * @throws IOException      if the file cannot be read
     */
    public static RecordedChatModel load(Path file, Matching matching) throws IOException {
        Preconditions.notNull(file, "file");
        Preconditions.notNull(matching, "matching");
        Map<Key, String> replies = new HashMap<>();
        Map<Key, Long> lineOf = new HashMap<>();
        JsonLines.forEach(file, RecordedLine::fromJson, (rec, line) -> {
            Key key = key(rec.messages(), rec.options(), matching);
            String previous = replies.putIfAbsent(key, rec.response());
            if (previous == null) {
                lineOf.put(key, line);
            } else if (!previous.equals(rec.response())) {
                throw new DatasetException(file, line, "a different response to the same request was recorded on line "
                        + lineOf.get(key) + " (conversation ending with \"" + shorten(lastUserContent(rec.messages())) + "\")");
            }
        });
        Path name = file.getFileName();
        return new RecordedChatModel(replies, matching, "recorded:" + (name == null ? file : name));
    }

    /**
     * Replies to the given conversations with any generation options.
     *
     * @param replies the reply to each conversation
     * @return the model
     * @throws NullPointerException if {@code replies} is null
     */
    public static RecordedChatModel of(Map<List<ChatMessage>, String> replies) {
        Preconditions.notNull(replies, "replies");
        Map<Key, String> m = new HashMap<>();
        for (Map.Entry<List<ChatMessage>, String> e : replies.entrySet()) {
            Preconditions.notEmpty(e.getKey(), "replies key");
            Preconditions.notNull(e.getValue(), "reply to " + e.getKey());
            m.put(new Key(List.copyOf(e.getKey()), null), e.getValue());
        }
        return new RecordedChatModel(m, Matching.MESSAGES_AND_OPTIONS, "recorded");
    }

    /**
     * The recorded reply to each request, in order, or a failed response of kind
     * {@link ChatModelException.Kind#NOT_FOUND NOT_FOUND} where none was recorded.
     *
     * @throws IllegalStateException if this model is closed
     */
    @Override
    public List<ChatResponse> generateAll(List<ChatRequest> requests) {
        Preconditions.noNulls(requests, "requests");
        Preconditions.checkState(!closed.get(), id + " is closed");
        List<ChatResponse> out = new ArrayList<>(requests.size());
        for (ChatRequest r : requests) {
            String reply = lookup(r);
            out.add(reply != null ? ChatResponse.ok(reply) : ChatResponse.failed(notFound(r)));
        }
        return out;
    }

    private String lookup(ChatRequest r) {
        if (matching == Matching.MESSAGES_ONLY) {
            return replies.get(new Key(r.messages(), null));
        }
        String exact = replies.get(new Key(r.messages(), r.options()));
        return exact != null ? exact : replies.get(new Key(r.messages(), null));
    }

    private ChatModelException notFound(ChatRequest r) {
        return new ChatModelException(ChatModelException.Kind.NOT_FOUND, "no recorded reply in " + id
                + " for the conversation of " + r.messages().size() + " message(s) ending with \""
                + shorten(lastUserContent(r.messages())) + "\""
                + (matching == Matching.MESSAGES_AND_OPTIONS ? " with " + r.options() : ""));
    }

    /** {@code recorded:<file name>}, or {@code recorded} for {@link #of(Map)}. */
    @Override
    public String id() {
        return id;
    }

    /**
     * How many distinct requests have a recorded reply.
     *
     * @return the count
     */
    public int size() {
        return replies.size();
    }

    /**
     * How requests are matched to recordings.
     *
     * @return the matching
     */
    public Matching matching() {
        return matching;
    }

    /** Idempotent; later use throws {@link IllegalStateException}. */
    @Override
    public void close() {
        closed.set(true);
    }

    @Override
    public String toString() {
        return "RecordedChatModel[" + id + ", " + replies.size() + " replies, " + matching + "]";
    }

    private static Key key(List<ChatMessage> messages, GenerationOptions options, Matching matching) {
        return new Key(messages, matching == Matching.MESSAGES_ONLY ? null : options);
    }

    /** The content of the last user message, or of the last message if no user spoke. */
    static String lastUserContent(List<ChatMessage> messages) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            if (messages.get(i).role() == Role.USER) {
                return messages.get(i).content();
            }
        }
        return messages.get(messages.size() - 1).content();
    }

    /** The first {@value #SHOWN_PROMPT_CHARS} characters of {@code s}, with "..." if cut. */
    static String shorten(String s) {
        return s.length() <= SHOWN_PROMPT_CHARS ? s : s.substring(0, SHOWN_PROMPT_CHARS) + "...";
    }
}
