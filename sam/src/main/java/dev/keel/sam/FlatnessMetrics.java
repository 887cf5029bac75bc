package dev.keel.sam;

import dev.keel.core.internal.Preconditions;

/**
 * Flatness of a loss surface {@code Z(a, b)} sampled on a uniform grid. Li et al. (EMNLP Findings
 * 2024) report average gradient, mean absolute gradient and surface curvature but give no formulas;
 * <b>the formulas here are Keel's own</b>:
 *
 * <ul>
 *   <li>{@code AG  = mean over grid points of sqrt((Z_a^2 + Z_b^2) / 2)} (the root mean square of the
 *       two partial derivatives at a point, averaged over points);</li>
 *   <li>{@code MAG = mean of (|Z_a| + |Z_b|) / 2};</li>
 *   <li>{@code SC  = mean of |Z_aa + Z_bb|} (the absolute Laplacian).</li>
 * </ul>
 *
 * <p>Derivatives are finite differences on the grid: central differences inside, second-order
 * one-sided differences ({@code (-3 Z_0 + 4 Z_1 - Z_2) / 2h}) on the edges, and the three-point
 * second difference ({@code (Z_{i-1} - 2 Z_i + Z_{i+1}) / h^2}, shifted inwards on the edges). All are
 * exact for quadratic surfaces: on {@code Z = a^2 + b^2} over {@code [-1, 1]^2}, MAG is
 * {@code mean(|a| + |b|)} and SC is exactly 4.
 *
 * @param ag  average gradient
 * @param mag mean absolute gradient
 * @param sc  surface curvature
 */
public record FlatnessMetrics(double ag, double mag, double sc) {

    /**
     * The metrics of {@code z[i][j] = Z(a[i], b[j])}.
     *
     * @param a ascending, uniformly spaced, at least 3 values
     * @param b ascending, uniformly spaced, at least 3 values
     * @param z the values
     * @return the new value
     */
    public static FlatnessMetrics of(double[] a, double[] b, double[][] z) {
        Preconditions.notNull(a, "a");
        Preconditions.notNull(b, "b");
        Preconditions.notNull(z, "z");
        double ha = spacing(a, "a");
        double hb = spacing(b, "b");
        Preconditions.checkArgument(z.length == a.length, "z has " + z.length + " rows for " + a.length + " values of a");
        for (int i = 0; i < z.length; i++) {
            Preconditions.checkArgument(z[i] != null && z[i].length == b.length,
                    "z row " + i + " has " + (z[i] == null ? 0 : z[i].length) + " values for " + b.length + " values of b");
            for (int j = 0; j < b.length; j++) {
                Preconditions.checkArgument(Double.isFinite(z[i][j]), "z[" + i + "][" + j + "] is not finite: " + z[i][j]);
            }
        }
        int n = a.length;
        int m = b.length;
        double ag = 0;
        double mag = 0;
        double sc = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                final int col = j;
                final double[] row = z[i];
                double za = first(i, n, ha, k -> z[k][col]);
                double zb = first(j, m, hb, k -> row[k]);
                double zaa = second(i, n, ha, k -> z[k][col]);
                double zbb = second(j, m, hb, k -> row[k]);
                ag += Math.sqrt((za * za + zb * zb) / 2);
                mag += (Math.abs(za) + Math.abs(zb)) / 2;
                sc += Math.abs(zaa + zbb);
            }
        }
        double count = (double) n * m;
        return new FlatnessMetrics(ag / count, mag / count, sc / count);
    }

    private interface Line {
        double at(int k);
    }

    private static double first(int i, int n, double h, Line f) {
        if (i == 0) {
            return (-3 * f.at(0) + 4 * f.at(1) - f.at(2)) / (2 * h);
        }
        if (i == n - 1) {
            return (3 * f.at(n - 1) - 4 * f.at(n - 2) + f.at(n - 3)) / (2 * h);
        }
        return (f.at(i + 1) - f.at(i - 1)) / (2 * h);
    }

    private static double second(int i, int n, double h, Line f) {
        int c = Math.min(Math.max(i, 1), n - 2);
        return (f.at(c - 1) - 2 * f.at(c) + f.at(c + 1)) / (h * h);
    }

    private static double spacing(double[] x, String name) {
        Preconditions.checkArgument(x.length >= 3, name + " needs at least 3 grid values, had " + x.length);
        double h = x[1] - x[0];
        Preconditions.checkArgument(h > 0, name + " must be ascending, was " + x[0] + ", " + x[1]);
        for (int i = 2; i < x.length; i++) {
            double d = x[i] - x[i - 1];
            Preconditions.checkArgument(Math.abs(d - h) <= 1e-9 * Math.max(1, Math.abs(h)) * x.length,
                    name + " must be uniformly spaced: step " + (i - 1) + " -> " + i + " is " + d + ", expected " + h);
        }
        return h;
    }
}
