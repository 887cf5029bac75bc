package dev.keel.examples.cli;

import dev.keel.core.Provenance;
import dev.keel.core.internal.AtomicFiles;
import dev.keel.examples.tiny.TinyModel;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What every command shares: the exit codes, {@code --quiet}/{@code --verbose}, status lines on
 * standard error, {@code --model} as a directory or {@code keel-tiny}, and {@code -} for standard
 * input and output with the output-is-an-input check.
 */
final class Cli {

    /** Exit code: all good. */
    static final int OK = 0;
    /** Exit code: an error while running (an unreadable file, an unwritable output). */
    static final int FAILURE = 1;
    /** Exit code: bad arguments or input (an unknown option, a bad value, {@code --out} equal to an input). */
    static final int USAGE = 2;
    /** Exit code: some items failed (e.g. {@code safety judge}'s {@code error} verdicts); the rest are written. */
    static final int SOME_FAILED = 3;
    /** Exit code: every item failed. */
    static final int ALL_FAILED = 4;
    /** Exit code: training diverged; no adapter was written, the last good checkpoint is kept. */
    static final int DIVERGED = 5;

    /** The exit codes as {@code --help} lists them. */
    static final Map<String, String> EXIT_CODES = exitCodes();

    /** The name {@code --model} accepts for the bundled model. */
    static final String BUNDLED = "keel-tiny";

    /** Temporary paths standing for standard input or output, and how messages name them instead. */
    private static final Map<String, String> STAND_INS = new ConcurrentHashMap<>();

    private Cli() {
    }

    private static Map<String, String> exitCodes() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("0", "all good");
        m.put("1", "an error while running (an unreadable or malformed file, an unwritable output; the message says which)");
        m.put("2", "bad arguments (unknown option, bad value, --out equal to an input, a resume with other settings)");
        m.put("3", "some items failed (their results say why); everything else was written");
        m.put("4", "every item failed");
        m.put("5", "training diverged (non-finite loss or gradient, or the loss blew up): no adapter written, last good checkpoint kept");
        return m;
    }

    /** A training run that diverged: exit code {@link #DIVERGED}. */
    static final class DivergedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        DivergedException(String message) {
            super(message);
        }
    }

    // ------------------------------------------------------------ console

    private static KeelCli root(CommandLine cl) {
        CommandLine c = cl;
        while (c.getParent() != null) {
            c = c.getParent();
        }
        return c.getCommand() instanceof KeelCli k ? k : null;
    }

    private static boolean matched(CommandLine cl, String option) {
        for (CommandLine c = cl; c != null; c = c.getParent()) {
            if (c.getParseResult() != null && c.getParseResult().hasMatchedOption(option)) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code --quiet} was given: no status lines, no progress, warnings and errors only. */
    static boolean quiet(CommandLine cl) {
        return matched(cl, "--quiet");
    }

    /** Whether {@code --verbose} was given. */
    static boolean verbose(CommandLine cl) {
        return matched(cl, "--verbose") && !quiet(cl);
    }

    /** A status line to standard error, unless {@code --quiet}. */
    static void status(CommandLine cl, String line) {
        if (!quiet(cl)) {
            cl.getErr().println(line);
            cl.getErr().flush();
        }
    }

    /** A progress bar on standard error, drawn only when it is a terminal and {@code --quiet} is not given. */
    static ProgressBar progress(CommandLine cl, String label, long total) {
        KeelCli k = root(cl);
        boolean on = k != null && k.stderrIsTerminal && !quiet(cl);
        return new ProgressBar(cl.getErr(), label, total, on);
    }

    /** Names temporary stand-ins as the user gave them ({@code standard input}) in a message. */
    static String unmask(String message) {
        String m = message;
        for (Map.Entry<String, String> e : STAND_INS.entrySet()) {
            m = m.replace(e.getKey(), e.getValue());
        }
        return m;
    }

    // ------------------------------------------------------------ model

    /**
     * {@code --model}: a model directory (with {@code config.json}), or {@code keel-tiny} for the
     * bundled model when no directory of that name exists here.
     */
    static Path model(CommandLine cl, String option, Path p) throws IOException {
        if (p == null || (p.toString().equals(BUNDLED) && !Files.exists(p))) {
            return TinyModel.path();
        }
        return ChatCommand.requireModelDir(cl, option, p);
    }

    // ------------------------------------------------------------ inputs

    /** An input file, or standard input copied to a temporary file for the command's readers. */
    static final class Input implements AutoCloseable {
        private final Path path;
        private final Path tempDir;

        private Input(Path path, Path tempDir) {
            this.path = path;
            this.tempDir = tempDir;
        }

        /** The file to read. */
        Path path() {
            return path;
        }

        /** Whether it is standard input. */
        boolean isStdin() {
            return tempDir != null;
        }

        @Override
        public void close() throws IOException {
            if (tempDir != null) {
                // STAND_INS keeps the name: the error that ended the command is printed after this close
                AtomicFiles.deleteTree(tempDir);
                AtomicFiles.forget(tempDir);
            }
        }
    }

    /** {@code option FILE}: a regular file, or {@code -} for standard input. */
    static Input input(CommandLine cl, String option, Path p) throws IOException {
        if (p.toString().equals("-")) {
            Path dir = AtomicFiles.deleteOnExit(Files.createTempDirectory("keel-stdin-"));
            Path f = dir.resolve("stdin");
            Files.copy(System.in, f);
            STAND_INS.put(f.toString(), "standard input");
            return new Input(f, dir);
        }
        SafetyCommand.requireFile(cl, option, p);
        return new Input(p, null);
    }

    // ------------------------------------------------------------ outputs

    /**
     * An output: the file itself when it is a regular file (or new), else a temporary file that
     * {@link #finish()} copies to standard output ({@code -}) or into the non-regular target (a FIFO,
     * {@code /dev/stdout}) directly, never replacing it. Provenance sidecars are only written next to
     * regular files; for a stream, {@code --verbose} prints the provenance to standard error.
     */
    static final class Output implements AutoCloseable {
        private final CommandLine cl;
        private final Path target;
        private final Path path;
        private final Path tempDir;

        private Output(CommandLine cl, Path target, Path path, Path tempDir) {
            this.cl = cl;
            this.target = target;
            this.path = path;
            this.tempDir = tempDir;
        }

        /** The path the command writes. */
        Path path() {
            return path;
        }

        /** Whether the output is standard output or another stream, not a regular file. */
        boolean isStream() {
            return tempDir != null;
        }

        /** The output as the user named it. */
        String name() {
            return target.toString().equals("-") ? "standard output" : target.toString();
        }

        /** Sends a stream output on: to standard output, or into the non-regular target. */
        void finish() throws IOException {
            if (tempDir == null) {
                return;
            }
            Path sidecar = Provenance.sidecar(path);
            if (Files.isRegularFile(sidecar) && verbose(cl)) {
                cl.getErr().println("provenance of " + name() + ": " + Files.readString(sidecar, StandardCharsets.UTF_8).strip());
            }
            if (target.toString().equals("-")) {
                // streamed, not read into memory: a scored log of millions of items goes through in chunks
                try (Reader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
                    r.transferTo(cl.getOut());
                }
                cl.getOut().flush();
            } else {
                AtomicFiles.write(target, out -> Files.copy(path, out));
            }
        }

        @Override
        public void close() throws IOException {
            if (tempDir != null) {
                // STAND_INS keeps the name: the error that ended the command is printed after this close
                AtomicFiles.deleteTree(tempDir);
                AtomicFiles.forget(tempDir);
            }
        }
    }

    /**
     * {@code option FILE}: refused (a usage error) when it is any of {@code inputs} after resolving
     * links, or when it is or its provenance sidecar would be one; {@code -} is standard output.
     *
     * @param fileName the temporary file's name for a stream output (its extension may matter to the writer)
     */
    static Output output(CommandLine cl, String option, Path p, List<Path> inputs, String fileName) throws IOException {
        boolean stdout = p.toString().equals("-");
        if (!stdout && Files.isDirectory(p)) {
            throw new CommandLine.ParameterException(cl, option + " " + p + ": is a directory, expected a file");
        }
        if (stdout || AtomicFiles.isStream(p)) {
            Path dir = AtomicFiles.deleteOnExit(Files.createTempDirectory("keel-out-"));
            Path f = dir.resolve(fileName);
            STAND_INS.put(f.toString(), stdout ? "standard output" : p.toString());
            return new Output(cl, p, f, dir);
        }
        refuse(cl, option, inputs, p, Provenance.sidecar(p));
        return new Output(cl, p, p, null);
    }

    /** A usage error when an output is one of the inputs (path, link, hard link, {@code ..}). */
    static void refuse(CommandLine cl, String option, List<Path> inputs, Path... outputs) throws IOException {
        List<Path> real = new ArrayList<>();
        for (Path in : inputs) {
            if (in != null && !in.toString().equals("-")) {
                real.add(in);
            }
        }
        try {
            AtomicFiles.refuseOverwrite(real, outputs);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, option + ": " + e.getMessage(), e);
        }
    }

    /** A usage error when {@code output} is inside or over the input directory {@code dir}. */
    static void refuseInside(CommandLine cl, String option, Path dir, Path output, String dirOption) throws IOException {
        try {
            AtomicFiles.refuseInside(dir, output, dirOption);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, option + ": " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------ text

    /**
     * The lines of a UTF-8 text file, each decoded strictly: a byte order mark is dropped at the
     * start of the file only, {@code \r\n} ends a line as {@code \n} does, and an invalid byte is
     * refused naming the file and the 1-based line.
     */
    static List<String> readLines(Path file, String name) throws IOException {
        List<String> lines = new ArrayList<>();
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try (InputStream in = Files.newInputStream(file)) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            byte[] buf = new byte[1 << 16];
            int n;
            int lineNo = 1;
            while ((n = in.read(buf)) > 0) {
                for (int i = 0; i < n; i++) {
                    if (buf[i] == '\n') {
                        lines.add(decode(dec, line, name, lineNo++));
                        line.reset();
                    } else {
                        line.write(buf[i]);
                    }
                }
            }
            if (line.size() > 0) {
                lines.add(decode(dec, line, name, lineNo));
            }
        }
        if (!lines.isEmpty() && lines.get(0).startsWith("\uFEFF")) {
            lines.set(0, lines.get(0).substring(1));
        }
        return lines;
    }

    private static String decode(CharsetDecoder dec, ByteArrayOutputStream line, String name, int lineNo) {
        byte[] b = line.toByteArray();
        int len = b.length > 0 && b[b.length - 1] == '\r' ? b.length - 1 : b.length;
        try {
            return dec.reset().decode(ByteBuffer.wrap(b, 0, len)).toString();
        } catch (CharacterCodingException e) {
            int at = 0;
            CharsetDecoder probe = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT);
            for (int end = 1; end <= len; end++) {
                try {
                    probe.reset().decode(ByteBuffer.wrap(b, 0, end));
                    at = end;
                } catch (CharacterCodingException ignored) {
                    // the prefix ends inside a character or at the bad byte
                }
            }
            throw new IllegalArgumentException(name + " line " + lineNo + ": not valid UTF-8 (bad byte 0x"
                    + String.format("%02x", b[Math.min(at, len - 1)] & 0xff) + " after " + at + " valid bytes)");
        }
    }
}
