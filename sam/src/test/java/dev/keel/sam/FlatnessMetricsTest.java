package dev.keel.sam;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

class FlatnessMetricsTest {

    @Test
    void paraboloidHasKnownMetrics() {
        int n = 21;
        double[] a = LossLandscape.axis(-1, 1, n);
        double[] b = LossLandscape.axis(-1, 1, n);
        double[][] z = new double[n][n];
        double ag = 0;
        double mag = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                z[i][j] = a[i] * a[i] + b[j] * b[j];
                // exact derivatives: Z_a = 2a, Z_b = 2b, Laplacian 4
                ag += Math.sqrt((4 * a[i] * a[i] + 4 * b[j] * b[j]) / 2);
                mag += (Math.abs(2 * a[i]) + Math.abs(2 * b[j])) / 2;
            }
        }
        FlatnessMetrics m = FlatnessMetrics.of(a, b, z);
        assertThat(m.ag()).isCloseTo(ag / (n * n), offset(1e-9));
        assertThat(m.mag()).isCloseTo(mag / (n * n), offset(1e-9));
        assertThat(m.sc()).isCloseTo(4.0, offset(1e-9));
        // mean |a| over the 21-point axis is 0.5238...: MAG = mean(|a| + |b|) = 2 * 0.5238...
        assertThat(m.mag()).isCloseTo(2 * 11.0 / 21.0, offset(1e-9));
    }

    @Test
    void planeHasNoCurvatureAndConstantGradient() {
        double[] a = LossLandscape.axis(-2, 2, 5);
        double[] b = LossLandscape.axis(-1, 1, 7);
        double[][] z = new double[5][7];
        for (int i = 0; i < 5; i++) {
            for (int j = 0; j < 7; j++) {
                z[i][j] = 3 * a[i] - 4 * b[j] + 1;
            }
        }
        FlatnessMetrics m = FlatnessMetrics.of(a, b, z);
        assertThat(m.ag()).isCloseTo(Math.sqrt((9 + 16) / 2.0), offset(1e-9));
        assertThat(m.mag()).isCloseTo(3.5, offset(1e-9));
        assertThat(m.sc()).isCloseTo(0, offset(1e-9));
        double[][] flat = new double[5][7];
        assertThat(FlatnessMetrics.of(a, b, flat)).isEqualTo(new FlatnessMetrics(0, 0, 0));
    }

    @Test
    void badGridsAreRejectedWithTheValues() {
        double[] two = {0, 1};
        double[] three = {0, 1, 2};
        assertThatThrownBy(() -> FlatnessMetrics.of(two, three, new double[2][3]))
                .hasMessageContaining("a needs at least 3 grid values, had 2");
        assertThatThrownBy(() -> FlatnessMetrics.of(three, new double[] {0, 1, 3}, new double[3][3]))
                .hasMessageContaining("b must be uniformly spaced");
        assertThatThrownBy(() -> FlatnessMetrics.of(three, three, new double[2][3]))
                .hasMessageContaining("z has 2 rows for 3 values of a");
        double[][] nan = new double[3][3];
        nan[1][2] = Double.NaN;
        assertThatThrownBy(() -> FlatnessMetrics.of(three, three, nan)).hasMessageContaining("z[1][2] is not finite: NaN");
        assertThatThrownBy(() -> FlatnessMetrics.of(new double[] {2, 1, 0}, three, new double[3][3]))
                .hasMessageContaining("a must be ascending");
    }
}
