package dev.keel.core.chat.internal;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Decodes a {@code text/event-stream} body (server-sent events) fed in byte chunks: lines end in
 * LF, CRLF or CR; {@code data:} lines of one event are joined with LF; a blank line dispatches the
 * event's data; comments ({@code :...}) and other fields are ignored. Lines are split on bytes, so a
 * UTF-8 character split across chunks is decoded whole; invalid UTF-8 is refused.
 *
 * <p>Not thread-safe.
 */
final class SseDecoder {

    /** A line that is not valid UTF-8. */
    static final class InvalidTextException extends Exception {
        private static final long serialVersionUID = 1L;

        InvalidTextException(String message) {
            super(message);
        }
    }

    private final Consumer<String> onData;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private final StringBuilder data = new StringBuilder();
    private boolean hasData;
    private boolean lastWasCr;
    private long lineNumber;

    SseDecoder(Consumer<String> onData) {
        this.onData = onData;
    }

    /**
     * Feeds the next bytes; complete events are dispatched.
     *
     * @param buffer the bytes (consumed)
     * @throws InvalidTextException if a line is not valid UTF-8
     */
    void feed(ByteBuffer buffer) throws InvalidTextException {
        while (buffer.hasRemaining()) {
            byte b = buffer.get();
            if (b == '\n') {
                if (lastWasCr) {
                    lastWasCr = false;
                    continue; // the LF of a CRLF
                }
                endLine();
            } else if (b == '\r') {
                lastWasCr = true;
                endLine();
            } else {
                lastWasCr = false;
                line.write(b);
            }
        }
    }

    /**
     * Ends the body: a last event without its blank line is dispatched (as browsers do not, but as
     * is harmless here: {@code [DONE]} decides whether a stream was whole).
     *
     * @throws InvalidTextException if the last line is not valid UTF-8
     */
    void finish() throws InvalidTextException {
        if (line.size() > 0) {
            endLine();
        }
        dispatch();
    }

    private void endLine() throws InvalidTextException {
        lineNumber++;
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(line.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw new InvalidTextException("line " + lineNumber + " of the event stream is not valid UTF-8");
        }
        line.reset();
        if (text.isEmpty()) {
            dispatch();
            return;
        }
        if (text.startsWith(":")) {
            return; // a comment (keep-alive)
        }
        int colon = text.indexOf(':');
        String field = colon < 0 ? text : text.substring(0, colon);
        String value = colon < 0 ? "" : text.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        if (field.equals("data")) {
            if (hasData) {
                data.append('\n');
            }
            data.append(value);
            hasData = true;
        }
        // "event", "id", "retry" and unknown fields do not change the data
    }

    private void dispatch() {
        if (hasData) {
            String d = data.toString();
            data.setLength(0);
            hasData = false;
            onData.accept(d);
        }
    }
}
