package dev.keel.sam;

import dev.keel.core.internal.Preconditions;
import dev.keel.core.Provenance;
import dev.keel.core.internal.AtomicFiles;
import dev.keel.sam.internal.LandscapePlot;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A computed loss surface: {@code z[i][j] = L(w + a[i] d1 + b[j] d2)}, the loss at the weights
 * themselves, its {@link FlatnessMetrics} and provenance. Written as CSV ({@code a,b,loss}, one grid
 * point a line) and as a PNG heat map with banded levels and a legend; both atomically.
 *
 * @param a          grid values along the first direction
 * @param b          grid values along the second direction
 * @param z          losses, {@code z[i][j]} at {@code (a[i], b[j])}
 * @param baseLoss   the loss at the unperturbed weights
 * @param metrics    AG, MAG and SC of the grid
 * @param provenance library, model, grid settings, seed and time
 */
public record Landscape(double[] a, double[] b, double[][] z, double baseLoss, FlatnessMetrics metrics,
                        Provenance provenance) {

    /**
     * The landscape.
     *
     * @param a the first value
     * @param b the second value
     * @param z the values
     * @param baseLoss the base loss
     * @param metrics AG, MAG and SC of the grid
     * @param provenance version, model, config, seed and time of the run
     */
    public Landscape {
        Preconditions.notNull(a, "a");
        Preconditions.notNull(b, "b");
        Preconditions.notNull(z, "z");
        a = a.clone();
        b = b.clone();
        double[][] copy = new double[z.length][];
        for (int i = 0; i < z.length; i++) {
            copy[i] = z[i].clone();
        }
        z = copy;
    }

    /**
     * The a.
     *
     * @return the a
     */
    @Override
    public double[] a() {
        return a.clone();
    }

    /**
     * The b.
     *
     * @return the b
     */
    @Override
    public double[] b() {
        return b.clone();
    }

    /**
     * The z.
     *
     * @return the z
     */
    @Override
    public double[][] z() {
        double[][] copy = new double[z.length][];
        for (int i = 0; i < z.length; i++) {
            copy[i] = z[i].clone();
        }
        return copy;
    }

    /**
     * The loss at grid point {@code (i, j)}.
     *
     * @param i the index along the first direction
     * @param j the index along the second direction
     * @return the loss at that grid point
     */
    public double at(int i, int j) {
        return z[i][j];
    }

    /**
     * The grid as CSV: a header {@code a,b,loss}, then one line per point, {@code a} varying slowest.
     *
     * @return the grid as CSV text
     */
    public String toCsv() {
        StringBuilder sb = new StringBuilder("a,b,loss\n");
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < b.length; j++) {
                sb.append(String.format(Locale.ROOT, "%.6g,%.6g,%.8g%n", a[i], b[j], z[i][j]));
            }
        }
        return sb.toString();
    }

    /**
     * Writes {@link #toCsv()} to {@code file} atomically.
     *
     * @param file the file
     * @throws IOException if a file cannot be read or written
     */
    public void writeCsv(Path file) throws IOException {
        Preconditions.notNull(file, "file");
        AtomicFiles.writeString(file, toCsv());
    }

    /**
     * Writes a heat map (banded levels, legend, AG/MAG/SC in the subtitle) of {@code width x height} pixels.
     *
     * @param file the file
     * @param title the plot's title
     * @param width pixels across
     * @param height pixels down
     * @throws IOException if a file cannot be read or written
     */
    public void writePng(Path file, String title, int width, int height) throws IOException {
        Preconditions.notNull(file, "file");
        Preconditions.checkArgument(width >= 100 && height >= 100,
                "image must be at least 100 x 100 pixels, was " + width + " x " + height);
        byte[] png = LandscapePlot.png(this, title == null ? "loss landscape" : title, width, height);
        AtomicFiles.write(file, out -> out.write(png));
    }

    /**
     * {@link #writePng(Path, String, int, int)} at 720 x 600.
     *
     * @param file the file
     * @param title the plot's title
     * @throws IOException if a file cannot be read or written
     */
    public void writePng(Path file, String title) throws IOException {
        writePng(file, title, 720, 600);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "Landscape[%dx%d, base %.4f, AG %.4g, MAG %.4g, SC %.4g]",
                a.length, b.length, baseLoss, metrics.ag(), metrics.mag(), metrics.sc());
    }
}
