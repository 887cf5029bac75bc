package dev.keel.examples.rwkv;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.core.chat.ChatRequest;
import dev.keel.core.chat.ChatResponse;
import dev.keel.core.chat.GenerationOptions;
import dev.keel.core.internal.AtomicFiles;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.lm.generate.LocalChatModel;
import dev.keel.core.lm.rwkv.RwkvConfig;
import dev.keel.core.lm.rwkv.RwkvModel;
import dev.keel.examples.tiny.TinyCorpus;
import dev.keel.examples.tiny.TinyRecipe;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Summarises keel-tiny runs of both architectures ({@code keel train-tiny --arch llama|rwkv --seed S}): per
 * architecture the mean and spread (min..max) over its runs of the final held-out loss, the exact-match accuracy
 * per keel-tiny task, the copying/recall probe ({@link TinyCorpus#copyProbe}: exact match of "Repeat these
 * words" at 2 ... 16 words, the training lists having 2 to 5) and training tokens/s; writes
 * {@code comparison.csv}, {@code comparison.md} and the held-out loss curves against optimizer steps
 * ({@code held-out-loss.png}) and against estimated training FLOPs ({@code held-out-loss-flops.png}, see
 * {@link #trainingFlopsPerToken}).
 *
 * <pre>{@code
 * java -cp keel.jar dev.keel.examples.rwkv.RwkvComparison docs/results/rwkv runs/llama-s1 runs/rwkv-s1 ...
 * }</pre>
 */
public final class RwkvComparison {

    /** List lengths of the recall probe. */
    public static final int[] PROBE_WORDS = {2, 4, 5, 8, 12, 16};

    /** Prompts per probe length. */
    public static final int PROBE_COUNT = 30;

    private RwkvComparison() {
    }

    /**
     * Exact-match accuracy of "Repeat these words" per list length, greedy.
     *
     * @param chat the model
     * @param seed the probe's seed
     * @return accuracy by number of words
     */
    public static Map<Integer, Double> recall(LocalChatModel chat, long seed) {
        Preconditions.notNull(chat, "chat");
        Map<Integer, Double> out = new TreeMap<>();
        for (int n : PROBE_WORDS) {
            List<TinyCorpus.Item> items = TinyCorpus.copyProbe(seed, n, PROBE_COUNT);
            GenerationOptions greedy = GenerationOptions.builder().temperature(0).maxTokens(n + 8).build();
            List<ChatRequest> requests = new ArrayList<>();
            for (TinyCorpus.Item it : items) {
                requests.add(new ChatRequest(ChatRequest.ofUser(it.prompt()).messages(), greedy));
            }
            List<ChatResponse> replies = chat.generateAll(requests);
            int ok = 0;
            for (int i = 0; i < items.size(); i++) {
                ChatResponse r = replies.get(i);
                ok += r.isOk() && r.text().strip().equals(items.get(i).answer()) ? 1 : 0;
            }
            out.put(n, (double) ok / items.size());
        }
        return out;
    }

    /**
     * An analytic estimate of the training FLOPs per real token of a run's model, read from its {@code config.json}:
     * three times the forward pass (the backward pass costs two), the forward pass counting two FLOPs per
     * multiply-add of every matrix product and nothing for element-wise work, norms or the softmax. Per layer, Llama:
     * the q, k, v and o projections, the three SwiGLU matrices and attention over {@code (L + 1) / 2} positions on
     * average (scores and weighted values: {@code 4 * heads * headDim * (L + 1) / 2}); RWKV-4: the receptance, key,
     * value and output projections of time mixing, the three matrices of channel mixing, and the chunked wkv
     * ({@code 4 * attentionHidden * ((16 + 1) / 2 + 1)}: the chunk's earlier positions and the carried state); plus the
     * head ({@code 2 * hidden * vocab}). {@code L} is the mean record length in tokens; using the mean rather than
     * the mean square slightly undercounts attention.
     *
     * @param config         the model's {@code config.json}
     * @param meanLength     mean tokens per training record
     * @return FLOPs per token of one training step
     * @throws IllegalArgumentException if {@code model_type} is neither llama nor rwkv
     */
    public static double trainingFlopsPerToken(JsonNode config, double meanLength) {
        Preconditions.notNull(config, "config");
        String type = config.path("model_type").asText("");
        double h = config.path("hidden_size").asDouble();
        double v = config.path("vocab_size").asDouble();
        double layers = config.path("num_hidden_layers").asDouble();
        double perLayer;
        if (type.equals("llama")) {
            double inter = config.path("intermediate_size").asDouble();
            double heads = config.path("num_attention_heads").asDouble();
            double kv = config.path("num_key_value_heads").asDouble(heads);
            double hd = config.path("head_dim").asDouble(h / heads);
            perLayer = 2 * h * heads * hd + 2 * 2 * h * kv * hd + 2 * heads * hd * h + 3 * 2 * h * inter
                    + 4 * heads * hd * (meanLength + 1) / 2;
        } else if (type.equals("rwkv")) {
            RwkvConfig rc = RwkvConfig.fromJson(config);   // transformers' defaults for the optional sizes
            double a = rc.attentionHiddenSize();
            double i = rc.intermediateSize();
            perLayer = 3 * 2 * h * a + 2 * a * h + 2 * h * i + 2 * i * h + 2 * h * h
                    + 4 * a * ((RwkvModel.CHUNK + 1) / 2.0 + 1);
        } else {
            throw new IllegalArgumentException("config.json model_type must be llama or rwkv, was " + type);
        }
        return 3 * (layers * perLayer + 2 * h * v);
    }

    /**
     * Reads the runs, probes each model, and writes the table, its CSV and the loss curves into {@code out}.
     *
     * @param out  the output directory
     * @param runs the run directories (each with {@code metrics.json} and the model)
     * @return the Markdown table
     * @throws IOException if a file cannot be read or written
     */
    public static String run(Path out, List<Path> runs) throws IOException {
        Preconditions.notNull(out, "out");
        Preconditions.notEmpty(runs, "runs");
        Files.createDirectories(out);
        Map<String, List<Map<String, Double>>> byArch = new TreeMap<>();
        XYSeriesCollection curves = new XYSeriesCollection();
        XYSeriesCollection flopCurves = new XYSeriesCollection();
        StringBuilder csv = new StringBuilder("run,arch,seed,steps,parameters,metric,value\n");
        for (Path dir : runs) {
            JsonNode m = Json.readFile(dir.resolve("metrics.json"));
            String arch = m.path("architecture").asText("llama");
            Map<String, Double> row = new LinkedHashMap<>();
            JsonNode held = m.path("training").path("held_out_loss");
            String label = arch + " seed " + m.path("seed").asLong() + " (" + dir.getFileName() + ")";
            XYSeries s = new XYSeries(label);
            XYSeries f = new XYSeries(label);
            double meanLength = m.path("corpus").path("tokens").asDouble() / m.path("corpus").path("examples").asDouble();
            double flopsPerToken = trainingFlopsPerToken(Json.readFile(dir.resolve("config.json")), meanLength);
            double tokensPerStep = meanLength * m.path("settings").path("batchSize").asDouble();
            for (JsonNode p : held) {
                s.add(p.path("step").asInt(), p.path("loss").asDouble());
                f.add(p.path("step").asInt() * tokensPerStep * flopsPerToken, p.path("loss").asDouble());
            }
            curves.addSeries(s);
            flopCurves.addSeries(f);
            row.put("held_out_loss", held.size() > 0 ? held.get(held.size() - 1).path("loss").asDouble() : Double.NaN);
            row.put("train_loss_last_50", m.path("training").path("final_loss_mean_last_50").asDouble());
            row.put("tokens_per_second", m.path("training").path("tokens_per_second").asDouble());
            row.put("train_flops_per_token", flopsPerToken);
            row.put("train_tflops_total", m.path("training").path("steps").asInt() * tokensPerStep * flopsPerToken / 1e12);
            for (Iterator<Map.Entry<String, JsonNode>> it = m.path("evaluation").path("exact_match_accuracy").fields();
                 it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                row.put("task_" + e.getKey(), e.getValue().asDouble());
            }
            row.put("refusal_rate", m.path("evaluation").path("refusal_rate_heldout_advbench").asDouble());
            try (LocalChatModel chat = TinyRecipe.load(dir)) {
                recall(chat, 7).forEach((n, acc) -> row.put("recall_" + n + "_words", acc));
            }
            byArch.computeIfAbsent(arch, k -> new ArrayList<>()).add(row);
            for (Map.Entry<String, Double> e : row.entrySet()) {
                csv.append(String.format(Locale.ROOT, "%s,%s,%d,%d,%d,%s,%.4f%n", dir.getFileName(), arch,
                        m.path("seed").asLong(), m.path("training").path("steps").asInt(), m.path("parameters").asLong(),
                        e.getKey(), e.getValue()));
            }
        }
        StringBuilder md = new StringBuilder("| metric |");
        for (String arch : byArch.keySet()) {
            md.append(' ').append(arch).append(" (n=").append(byArch.get(arch).size()).append(") |");
        }
        md.append("\n|---|");
        byArch.keySet().forEach(a -> md.append("---|"));
        md.append('\n');
        List<String> metrics = new ArrayList<>(byArch.values().iterator().next().get(0).keySet());
        for (String metric : metrics) {
            md.append("| ").append(metric).append(" |");
            for (List<Map<String, Double>> rows : byArch.values()) {
                double sum = 0;
                double min = Double.POSITIVE_INFINITY;
                double max = Double.NEGATIVE_INFINITY;
                int n = 0;
                for (Map<String, Double> r : rows) {
                    Double v = r.get(metric);
                    if (v != null && !v.isNaN()) {
                        sum += v;
                        min = Math.min(min, v);
                        max = Math.max(max, v);
                        n++;
                    }
                }
                md.append(n == 0 ? " - |" : n == 1 ? String.format(Locale.ROOT, " %.4f |", sum)
                        : String.format(Locale.ROOT, " %.4f (%.4f..%.4f) |", sum / n, min, max));
            }
            md.append('\n');
        }
        AtomicFiles.writeString(out.resolve("comparison.csv"), csv.toString());
        AtomicFiles.writeString(out.resolve("comparison.md"), md.toString());
        JFreeChart chart = ChartFactory.createXYLineChart("keel-tiny recipe: held-out loss (answer tokens)",
                "optimizer step", "held-out loss", curves, PlotOrientation.VERTICAL, true, false, false);
        styleByArchitecture(chart);
        AtomicFiles.write(out.resolve("held-out-loss.png"), o -> ChartUtils.writeChartAsPNG(o, chart, 900, 560));
        JFreeChart flopChart = ChartFactory.createXYLineChart("keel-tiny recipe: held-out loss against training FLOPs (estimate)",
                "training FLOPs", "held-out loss", flopCurves, PlotOrientation.VERTICAL, true, false, false);
        styleByArchitecture(flopChart);
        AtomicFiles.write(out.resolve("held-out-loss-flops.png"), o -> ChartUtils.writeChartAsPNG(o, flopChart, 900, 560));
        return md.toString();
    }

    /**
     * One colour per architecture (the Transformer's runs red, RWKV's blue; seeds differ by dash), and a
     * loss axis that starts near the data rather than at 0, where the curves' differences would not show.
     */
    static void styleByArchitecture(JFreeChart chart) {
        org.jfree.chart.plot.XYPlot plot = chart.getXYPlot();
        ((org.jfree.chart.axis.NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
        plot.setBackgroundPaint(java.awt.Color.WHITE);
        plot.setRangeGridlinePaint(java.awt.Color.LIGHT_GRAY);
        plot.setDomainGridlinePaint(java.awt.Color.LIGHT_GRAY);
        org.jfree.data.xy.XYDataset data = plot.getDataset();
        org.jfree.chart.renderer.xy.XYItemRenderer r = plot.getRenderer();
        float[][] dashes = {null, {8f, 4f}, {2f, 3f}, {8f, 3f, 2f, 3f}};
        java.util.Map<String, Integer> seen = new java.util.HashMap<>();
        for (int i = 0; i < data.getSeriesCount(); i++) {
            String name = data.getSeriesKey(i).toString();
            boolean rwkv = name.startsWith("rwkv");
            int k = seen.merge(rwkv ? "rwkv" : "other", 1, Integer::sum) - 1;
            r.setSeriesPaint(i, rwkv ? new java.awt.Color(31, 90, 200) : new java.awt.Color(210, 40, 40));
            float[] dash = dashes[k % dashes.length];
            r.setSeriesStroke(i, dash == null ? new java.awt.BasicStroke(2f)
                    : new java.awt.BasicStroke(2f, java.awt.BasicStroke.CAP_BUTT, java.awt.BasicStroke.JOIN_MITER, 10f, dash, 0f));
        }
    }

    /**
     * {@code RwkvComparison OUT_DIR RUN_DIR...}.
     *
     * @param args the output directory, then the run directories
     * @throws IOException if a file cannot be read or written
     */
    public static void main(String[] args) throws IOException {
        Preconditions.checkArgument(args.length >= 2, "usage: RwkvComparison OUT_DIR RUN_DIR...");
        List<Path> runs = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            runs.add(Path.of(args[i]));
        }
        System.out.println(run(Path.of(args[0]), runs));
    }
}
