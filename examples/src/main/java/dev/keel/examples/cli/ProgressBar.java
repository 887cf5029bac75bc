package dev.keel.examples.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress bar on standard error: done/total, percent, rate and time left. It redraws
 * at most a few times a second and only when {@code total} is large enough to be worth it.
 */
final class ProgressBar {

    private static final int WIDTH = 30;

    private final PrintWriter err;
    private final String label;
    private final long total;
    private final boolean enabled;
    private final long start = System.nanoTime();
    private long lastDraw;

    ProgressBar(PrintWriter err, String label, long total, long threshold) {
        this.err = err;
        this.label = label;
        this.total = total;
        this.enabled = total >= threshold;
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
        int filled = (int) (WIDTH * done / Math.max(1, total));
        String bar = "#".repeat(filled) + ".".repeat(WIDTH - filled);
        err.print(String.format(Locale.ROOT, "\r%s [%s] %d/%d %3d%% %.1f/s ETA %s", label, bar, done, total,
                100 * done / Math.max(1, total), rate, Double.isNaN(left) ? "?" : Math.round(left) + "s"));
        if (done >= total) {
            err.println();
        }
        err.flush();
    }
}
