package dev.keel.core.internal;


import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes files atomically: the content goes to a temporary file in the same directory, is flushed
 * to disk, and replaces the target by a rename. A crash or an exception leaves the previous file
 * (or no file) in place, never a half-written one.
 */
public final class AtomicFiles {

    /** Writes content to a stream. */
    @FunctionalInterface
    public interface StreamWriter {
        void write(OutputStream out) throws IOException;
    }

    /** Writes content as UTF-8 text. */
    @FunctionalInterface
    public interface TextWriter {
        void write(BufferedWriter out) throws IOException;
    }

    private AtomicFiles() {
    }

    /** Writes bytes produced by {@code writer} to {@code target} atomically. */
    public static void write(Path target, StreamWriter writer) throws IOException {
        Preconditions.notNull(target, "target");
        Preconditions.notNull(writer, "writer");
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        // Not Files.createTempFile: that makes the file owner-only (0600), and the rename would give the
        // result those permissions. A plain new file gets the user's default (umask) permissions.
        Path tmp;
        FileChannel channel;
        while (true) {
            tmp = absolute.resolveSibling("." + absolute.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                break;
            } catch (FileAlreadyExistsException e) {
                // another writer's temporary file: draw another name
            }
        }
        boolean done = false;
        try {
            try (FileChannel ch = channel;
                 OutputStream out = new java.io.BufferedOutputStream(java.nio.channels.Channels.newOutputStream(ch), 1 << 16)) {
                writer.write(out);
                out.flush();
                ch.force(true);
            }
            keepPermissions(absolute, tmp);
            try {
                Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** A file that is replaced keeps its POSIX permissions (where the file system has them). */
    private static void keepPermissions(Path target, Path tmp) throws IOException {
        if (Files.exists(target) && Files.getFileAttributeView(target, PosixFileAttributeView.class) != null) {
            Files.setPosixFilePermissions(tmp, Files.getPosixFilePermissions(target));
        }
    }

    /** Writes UTF-8 text produced by {@code writer} to {@code target} atomically. */
    public static void writeText(Path target, TextWriter writer) throws IOException {
        Preconditions.notNull(writer, "writer");
        write(target, out -> {
            BufferedWriter w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8));
            writer.write(w);
            w.flush();
        });
    }

    /** Writes {@code text} as UTF-8 to {@code target} atomically. */
    public static void writeString(Path target, String text) throws IOException {
        Preconditions.notNull(text, "text");
        writeText(target, w -> w.write(text));
    }
}
