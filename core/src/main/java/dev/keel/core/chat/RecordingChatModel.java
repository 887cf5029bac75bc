package dev.keel.core.chat;

import dev.keel.core.internal.Preconditions;
import dev.keel.core.internal.JsonLines;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Wraps a chat model and keeps every successful exchange, so that the replies can be saved once and
 * replayed later with {@link RecordedChatModel}. Failed requests are passed through and not kept.
 *
 * <pre>{@code
 * try (RecordingChatModel recording = RecordingChatModel.wrap(OpenAiChatModel.builder()...build())) {
 *     recording.generateAll(requests);
 *     recording.save(Path.of("replies.jsonl"));
 * }
 * try (ChatModel replay = RecordedChatModel.load(Path.of("replies.jsonl"))) {
 *     replay.generateAll(requests);      // the same replies, no endpoint needed
 * }
 * }</pre>
 *
 * <p>Thread-safe. Closing it closes the wrapped model; the exchanges can still be saved afterwards.
 */
public final class RecordingChatModel implements ChatModel {

    private static final Logger LOG = LoggerFactory.getLogger(RecordingChatModel.class);

    /**
     * One request and the reply it received.
     *
     * @param request  the request
     * @param response the reply text
     */
    public record Exchange(ChatRequest request, String response) {
        /**
         * An exchange.
         *
         * @param request  the request
         * @param response the reply text
         * @throws NullPointerException if an argument is null
         */
        public Exchange {
            Preconditions.notNull(request, "request");
            Preconditions.notNull(response, "response");
        }
    }

    private final ChatModel delegate;
    private final List<Exchange> exchanges = new ArrayList<>();

    private RecordingChatModel(ChatModel delegate) {
        this.delegate = delegate;
    }

    /**
     * Records the successful exchanges of {@code delegate}.
     *
     * @param delegate the model that answers
     * @return the recording model
     * @throws NullPointerException if {@code delegate} is null
     */
    public static RecordingChatModel wrap(ChatModel delegate) {
        return new RecordingChatModel(Preconditions.notNull(delegate, "delegate"));
    }

    /** The wrapped model's replies, unchanged; each successful one is kept. */
    @Override
    public List<ChatResponse> generateAll(List<ChatRequest> requests) {
        Preconditions.noNulls(requests, "requests");
        List<ChatResponse> responses = delegate.generateAll(requests);
        Preconditions.checkState(responses.size() == requests.size(), "the wrapped model " + delegate.id()
                + " returned " + responses.size() + " responses for " + requests.size() + " requests");
        synchronized (exchanges) {
            for (int i = 0; i < requests.size(); i++) {
                ChatResponse r = responses.get(i);
                if (r.isOk()) {
                    exchanges.add(new Exchange(requests.get(i), r.text()));
                }
            }
        }
        return responses;
    }

    /**
     * The exchanges kept so far, in the order they completed.
     *
     * @return a copy of the list
     */
    public List<Exchange> exchanges() {
        synchronized (exchanges) {
            return List.copyOf(exchanges);
        }
    }

    /**
     * Writes the exchanges to {@code file} atomically as JSON Lines that
     * {@link RecordedChatModel#load(Path)} reads, with the options of each request. Where the same
     * request was asked more than once, the first reply is written.
     *
     * @param file the file to write
     * @throws IOException if the file cannot be written
     */
    public void save(Path file) throws IOException {
        Preconditions.notNull(file, "file");
        List<RecordedLine> lines = new ArrayList<>();
        Set<ChatRequest> seen = new HashSet<>();
        int skipped = 0;
        for (Exchange e : exchanges()) {
            if (seen.add(e.request())) {
                lines.add(new RecordedLine(e.request().messages(), e.request().options(), e.response()));
            } else {
                skipped++;
            }
        }
        JsonLines.write(file, lines, RecordedLine::toJson);
        if (skipped > 0) {
            LOG.info("Saved {} exchanges to {}; {} repeated requests kept their first reply", lines.size(), file, skipped);
        }
    }

    /** The wrapped model's id. */
    @Override
    public String id() {
        return delegate.id();
    }

    /** Closes the wrapped model. */
    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public String toString() {
        return "RecordingChatModel[" + delegate + ", " + exchanges().size() + " exchanges]";
    }
}
