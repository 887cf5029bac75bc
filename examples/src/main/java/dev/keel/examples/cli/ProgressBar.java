package dev.keel.examples.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A one-line progress bar on standard error: done/total, percent, rate and time left. It is drawn
 * only when standard error is a terminal (never {@code \r} frames into a redirected stream) and
 * {@code --quiet} is not given, and redraws at most five times a second. On the real standard error
 * a {@link Guard} clears the bar before any other line (a log line, a status line) is written, so the
 * two never share a line; the next update draws the bar again below.
 */
final class ProgressBar {

    private static final int WIDTH = 30;
    /** The guard installed on {@code System.err} by {@link KeelCli#main}, or null. */
    private static volatile Guard guard;

    private final PrintWriter err;
    private final String label;
    private final long total;
    private final boolean enabled;
    private final long start = System.nanoTime();
    private long lastDraw;

    ProgressBar(PrintWriter err, String label, long total, boolean enabled) {
        this.err = err;
        this.label = label;
        this.total = total;
        this.enabled = enabled && total > 1;
    }

    /** Whether the bar draws at all. */
    boolean enabled() {
        return enabled;
    }

    /**
     * Whether file descriptor 2 is a terminal: on Linux its {@code /proc/self/fd/2} link names a
     * tty or pts device; elsewhere, whether the JVM has a console.
     */
    static boolean stderrIsTerminal() {
        Path fd = Path.of("/proc/self/fd/2");
        try {
            if (Files.isSymbolicLink(fd)) {
                String t = Files.readSymbolicLink(fd).toString();
                return t.startsWith("/dev/pts/") || t.startsWith("/dev/tty") || t.equals("/dev/console");
            }
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
        return System.console() != null;
    }

    /** Installs the guard around {@code System.err}; returns the stream to use as standard error. */
    static OutputStream guard(OutputStream err) {
        Guard g = new Guard(err);
        guard = g;
        return g;
    }

    void update(long done) {
        if (!enabled) {
            return;
        }
        long now = System.nanoTime();
        if (done < total && now - lastDraw < 200_000_000L) {
            return;
        }
        lastDraw = now;
        double secs = (now - start) / 1e9;
        double rate = secs > 0 ? done / secs : 0;
        double left = rate > 0 ? (total - done) / rate : Double.NaN;
        int filled = (int) (WIDTH * Math.min(done, total) / Math.max(1, total));
        String bar = "#".repeat(filled) + ".".repeat(WIDTH - filled);
        String frame = String.format(Locale.ROOT, "%s [%s] %d/%d %3d%% %.1f/s ETA %s", label, bar, done, total,
                100 * done / Math.max(1, total), rate, Double.isNaN(left) ? "?" : Math.round(left) + "s");
        Guard g = guard;
        err.flush();
        if (g != null) {
            g.frame(frame, done >= total);
        } else {
            err.print("\r" + frame + "\033[K");
            if (done >= total) {
                err.println();
            }
            err.flush();
        }
    }

    /**
     * Standard error with a bar on its last line: a frame is drawn with {@code \r} and erase-to-end,
     * and any other write first erases the bar's line.
     */
    static final class Guard extends OutputStream {
        private static final byte[] CLEAR = "\r\033[K".getBytes(StandardCharsets.US_ASCII);
        private final OutputStream out;
        private boolean shown;

        Guard(OutputStream out) {
            this.out = out;
        }

        synchronized void frame(String frame, boolean last) {
            try {
                out.write(CLEAR);
                out.write(frame.getBytes(StandardCharsets.UTF_8));
                if (last) {
                    out.write('\n');
                }
                shown = !last;
                out.flush();
            } catch (IOException e) {
                // standard error is gone; nothing to report it on
            }
        }

        @Override
        public synchronized void write(int b) throws IOException {
            clear();
            out.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return;
            }
            clear();
            out.write(b, off, len);
        }

        private void clear() throws IOException {
            if (shown) {
                out.write(CLEAR);
                shown = false;
            }
        }

        @Override
        public synchronized void flush() throws IOException {
            out.flush();
        }
    }
}
