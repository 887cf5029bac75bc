package dev.keel.sam.internal;

import dev.keel.sam.Landscape;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.LookupPaintScale;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.DefaultXYZDataset;

import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Locale;

/** Renders a {@link Landscape} as a banded heat map with JFreeChart, headless. */
public final class LandscapePlot {

    private static final int LEVELS = 16;

    private LandscapePlot() {
    }

    /** The PNG bytes of the plot. */
    public static byte[] png(Landscape l, String title, int width, int height) throws IOException {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        double[] a = l.a();
        double[] b = l.b();
        double[][] z = l.z();
        int n = a.length * b.length;
        double[][] series = new double[3][n];
        double[] all = new double[n];
        int k = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < b.length; j++) {
                series[0][k] = a[i];
                series[1][k] = b[j];
                series[2][k] = z[i][j];
                all[k] = z[i][j];
                k++;
            }
        }
        DefaultXYZDataset data = new DefaultXYZDataset();
        data.addSeries("loss", series);
        // levels at quantiles of the grid, so the basin keeps its detail when the edges climb steeply
        Arrays.sort(all);
        double lo = all[0];
        double hi = all[n - 1];
        if (hi <= lo) {
            hi = lo + 1e-6;
        }
        LookupPaintScale scale = new LookupPaintScale(lo, hi + 1e-9 * Math.max(1, Math.abs(hi)), Color.GRAY);
        double previous = Double.NEGATIVE_INFINITY;
        for (int level = 0; level < LEVELS; level++) {
            double threshold = level == 0 ? lo : all[(int) ((long) level * (n - 1) / LEVELS)];
            if (threshold <= previous) {
                continue;
            }
            previous = threshold;
            scale.add(threshold, colour(level / (double) (LEVELS - 1)));
        }
        XYBlockRenderer renderer = new XYBlockRenderer();
        renderer.setBlockWidth(a.length > 1 ? a[1] - a[0] : 1);
        renderer.setBlockHeight(b.length > 1 ? b[1] - b[0] : 1);
        renderer.setPaintScale(scale);
        NumberAxis x = new NumberAxis("a (direction 1)");
        NumberAxis y = new NumberAxis("b (direction 2)");
        x.setLowerMargin(0);
        x.setUpperMargin(0);
        y.setLowerMargin(0);
        y.setUpperMargin(0);
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, false);
        chart.addSubtitle(new TextTitle(String.format(Locale.ROOT, "loss at (0,0) %.4f   AG %.4g   MAG %.4g   SC %.4g",
                l.baseLoss(), l.metrics().ag(), l.metrics().mag(), l.metrics().sc())));
        NumberAxis legendAxis = new NumberAxis("loss");
        legendAxis.setRange(lo, hi);
        PaintScaleLegend legend = new PaintScaleLegend(scale, legendAxis);
        legend.setPosition(RectangleEdge.RIGHT);
        legend.setMargin(4, 4, 40, 4);
        legend.setStripWidth(14);
        chart.addSubtitle(legend);
        chart.setBackgroundPaint(Color.WHITE);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ChartUtils.writeChartAsPNG(out, chart, width, height);
        return out.toByteArray();
    }

    /** A perceptually ordered ramp from dark blue (low loss) through green to yellow (high). */
    private static Color colour(double t) {
        double[][] stops = {{0.27, 0.00, 0.33}, {0.23, 0.32, 0.55}, {0.13, 0.57, 0.55}, {0.37, 0.79, 0.38}, {0.99, 0.91, 0.14}};
        double pos = Math.max(0, Math.min(1, t)) * (stops.length - 1);
        int i = Math.min((int) pos, stops.length - 2);
        double f = pos - i;
        float r = (float) (stops[i][0] + f * (stops[i + 1][0] - stops[i][0]));
        float g = (float) (stops[i][1] + f * (stops[i + 1][1] - stops[i][1]));
        float bl = (float) (stops[i][2] + f * (stops[i + 1][2] - stops[i][2]));
        return new Color(r, g, bl);
    }
}
