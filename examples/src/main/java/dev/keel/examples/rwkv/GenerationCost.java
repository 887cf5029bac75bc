package dev.keel.examples.rwkv;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.keel.core.KeelVersion;
import dev.keel.core.internal.AtomicFiles;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.lm.CausalLm;
import dev.keel.core.lm.LlamaConfig;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.LmState;
import dev.keel.core.lm.rwkv.RwkvConfig;
import dev.keel.core.lm.rwkv.RwkvModel;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Generation cost against context length: for the Transformer with its KV cache and for RWKV with its
 * recurrent state, at keel-tiny's shape and at a ~100 M-parameter shape (random weights, batch 1, F32, CPU),
 * the milliseconds per new token (median of a few one-token steps) after a context of 64 ... 2,048 tokens,
 * and the bytes the per-sequence state holds there. Writes {@code generation-cost.csv} and
 * {@code generation-cost.png}.
 *
 * <pre>{@code
 * java -cp keel.jar dev.keel.examples.rwkv.GenerationCost docs/results/rwkv 8
 * }</pre>
 */
public final class GenerationCost {

    /** The context lengths measured. */
    public static final int[] CONTEXTS = {64, 128, 256, 512, 1024, 2048};

    /**
     * One measurement.
     *
     * @param shape        {@code keel-tiny} or {@code 100m}
     * @param arch         {@code llama} or {@code rwkv}
     * @param parameters   the model's parameter count
     * @param context      tokens seen before the timed steps
     * @param msPerToken   median milliseconds of one new token
     * @param minMs        the fastest of the timed steps (the least disturbed by other load)
     * @param stateBytes   bytes of the per-sequence KV cache or recurrent state at that context
     */
    public record Row(String shape, String arch, long parameters, int context, double msPerToken, double minMs,
                      long stateBytes) {
    }

    private GenerationCost() {
    }

    /** keel-tiny's Llama shape (vocabulary of the bundled model). */
    static LlamaConfig tinyLlama() {
        return LlamaConfig.builder().vocabSize(3915).hiddenSize(128).intermediateSize(352).numHiddenLayers(4)
                .numAttentionHeads(4).numKeyValueHeads(2).tieWordEmbeddings(true).maxPositionEmbeddings(4096)
                .rmsNormEps(1e-5).build();
    }

    /** RWKV at keel-tiny's width and depth with the same parameter count (within a block's rounding). */
    static RwkvConfig tinyRwkv() {
        return RwkvConfig.builder().vocabSize(3915).hiddenSize(128).intermediateSize(396).numHiddenLayers(4)
                .tieWordEmbeddings(true).contextLength(4096).build();
    }

    /** A GPT-2-small-like Llama: 768 wide, 12 layers, 12 heads, SwiGLU 2048, vocabulary 32,000, tied (~110 M). */
    static LlamaConfig largeLlama() {
        return LlamaConfig.builder().vocabSize(32000).hiddenSize(768).intermediateSize(2048).numHiddenLayers(12)
                .numAttentionHeads(12).numKeyValueHeads(12).tieWordEmbeddings(true).maxPositionEmbeddings(4096)
                .rmsNormEps(1e-5).build();
    }

    /** RWKV of the same width, depth, vocabulary and parameter count as {@link #largeLlama()}. */
    static RwkvConfig largeRwkv() {
        return RwkvConfig.builder().vocabSize(32000).hiddenSize(768).intermediateSize(2684).numHiddenLayers(12)
                .tieWordEmbeddings(true).contextLength(4096).build();
    }

    /**
     * Measures every shape and architecture.
     *
     * @param steps    timed one-token steps per context (the median is reported)
     * @param contexts the context lengths, ascending
     * @param large    whether the ~100 M shape is measured too
     * @return the rows
     */
    public static List<Row> measure(int steps, int[] contexts, boolean large) {
        Preconditions.checkPositive(steps, "steps");
        List<Row> rows = new ArrayList<>();
        try (NDManager root = NDManager.newBaseManager()) {
            try (LlamaModel m = LlamaModel.random(tinyLlama(), 1, root)) {
                rows.addAll(sweep("keel-tiny", "llama", tinyLlama().parameterCount(), m, steps, contexts));
            }
            try (RwkvModel m = RwkvModel.random(tinyRwkv(), 1, root)) {
                rows.addAll(sweep("keel-tiny", "rwkv", tinyRwkv().parameterCount(), m, steps, contexts));
            }
            if (large) {
                try (LlamaModel m = LlamaModel.random(largeLlama(), 1, root)) {
                    rows.addAll(sweep("100m", "llama", largeLlama().parameterCount(), m, steps, contexts));
                }
                try (RwkvModel m = RwkvModel.random(largeRwkv(), 1, root)) {
                    rows.addAll(sweep("100m", "rwkv", largeRwkv().parameterCount(), m, steps, contexts));
                }
            }
        }
        return rows;
    }

    /** Feeds a random context in chunks up to each length, then times {@code steps} one-token steps there. */
    static List<Row> sweep(String shape, String arch, long parameters, CausalLm model, int steps, int[] contexts) {
        List<Row> out = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(3);
        int vocab = model.vocabSize();
        try (NDManager sm = model.manager().newSubManager();
             LmState state = model.newState(sm)) {
            for (int c : contexts) {
                while (state.length() < c) {
                    int n = (int) Math.min(256, c - state.length());
                    long[] ids = new long[n];
                    for (int i = 0; i < n; i++) {
                        ids[i] = r.nextInt(vocab);
                    }
                    try (NDManager step = sm.newSubManager()) {
                        model.forward(step.create(new long[][] {ids}), null, state, false).close();
                    }
                }
                long bytes = state.bytes();
                double[] ms = new double[steps];
                for (int s = 0; s < steps; s++) {
                    try (NDManager step = sm.newSubManager()) {
                        NDArray in = step.create(new long[][] {{r.nextInt(vocab)}});
                        long t0 = System.nanoTime();
                        NDArray logits = model.forward(in, null, state, false);
                        logits.toFloatArray();   // the host needs the logits to choose the next token
                        ms[s] = (System.nanoTime() - t0) / 1e6;
                    }
                }
                Arrays.sort(ms);
                double median = ms[steps / 2];
                out.add(new Row(shape, arch, parameters, c, median, ms[0], bytes));
                System.out.printf(Locale.ROOT, "%s %s context %d: %.2f ms/token (min %.2f), state %d bytes%n", shape, arch,
                        c, median, ms[0], bytes);
            }
        }
        return out;
    }

    /**
     * The rows as CSV.
     *
     * @param rows the measurements
     * @return {@code shape,arch,parameters,context,ms_per_token_median,ms_per_token_min,state_bytes} lines
     */
    public static String csv(List<Row> rows) {
        StringBuilder sb = new StringBuilder("shape,arch,parameters,context,ms_per_token_median,ms_per_token_min,state_bytes\n");
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT, "%s,%s,%d,%d,%.3f,%.3f,%d%n", r.shape(), r.arch(), r.parameters(),
                    r.context(), r.msPerToken(), r.minMs(), r.stateBytes()));
        }
        return sb.toString();
    }

    /**
     * A line chart of ms per token against context (log axis), one line per shape and architecture.
     *
     * @param rows the measurements
     * @return the PNG bytes
     * @throws IOException if the image cannot be encoded
     */
    public static byte[] png(List<Row> rows) throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Row r : rows) {
            String key = r.shape() + " " + (r.arch().equals("llama") ? "Transformer + KV cache" : "RWKV-4 state");
            XYSeries s;
            int i = data.getSeriesIndex(key);
            if (i < 0) {
                s = new XYSeries(key);
                data.addSeries(s);
            } else {
                s = data.getSeries(i);
            }
            s.add(r.context(), r.minMs());
        }
        JFreeChart chart = ChartFactory.createXYLineChart("Generation cost against context (batch 1, CPU, F32)",
                "context (tokens)", "ms per new token (fastest of the timed steps)", data, PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        LogAxis x = new LogAxis("context (tokens)");
        x.setBase(2);
        plot.setDomainAxis(x);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ChartUtils.writeChartAsPNG(bytes, chart, 900, 560);
        return bytes.toByteArray();
    }

    /**
     * Measures and writes {@code generation-cost.csv} and {@code generation-cost.png} into {@code dir}.
     *
     * @param dir      the output directory
     * @param steps    timed steps per context
     * @param contexts the context lengths
     * @param large    whether the ~100 M shape is measured too
     * @return the rows
     * @throws IOException if a file cannot be written
     */
    public static List<Row> run(Path dir, int steps, int[] contexts, boolean large) throws IOException {
        Preconditions.notNull(dir, "dir");
        Files.createDirectories(dir);
        List<Row> rows = measure(steps, contexts, large);
        AtomicFiles.writeString(dir.resolve("generation-cost.csv"), "# keel " + KeelVersion.get() + ", "
                + Runtime.getRuntime().availableProcessors() + " CPUs, torch threads "
                + System.getProperty("ai.djl.pytorch.num_threads", "default") + "\n" + csv(rows));
        byte[] image = png(rows);
        AtomicFiles.write(dir.resolve("generation-cost.png"), out -> out.write(image));
        return rows;
    }

    /**
     * {@code GenerationCost OUT_DIR [STEPS] [tiny]}: measures (the ~100 M shape too unless {@code tiny}).
     *
     * @param args the output directory, optionally the timed steps per context and {@code tiny}
     * @throws IOException if a file cannot be written
     */
    public static void main(String[] args) throws IOException {
        Preconditions.checkArgument(args.length >= 1, "usage: GenerationCost OUT_DIR [STEPS] [tiny]");
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        boolean large = !(args.length > 2 && args[2].equals("tiny"));
        run(Path.of(args[0]), steps, CONTEXTS, large);
    }
}
