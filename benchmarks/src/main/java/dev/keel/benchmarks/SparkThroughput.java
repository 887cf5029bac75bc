package dev.keel.benchmarks;

import dev.keel.core.embed.Embedder;
import dev.keel.core.embed.OnnxEmbedder;
import dev.keel.examples.fewl.EvounaNq;
import dev.keel.fewl.FewlItem;
import dev.keel.fewl.FewlScorer;
import dev.keel.fewl.ModelAnswer;
import dev.keel.fewl.MultiModelRecord;
import dev.keel.fewl.NeighbourIndex;
import dev.keel.fewl.Reference;
import dev.keel.spark.EmbedderFactory;
import dev.keel.spark.FewlOptions;
import dev.keel.spark.FewlSpark;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A timed harness: FEWL items per second with {@link FewlSpark#score} on a local Spark session of
 * {@code local[T]} against the single-JVM {@link FewlScorer} on the same items, same embedder
 * (all-MiniLM-L6-v2), same settings (K = 25, exact search), in the same JVM. Run it with
 * {@code -XX:ActiveProcessorCount=T} so that the single-JVM scorer (ONNX Runtime's threads, the
 * neighbour search's parallel streams) gets the same T cores as Spark's T task threads. The items
 * are EVOUNA-NQ's: each system's answer scored with the other four as references. Each side runs
 * a warm-up on other items first (model load, Spark's code generation); one timed run each.
 *
 * <p>ONNX Runtime's intra-op threads are pinned, since its default (one per physical core) ignores
 * {@code -XX:ActiveProcessorCount}: the single-JVM embedder gets T threads, and Spark's executor
 * embedder, which its T task threads share, gets 1 (the tasks are the parallelism). An optional
 * third argument {@code default} leaves both at ONNX Runtime's default, as the first runs did.
 *
 * <pre>
 * java -XX:ActiveProcessorCount=2 -Xmx3g --add-opens ... -cp ... dev.keel.benchmarks.SparkThroughput 2 400
 * </pre>
 */
public final class SparkThroughput {

    private SparkThroughput() {
    }

    /**
     * Runs the measurement.
     *
     * @param args T (Spark's local threads), the number of EVOUNA questions (five items each), and
     *             optionally {@code default} (ONNX Runtime's own thread count for both embedders)
     */
    public static void main(String[] args) {
        int threads = Integer.parseInt(args[0]);
        int questions = Integer.parseInt(args[1]);
        List<MultiModelRecord> recs = EvounaNq.load();
        List<FewlItem> items = items(recs.subList(0, questions));
        List<FewlItem> warm = items(recs.subList(recs.size() - 20, recs.size()));
        boolean ortDefault = args.length > 2 && args[2].equals("default");
        int singleThreads = ortDefault ? 0 : threads;
        FewlOptions.Builder ob = FewlOptions.builder().neighbourSearch(NeighbourIndex.Kind.EXACT);
        if (!ortDefault) {
            ob.embedder(new PinnedMiniLm(1));
        }
        FewlOptions o = ob.build();

        double single;
        try (OnnxEmbedder e = OnnxEmbedder.allMiniLmL6V2(OnnxEmbedder.builder().threads(singleThreads));
             FewlScorer s = o.scorerBuilder(e).build()) {
            s.scoreAll(warm);
            long t0 = System.nanoTime();
            s.scoreAll(items);
            single = (System.nanoTime() - t0) / 1e9;
        }
        SparkSession spark = SparkSession.builder().master("local[" + threads + "]").appName("keel-throughput")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").config("spark.sql.shuffle.partitions", Integer.toString(threads))
                .getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        double sparkSeconds;
        try {
            run(spark, warm, o, threads);
            long t0 = System.nanoTime();
            run(spark, items, o, threads);
            sparkSeconds = (System.nanoTime() - t0) / 1e9;
        } finally {
            spark.stop();
        }
        System.out.printf(Locale.ROOT, "{\"threads\":%d,\"ortThreads\":\"%s\",\"cores\":%d,\"items\":%d,\"singleJvmSeconds\":%.1f,\"singleJvmItemsPerSecond\":%.1f,"
                        + "\"sparkSeconds\":%.1f,\"sparkItemsPerSecond\":%.1f,\"sparkOverSingle\":%.2f}%n",
                threads, ortDefault ? "default" : "single " + threads + ", spark 1", Runtime.getRuntime().availableProcessors(),
                items.size(), single, items.size() / single,
                sparkSeconds, items.size() / sparkSeconds, sparkSeconds / single);
    }

    /** all-MiniLM-L6-v2 with a fixed number of ONNX Runtime intra-op threads, for the executors. */
    static final class PinnedMiniLm implements EmbedderFactory {
        private static final long serialVersionUID = 1L;
        private final int threads;

        PinnedMiniLm(int threads) {
            this.threads = threads;
        }

        @Override
        public Embedder create() {
            return OnnxEmbedder.allMiniLmL6V2(OnnxEmbedder.builder().threads(threads));
        }

        @Override
        public String key() {
            return "sentence-transformers/all-MiniLM-L6-v2 threads=" + threads;
        }
    }

    static void run(SparkSession spark, List<FewlItem> items, FewlOptions o, int partitions) {
        List<Row> rows = new ArrayList<>();
        for (FewlItem it : items) {
            List<Row> refs = new ArrayList<>();
            it.references().forEach(r -> refs.add(RowFactory.create(r.model(), r.answer())));
            rows.add(RowFactory.create(it.id(), it.question(), it.answer(), refs, null, null));
        }
        Dataset<Row> in = spark.createDataFrame(rows, FewlSpark.itemSchema()).repartition(partitions);
        FewlSpark.score(in, o).write().format("noop").mode("overwrite").save();
    }

    /** Each system's answer as an item, the other systems' answers as its references. */
    static List<FewlItem> items(List<MultiModelRecord> recs) {
        List<FewlItem> out = new ArrayList<>();
        for (MultiModelRecord r : recs) {
            for (ModelAnswer a : r.answers()) {
                if (a.answer() == null || a.answer().isBlank()) {
                    continue;
                }
                List<Reference> refs = new ArrayList<>();
                for (ModelAnswer b : r.answers()) {
                    if (b != a && b.answer() != null && !b.answer().isBlank()) {
                        refs.add(Reference.of(b.model(), b.answer()));
                    }
                }
                if (!refs.isEmpty()) {
                    out.add(FewlItem.of(r.id() + "-" + a.model(), r.question(), a.answer(), refs));
                }
            }
        }
        return out;
    }
}
