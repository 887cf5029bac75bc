package dev.keel.core.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Keel's one rule for reading a text file (JSON, a chat template, CSV): the bytes must be valid
 * UTF-8, and an error names the file and the byte offset of the first invalid sequence (never the
 * JDK's bare {@code Input length = 1}); a UTF-8 byte order mark (EF BB BF) at the very start of the
 * file is skipped, anywhere else U+FEFF is data like any other character. {@link JsonLines} follows
 * the same rule line by line.
 */
public final class TextFiles {

    private TextFiles() {
    }

    /**
     * Reads {@code file} as UTF-8 text, a leading byte order mark skipped.
     *
     * @param file the file
     * @return its text
     * @throws IOException if it cannot be read or is not valid UTF-8 (the message names the file and byte offset)
     */
    public static String readUtf8(Path file) throws IOException {
        return decode(Files.readAllBytes(file), file.toString());
    }

    /**
     * Decodes {@code bytes} as UTF-8, a leading byte order mark skipped.
     *
     * @param bytes  the bytes
     * @param source what they are, for the message (a file name)
     * @return the text
     * @throws IOException if they are not valid UTF-8 (the message names {@code source} and the byte offset)
     */
    public static String decode(byte[] bytes, String source) throws IOException {
        int from = hasBom(bytes) ? 3 : 0;
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, from, bytes.length - from);
        CharBuffer out = CharBuffer.allocate(bytes.length - from);
        CoderResult r = d.decode(in, out, true);
        if (!r.isError()) {
            r = d.flush(out);
        }
        if (r.isError()) {
            int at = in.position();
            StringBuilder hex = new StringBuilder();
            for (int i = at; i < Math.min(bytes.length, at + Math.max(1, r.length())); i++) {
                hex.append(hex.length() == 0 ? "" : " ").append(String.format("%02X", bytes[i] & 0xFF));
            }
            throw new IOException(source + ": not valid UTF-8 at byte " + at + " (" + hex + ")");
        }
        out.flip();
        return out.toString();
    }

    /**
     * {@code bytes} without a leading UTF-8 byte order mark, after checking they are valid UTF-8: for
     * a reader that takes bytes (a native tokenizer) and must see what Keel's own readers see.
     *
     * @param bytes  the bytes
     * @param source what they are, for the message
     * @return the UTF-8 bytes of the text, byte order mark removed
     * @throws IOException if they are not valid UTF-8
     */
    public static byte[] utf8WithoutBom(byte[] bytes, String source) throws IOException {
        decode(bytes, source);
        return hasBom(bytes) ? java.util.Arrays.copyOfRange(bytes, 3, bytes.length) : bytes;
    }

    private static boolean hasBom(byte[] b) {
        return b.length >= 3 && (b[0] & 0xFF) == 0xEF && (b[1] & 0xFF) == 0xBB && (b[2] & 0xFF) == 0xBF;
    }
}
