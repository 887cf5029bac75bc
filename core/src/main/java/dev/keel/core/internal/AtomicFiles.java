package dev.keel.core.internal;


import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * Writes files atomically: the content goes to a temporary file in the same directory, is flushed
 * to disk, and replaces the target by a rename. A crash or an exception leaves the previous file
 * (or no file) in place, never a half-written one.
 *
 * <p>Exactly what happens:
 * <ul>
 *   <li>a target that exists and is not a regular file once links are followed (a terminal,
 *       {@code /dev/stdout}, a FIFO) is written directly, never replaced by a rename;</li>
 *   <li>temporary files in flight are deleted when the write fails and, through a shutdown hook,
 *       when the JVM exits (SIGTERM, SIGINT, {@code System.exit}) before the write ends;
 *       {@link #deleteOnExit(Path)} registers other temporary files and directories with the same hook;</li>
 *   <li>an I/O error names the target the caller asked for (and the reason: permission denied, no
 *       space left on device, ...), never only the temporary file.</li>
 * </ul>
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

    /** Temporary files and directories the shutdown hook deletes. */
    private static final Set<Path> IN_FLIGHT = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(AtomicFiles::deleteInFlight, "keel-temp-cleanup"));
    }

    private AtomicFiles() {
    }

    /** Deletes every registered temporary file or directory; what cannot be deleted is left. */
    private static void deleteInFlight() {
        for (Path p : List.copyOf(IN_FLIGHT)) {
            try {
                deleteTree(p);
            } catch (IOException | RuntimeException e) {
                // best effort while the JVM goes down
            }
        }
    }

    /**
     * Registers a temporary file or directory to be deleted (recursively) if the JVM exits before
     * {@link #forget(Path)} is called for it.
     *
     * @param p the path
     * @return {@code p}
     */
    public static Path deleteOnExit(Path p) {
        IN_FLIGHT.add(Preconditions.notNull(p, "path").toAbsolutePath());
        return p;
    }

    /**
     * Unregisters a path given to {@link #deleteOnExit(Path)}.
     *
     * @param p the path
     */
    public static void forget(Path p) {
        IN_FLIGHT.remove(p.toAbsolutePath());
    }

    /**
     * Deletes a file or a directory tree if it exists.
     *
     * @param p the path
     * @throws IOException if something cannot be deleted
     */
    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.deleteIfExists(p);
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }

    /**
     * Whether {@code target} is written directly rather than atomically: it exists and, links
     * followed, is not a regular file (a terminal, {@code /dev/stdout}, a FIFO).
     *
     * @param target the output path
     * @return true for a non-regular existing target
     */
    public static boolean isStream(Path target) {
        return Files.exists(target) && !Files.isRegularFile(target) && !Files.isDirectory(target);
    }

    /**
     * Writes bytes produced by {@code writer} to {@code target} atomically (or directly, when the
     * target {@linkplain #isStream is not a regular file}).
     *
     * @param target the file to write
     * @param writer produces the content
     * @throws IOException naming {@code target} if it cannot be written
     */
    public static void write(Path target, StreamWriter writer) throws IOException {
        Preconditions.notNull(target, "target");
        Preconditions.notNull(writer, "writer");
        if (isStream(target)) {
            OutputStream raw;
            try {
                raw = Files.newOutputStream(target, StandardOpenOption.WRITE);
            } catch (IOException e) {
                throw named(target, e);
            }
            try (OutputStream out = new java.io.BufferedOutputStream(new TargetStream(raw, target), 1 << 16)) {
                writer.write(out);
            }
            return;
        }
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        Path tmp = null;
        boolean done = false;
        try {
            if (dir != null) {
                try {
                    Files.createDirectories(dir);
                } catch (IOException e) {
                    throw named(target, e);
                }
            }
            // Not Files.createTempFile: that makes the file owner-only (0600), and the rename would give the
            // result those permissions. A plain new file gets the user's default (umask) permissions.
            FileChannel channel;
            while (true) {
                tmp = absolute.resolveSibling("." + absolute.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
                try {
                    IN_FLIGHT.add(tmp);
                    channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                    break;
                } catch (FileAlreadyExistsException e) {
                    // another writer's temporary file: draw another name
                    IN_FLIGHT.remove(tmp);
                } catch (IOException e) {
                    IN_FLIGHT.remove(tmp);
                    tmp = null;
                    throw named(target, e);
                }
            }
            try (FileChannel ch = channel;
                 OutputStream out = new java.io.BufferedOutputStream(
                         new TargetStream(java.nio.channels.Channels.newOutputStream(ch), target), 1 << 16)) {
                writer.write(out);
                out.flush();
                try {
                    ch.force(true);
                } catch (IOException e) {
                    throw named(target, e);
                }
            }
            try {
                keepPermissions(absolute, tmp);
                try {
                    Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, absolute, StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (IOException e) {
                throw named(target, e);
            }
            done = true;
        } finally {
            if (tmp != null) {
                if (!done) {
                    Files.deleteIfExists(tmp);
                }
                IN_FLIGHT.remove(tmp);
            }
        }
    }

    /** An I/O error on the target the caller named (never only a temporary file). */
    private static final class TargetException extends FileSystemException {
        private static final long serialVersionUID = 1L;

        TargetException(Path target, String reason, IOException cause) {
            super(target.toString(), null, reason);
            initCause(cause);
        }
    }

    /** An error that names the target the caller gave and the reason, whichever file the system named. */
    private static IOException named(Path target, IOException e) {
        if (e instanceof TargetException) {
            return e;
        }
        String reason = e instanceof FileSystemException f ? f.getReason() : e.getMessage();
        if (reason == null) {
            reason = e instanceof AccessDeniedException ? "permission denied"
                    : e instanceof NoSuchFileException ? "no such file or directory"
                    : e instanceof java.nio.file.NotDirectoryException ? "not a directory"
                    : e instanceof FileAlreadyExistsException ? "a file is in the way"
                    : e.getClass().getSimpleName();
        }
        return new TargetException(target, "cannot write: " + reason, e);
    }

    /** Names the target in the errors of the stream's own writes (a full disk, say), not in the content writer's. */
    private static final class TargetStream extends java.io.FilterOutputStream {
        private final Path target;

        TargetStream(OutputStream out, Path target) {
            super(out);
            this.target = target;
        }

        @Override
        public void write(int b) throws IOException {
            try {
                out.write(b);
            } catch (IOException e) {
                throw named(target, e);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                throw named(target, e);
            }
        }

        @Override
        public void flush() throws IOException {
            try {
                out.flush();
            } catch (IOException e) {
                throw named(target, e);
            }
        }

        @Override
        public void close() throws IOException {
            try {
                out.close();
            } catch (IOException e) {
                throw named(target, e);
            }
        }
    }

    /** A file that is replaced keeps its POSIX permissions (where the file system has them). */
    private static void keepPermissions(Path target, Path tmp) throws IOException {
        if (Files.exists(target) && Files.getFileAttributeView(target, PosixFileAttributeView.class) != null) {
            Files.setPosixFilePermissions(tmp, Files.getPosixFilePermissions(target));
        }
    }

    /**
     * Writes UTF-8 text produced by {@code writer} to {@code target} atomically.
     *
     * @param target the file to write
     * @param writer produces the text
     * @throws IOException naming {@code target} if it cannot be written
     */
    public static void writeText(Path target, TextWriter writer) throws IOException {
        Preconditions.notNull(writer, "writer");
        write(target, out -> {
            BufferedWriter w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8));
            writer.write(w);
            w.flush();
        });
    }

    /**
     * Writes {@code text} as UTF-8 to {@code target} atomically.
     *
     * @param target the file to write
     * @param text   the text
     * @throws IOException naming {@code target} if it cannot be written
     */
    public static void writeString(Path target, String text) throws IOException {
        Preconditions.notNull(text, "text");
        writeText(target, w -> w.write(text));
    }

    /**
     * Refuses to write {@code outputs} over any of {@code inputs}: the same file after resolving
     * links (symbolic and hard) and {@code ..}, so that an output never destroys an input. An output
     * that does not exist yet is no input.
     *
     * @param inputs  the files read
     * @param outputs the files about to be written
     * @throws IllegalArgumentException naming both paths when an output is an input
     * @throws IOException              if the files cannot be compared
     */
    public static void refuseOverwrite(List<Path> inputs, Path... outputs) throws IOException {
        for (Path out : outputs) {
            if (!Files.exists(out)) {
                continue;
            }
            for (Path in : inputs) {
                if (Files.exists(in) && Files.isSameFile(in, out)) {
                    throw new IllegalArgumentException("output " + out + " is the input file " + in
                            + " (after resolving links); writing it would destroy the input, choose another output");
                }
            }
        }
    }

    /**
     * Refuses an output at or inside an input directory (a model directory, say): the output's
     * nearest existing ancestor, links resolved, must not be {@code dir} or below it, and the output
     * must not be an ancestor of {@code dir}.
     *
     * @param dir    the input directory
     * @param output the file or directory about to be written
     * @param what   how errors name the directory, e.g. {@code "--model"}
     * @throws IllegalArgumentException naming both paths when the output is inside or over the directory
     * @throws IOException              if the paths cannot be resolved
     */
    public static void refuseInside(Path dir, Path output, String what) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        Path d = dir.toRealPath();
        Path o = resolveExisting(output);
        if (o.startsWith(d) || d.startsWith(o)) {
            throw new IllegalArgumentException("output " + output + " is " + (o.startsWith(d) ? "inside" : "over")
                    + " the " + what + " directory " + dir + "; writing it would change the input, choose another output");
        }
    }

    /** The real path of {@code p}'s nearest existing ancestor, with the rest of {@code p} appended. */
    private static Path resolveExisting(Path p) throws IOException {
        Path abs = p.toAbsolutePath().normalize();
        Path existing = abs;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return abs;
        }
        return existing.toRealPath().resolve(existing.relativize(abs)).normalize();
    }
}
