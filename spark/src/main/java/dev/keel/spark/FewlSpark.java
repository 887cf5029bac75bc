package dev.keel.spark;

import dev.keel.core.embed.Embedder;
import dev.keel.core.internal.Preconditions;
import dev.keel.fewl.FewlItem;
import dev.keel.fewl.FewlScore;
import dev.keel.fewl.FewlScorer;
import dev.keel.fewl.HnswIndex;
import dev.keel.fewl.NeighbourIndex;
import dev.keel.fewl.NeighbourSearch;
import dev.keel.fewl.Reference;
import dev.keel.fewl.Temperature;
import dev.keel.spark.internal.ExecutorResources;
import dev.keel.spark.internal.LruEmbedder;
import dev.keel.spark.internal.Scala;
import dev.keel.spark.internal.Vectors;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.map_from_entries;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.min_by;
import static org.apache.spark.sql.functions.monotonically_increasing_id;
import static org.apache.spark.sql.functions.posexplode;
import static org.apache.spark.sql.functions.struct;

/**
 * FEWL scores for a Spark {@code Dataset} of items: the same numbers as
 * {@code options.scorerBuilder(embedder).build().scoreAll(items)} in one JVM (with the exact
 * search), computed in partitions.
 *
 * <p><b>Input columns</b> (others are passed through unchanged): {@code id} string,
 * {@code question} string, {@code answer} string, {@code references}
 * {@code array<struct<model: string, answer: string>>} (a null or blank answer: that model did not
 * answer), and optionally {@code wrongAnswers} and {@code correctedAnswers} {@code array<string>}
 * (FEWL's IW/CO answers). A missing required column or one of another type is an
 * {@link IllegalArgumentException} before anything runs.
 *
 * <p><b>Output</b>: the input rows with {@value #TOTAL} double, {@value #TRUTHFULNESS} double,
 * {@value #PENALTY} double, {@value #WEIGHTS} {@code map<string, double>} (λ per reference model),
 * {@value #TEMPERATURE} double (τ, null when λ was uniform), {@value #NOTES} {@code array<string>},
 * {@value #SEARCH} string (which neighbour search ran, for provenance) and {@value #ERROR} string:
 * null for a scored row; for a malformed row (a null id, a blank answer, no references ...) or one
 * that could not be scored, the reason, with the score columns null. In strict mode such a row
 * fails the job instead.
 *
 * <p><b>How</b>: the distinct questions are embedded in partitions (one embedder per executor JVM,
 * see {@link EmbedderFactory}) and collected on the driver, which runs the neighbour search's set-up:
 * for the exact search it broadcasts the question vectors and each partition of queries runs
 * {@link NeighbourSearch#topK} against all of them; for HNSW ({@link FewlOptions.Builder#neighbourSearch})
 * it builds the {@link HnswIndex} and broadcasts it. The neighbours' reference answers are joined to
 * the items, and each executor scores batches of items with a {@link FewlScorer} whose corpus is the
 * batch's neighbour questions (in the run's order, so the neighbours and their ties are the
 * run's). With τ by spread and items that have IW/CO answers, a first pass computes τ over the
 * whole run. The neighbour corpus is the scored items (the scorer's default).
 *
 * <p><b>Broadcasts</b>: the question vectors (and the HNSW index) are broadcast once per call and
 * live as long as the returned {@code Dataset}, which needs them each time it is computed (a second
 * {@code write} or {@code count} recomputes the scores unless the caller persists them). They are not
 * destroyed by Keel: Spark's {@code ContextCleaner} removes them from the driver and the executors once
 * the returned dataset and every dataset derived from it are unreachable on the driver and collected
 * ({@code spark.cleaner.referenceTracking}, on by default; {@code spark.cleaner.periodicGC.interval}
 * bounds how long that takes). A long-lived driver scoring many runs therefore frees them by
 * dropping its references to finished results; at a million questions they are about 1.5 GB each
 * (vectors) plus the index.
 *
 * <pre>{@code
 * Dataset<Row> scored = FewlSpark.score(spark.read().json("items.jsonl"), FewlOptions.defaults());
 * scored.write().parquet("scores");
 * }</pre>
 */
public final class FewlSpark {

    /** Output column: the FEWL score. */
    public static final String TOTAL = "fewl_total";
    /** Output column: the weighted agreement with the references. */
    public static final String TRUTHFULNESS = "fewl_truthfulness";
    /** Output column: the laziness penalty. */
    public static final String PENALTY = "fewl_penalty";
    /** Output column: λ by reference model. */
    public static final String WEIGHTS = "fewl_weights";
    /** Output column: τ. */
    public static final String TEMPERATURE = "fewl_temperature";
    /** Output column: the score's notes. */
    public static final String NOTES = "fewl_notes";
    /** Output column: the neighbour search that ran. */
    public static final String SEARCH = "fewl_search";
    /** Output column: why a row was not scored, or null. */
    public static final String ERROR = "error";

    static final String ROW = "_keel_row";
    static final String ITEM = "_keel_item";
    static final String ERR = "_keel_error";
    static final String REFS = "_keel_refs";
    static final String NB = "_keel_neighbours";

    private static final StructType REF = new StructType().add("model", DataTypes.StringType).add("answer", DataTypes.StringType);
    private static final DataType ANSWERS = DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType);
    private static final StructType ENTRY = new StructType().add("cidx", DataTypes.IntegerType, false)
            .add("eid", DataTypes.StringType).add("equestion", DataTypes.StringType).add("answers", ANSWERS);

    private FewlSpark() {
    }

    /**
     * The input columns as a schema, for reading items files ({@code spark.read().schema(FewlSpark.itemSchema()).json(path)}):
     * {@code id}, {@code question}, {@code answer} strings, {@code references}
     * {@code array<struct<model, answer>>}, {@code wrongAnswers} and {@code correctedAnswers} {@code array<string>}.
     *
     * @return the schema
     */
    public static StructType itemSchema() {
        return new StructType().add("id", DataTypes.StringType).add("question", DataTypes.StringType)
                .add("answer", DataTypes.StringType).add("references", DataTypes.createArrayType(REF))
                .add("wrongAnswers", DataTypes.createArrayType(DataTypes.StringType))
                .add("correctedAnswers", DataTypes.createArrayType(DataTypes.StringType));
    }

    /**
     * Scores every row.
     *
     * @param items   the items (see the class comment for the columns)
     * @param options the settings
     * @return the rows with the score columns: the run-wide stages (τ's pass, embedding the
     *         questions, the neighbour search's set-up) run in this call, the scoring itself when
     *         the caller writes or collects the result
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if a required column is missing or of another type, or the
     *                                  input already has an output column
     * @throws RuntimeException        in strict mode, for a malformed row: Spark's job failure,
     *                                  whose message names the row (here or when the result is used)
     */
    public static Dataset<Row> score(Dataset<Row> items, FewlOptions options) {
        Preconditions.notNull(items, "items");
        Preconditions.notNull(options, "options");
        StructType in = items.schema();
        checkSchema(in);
        SparkSession spark = items.sparkSession();
        Dataset<Row> numbered = items.withColumn(ROW, monotonically_increasing_id());
        StructType numberedSchema = numbered.schema();
        StructType parsedSchema = numberedSchema.add(ITEM, DataTypes.StringType).add(ERR, DataTypes.StringType)
                .add(REFS, DataTypes.createArrayType(REF));
        Dataset<Row> parsed = numbered.mapPartitions(new Parse(numberedSchema, options.strict()), Encoders.row(parsedSchema));
        Dataset<Row> valid = parsed.filter(col(ERR).isNull());

        double tau = Double.NaN;
        Temperature t = options.temperature();
        if (!t.isFixed()) {
            tau = runTemperature(valid, options);
        }

        String search = "none (penalty off)";
        Dataset<Row> withNeighbours;
        if (options.usesPenalty()) {
            Neighbours nb = neighbours(spark, valid, options);
            search = nb.search;
            withNeighbours = parsed.join(nb.table, parsed.col("question").equalTo(nb.table.col("nq")), "left_outer").drop("nq");
        } else {
            withNeighbours = parsed.withColumn(NB, org.apache.spark.sql.functions.lit(null).cast(DataTypes.createArrayType(ENTRY)));
        }
        StructType outSchema = in.add(TOTAL, DataTypes.DoubleType).add(TRUTHFULNESS, DataTypes.DoubleType)
                .add(PENALTY, DataTypes.DoubleType).add(WEIGHTS, DataTypes.createMapType(DataTypes.StringType, DataTypes.DoubleType))
                .add(TEMPERATURE, DataTypes.DoubleType).add(NOTES, DataTypes.createArrayType(DataTypes.StringType))
                .add(SEARCH, DataTypes.StringType).add(ERROR, DataTypes.StringType);
        return withNeighbours.mapPartitions(new Score(withNeighbours.schema(), in.size(), options, tau, search), Encoders.row(outSchema));
    }

    // ---------------------------------------------------------------------------------------------

    static void checkSchema(StructType s) {
        for (String name : List.of("id", "question", "answer")) {
            requireType(s, name, DataTypes.StringType, "string");
        }
        String refType = "array<struct<model: string, answer: string>>";
        Preconditions.checkArgument(Arrays.asList(s.fieldNames()).contains("references"),
                "the items have no column references (" + refType + "); columns: " + String.join(", ", s.fieldNames()));
        DataType refs = s.apply("references").dataType();
        boolean ok = refs instanceof ArrayType at && at.elementType() instanceof StructType st
                && Arrays.asList(st.fieldNames()).contains("model") && Arrays.asList(st.fieldNames()).contains("answer")
                && st.apply("model").dataType().equals(DataTypes.StringType) && st.apply("answer").dataType().equals(DataTypes.StringType);
        Preconditions.checkArgument(ok, "column references must be " + refType + ", was " + refs.simpleString());
        for (String name : List.of("wrongAnswers", "correctedAnswers")) {
            if (Arrays.asList(s.fieldNames()).contains(name)) {
                requireType(s, name, DataTypes.createArrayType(DataTypes.StringType, true), "array<string>");
            }
        }
        for (String name : List.of(TOTAL, TRUTHFULNESS, PENALTY, WEIGHTS, TEMPERATURE, NOTES, SEARCH, ERROR, ROW, ITEM, ERR, REFS, NB)) {
            Preconditions.checkArgument(!Arrays.asList(s.fieldNames()).contains(name),
                    "the input already has a column " + name + ", which the output adds; rename or drop it");
        }
    }

    private static void requireType(StructType s, String name, DataType type, String typeName) {
        Preconditions.checkArgument(Arrays.asList(s.fieldNames()).contains(name),
                "the items have no column " + name + " (" + typeName + "); columns: " + String.join(", ", s.fieldNames()));
        DataType actual = s.apply(name).dataType();
        Preconditions.checkArgument(sameIgnoringNullability(actual, type),
                "column " + name + " must be " + typeName + ", was " + actual.simpleString());
    }

    private static boolean sameIgnoringNullability(DataType a, DataType b) {
        if (a instanceof ArrayType x && b instanceof ArrayType y) {
            return sameIgnoringNullability(x.elementType(), y.elementType());
        }
        if (a instanceof StructType x && b instanceof StructType y) {
            if (x.size() != y.size()) {
                return false;
            }
            for (int i = 0; i < x.size(); i++) {
                StructField f = x.fields()[i];
                StructField g = y.fields()[i];
                if (!f.name().equals(g.name()) || !sameIgnoringNullability(f.dataType(), g.dataType())) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }

    /** The executor's embedder for {@code options}. */
    static Embedder embedder(FewlOptions options) {
        EmbedderFactory f = options.embedderFactory();
        return ExecutorResources.get("embedder:" + f.key() + ":" + options.cachedTexts(), Embedder.class,
                () -> new LruEmbedder(f.create(), options.cachedTexts()));
    }

    /** Turns input rows into items (as JSON lines) or errors. */
    static final class Parse implements MapPartitionsFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final StructType schema;
        private final boolean strict;

        Parse(StructType schema, boolean strict) {
            this.schema = schema;
            this.strict = strict;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            int id = schema.fieldIndex("id");
            int q = schema.fieldIndex("question");
            int a = schema.fieldIndex("answer");
            int r = schema.fieldIndex("references");
            int w = Arrays.asList(schema.fieldNames()).contains("wrongAnswers") ? schema.fieldIndex("wrongAnswers") : -1;
            int c = Arrays.asList(schema.fieldNames()).contains("correctedAnswers") ? schema.fieldIndex("correctedAnswers") : -1;
            int n = schema.size();
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return rows.hasNext();
                }

                @Override
                public Row next() {
                    Row row = rows.next();
                    Object[] out = new Object[n + 3];
                    for (int i = 0; i < n; i++) {
                        out[i] = row.get(i);
                    }
                    try {
                        FewlItem item = item(row, id, q, a, r, w, c);
                        out[n] = item.toJsonLine();
                        List<Row> refs = new ArrayList<>();
                        for (Reference ref : item.references()) {
                            refs.add(RowFactory.create(ref.model(), ref.answer()));
                        }
                        out[n + 2] = Scala.seq(refs);
                    } catch (IllegalArgumentException | NullPointerException e) {
                        String what = "row " + (row.isNullAt(id) ? "with a null id" : row.getString(id)) + ": " + e.getMessage();
                        if (strict) {
                            throw new IllegalArgumentException(what, e);
                        }
                        out[n + 1] = e.getMessage();
                    }
                    return RowFactory.create(out);
                }
            };
        }

        private static FewlItem item(Row row, int id, int q, int a, int r, int w, int c) {
            Preconditions.checkArgument(!row.isNullAt(id), "id must not be null");
            String itemId = row.getString(id);
            Preconditions.checkArgument(!row.isNullAt(r), "item " + itemId + ": references must not be null");
            List<Reference> refs = new ArrayList<>();
            List<String> unanswered = new ArrayList<>();
            List<Row> list = row.getList(r);
            for (int i = 0; i < list.size(); i++) {
                Row ref = list.get(i);
                String model = ref == null ? null : ref.getAs("model");
                Preconditions.checkArgument(model != null && !model.isBlank(), "item " + itemId + ": references[" + i + "] has no model");
                String ans = ref.getAs("answer");
                if (ans == null || ans.isBlank()) {
                    unanswered.add(model);
                } else {
                    refs.add(Reference.of(model, ans));
                }
            }
            Preconditions.checkArgument(!refs.isEmpty() || !unanswered.isEmpty(), "item " + itemId + ": references must not be empty");
            return new FewlItem(itemId, row.getString(q), row.getString(a), refs, texts(row, w), texts(row, c), null, unanswered);
        }

        private static List<String> texts(Row row, int i) {
            return i < 0 || row.isNullAt(i) ? null : row.getList(i);
        }
    }

    // --- τ over the whole run -----------------------------------------------------------------

    /**
     * τ for the spread rule, as the single-JVM scorer pools it: e of every distinct (references,
     * IW, CO) group with IW/CO answers, in order of first appearance; {@code NaN} when no item
     * has IW/CO answers (then each batch's τ is what the run's would be: no expertise to pool).
     */
    static double runTemperature(Dataset<Row> valid, FewlOptions options) {
        StructType schema = new StructType().add("key", DataTypes.StringType).add("row", DataTypes.LongType)
                .add("e", DataTypes.createArrayType(DataTypes.DoubleType));
        StructType vs = valid.schema();
        Dataset<Row> groups = valid.mapPartitions(new Expertise(vs.fieldIndex(ITEM), vs.fieldIndex(ROW), options), Encoders.row(schema));
        List<Row> firsts = groups.groupBy("key").agg(min_by(col("e"), col("row")).as("e"), min("row").as("row"))
                .orderBy("row").collectAsList();
        if (firsts.isEmpty()) {
            return Double.NaN;
        }
        double sum = 0;
        int count = 0;
        for (Row r : firsts) {
            List<Double> e = r.getList(1);
            if (e.size() < 2) {
                continue;
            }
            double mean = 0;
            for (double x : e) {
                mean += x;
            }
            mean /= e.size();
            double v = 0;
            for (double x : e) {
                v += (x - mean) * (x - mean);
            }
            sum += v / e.size();
            count++;
        }
        double pooled = count == 0 ? 0 : Math.sqrt(sum / count);
        double t = options.temperature().multiplier() * pooled;
        return t > 1e-12 && Double.isFinite(t) ? t : 1.0;
    }

    /** The expertise e of each item with IW/CO answers (penalty off: e does not depend on it). */
    static final class Expertise implements MapPartitionsFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final int item;
        private final int row;
        private final FewlOptions options;

        Expertise(int item, int row, FewlOptions options) {
            this.item = item;
            this.row = row;
            this.options = options;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            List<Row> out = new ArrayList<>();
            List<FewlItem> batch = new ArrayList<>();
            List<Long> ids = new ArrayList<>();
            Embedder e = embedder(options);
            while (rows.hasNext()) {
                Row r = rows.next();
                FewlItem it = FewlItem.parse(r.getString(item));
                if (it.hasExpertiseAnswers()) {
                    batch.add(it);
                    ids.add(r.getLong(row));
                }
                if (batch.size() == options.batchSize() || (!rows.hasNext() && !batch.isEmpty())) {
                    try (FewlScorer s = options.scorerBuilder(e).penalty(false).build()) {
                        List<FewlScore> scores = s.scoreAll(batch);
                        for (int i = 0; i < batch.size(); i++) {
                            FewlScore sc = scores.get(i);
                            if (sc.scored() && sc.expertise().stream().noneMatch(x -> Double.isNaN(x))) {
                                FewlItem b = batch.get(i);
                                String key = b.references() + "\u0000" + b.wrongAnswers() + "\u0000" + b.correctedAnswers();
                                out.add(RowFactory.create(key, ids.get(i), Scala.seq(sc.expertise())));
                            }
                        }
                    }
                    batch.clear();
                    ids.clear();
                }
            }
            return out.iterator();
        }
    }

    // --- neighbours ---------------------------------------------------------------------------

    /** Each distinct question's neighbour entries, and which search found them. */
    record Neighbours(Dataset<Row> table, String search) {
    }

    static Neighbours neighbours(SparkSession spark, Dataset<Row> valid, FewlOptions options) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        // the corpus: distinct questions in order of first appearance, embedded on the executors
        Dataset<Row> firsts = valid.groupBy("question").agg(min(ROW).as("first"), min_by(col("id"), col(ROW)).as("firstId"));
        StructType embedded = new StructType().add("question", DataTypes.StringType).add("first", DataTypes.LongType)
                .add("firstId", DataTypes.StringType).add("vector", DataTypes.BinaryType);
        List<Row> corpus = new ArrayList<>(firsts.mapPartitions(new EmbedQuestions(options), Encoders.row(embedded)).collectAsList());
        corpus.sort(Comparator.comparingLong(r -> r.getLong(1)));
        int n = corpus.size();
        float[][] vectors = new float[n][];
        List<Row> index = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            vectors[i] = Vectors.fromBytes((byte[]) corpus.get(i).get(3));
            index.add(RowFactory.create(corpus.get(i).getString(0), i, corpus.get(i).getString(2)));
        }
        StructType indexSchema = new StructType().add("cq", DataTypes.StringType).add("cidx", DataTypes.IntegerType, false)
                .add("eid", DataTypes.StringType);
        Dataset<Row> corpusIndex = spark.createDataFrame(index, indexSchema);

        // the entries' answers: each model's first answer to the question, as CorpusEntry keeps it
        Dataset<Row> refs = valid.select(col("question"), col(ROW), posexplode(col(REFS)).as(new String[]{"pos", "ref"}));
        Dataset<Row> firstAnswers = refs.groupBy(col("question"), col("ref.model").as("model"))
                .agg(min_by(col("ref.answer"), struct(col(ROW), col("pos"))).as("answer"));
        Dataset<Row> answers = firstAnswers.groupBy("question")
                .agg(map_from_entries(collect_list(struct(col("model"), col("answer")))).as("answers"));
        Dataset<Row> entries = corpusIndex.join(answers, corpusIndex.col("cq").equalTo(answers.col("question")), "left_outer")
                .select(col("cidx"), col("eid"), col("cq").as("equestion"), col("answers"));

        // the search
        Broadcast<float[][]> bv = jsc.broadcast(vectors);
        NeighbourIndex choice = options.neighbourIndex();
        Broadcast<List<byte[]>> bi = null;
        String search;
        if (choice.usesIndex(n)) {
            try (HnswIndex idx = HnswIndex.build(vectors, options.hnsw())) {
                bi = jsc.broadcast(chunks(idx));
                search = options.hnsw().describe() + " (built on the driver, broadcast) over " + n + " corpus questions";
            }
        } else {
            search = "exact (broadcast corpus, per-partition blocked search) over " + n + " corpus questions";
        }
        int parts = options.searchPartitions() > 0 ? options.searchPartitions() : jsc.defaultParallelism();
        StructType found = new StructType().add("qidx", DataTypes.IntegerType, false)
                .add("nbs", DataTypes.createArrayType(DataTypes.IntegerType, false));
        Dataset<Row> nbs = spark.range(0, n, 1, Math.max(1, Math.min(parts, n)))
                .mapPartitions(new Search(bv, bi, options), Encoders.row(found));
        Dataset<Row> pairs = nbs.select(col("qidx"), posexplode(col("nbs")).as(new String[]{"rank", "nidx"}));
        Dataset<Row> joined = pairs.join(entries, pairs.col("nidx").equalTo(entries.col("cidx")))
                .groupBy("qidx").agg(collect_list(struct(col("cidx"), col("eid"), col("equestion"), col("answers"))).as(NB));
        Dataset<Row> table = joined.join(corpusIndex, joined.col("qidx").equalTo(corpusIndex.col("cidx")))
                .select(col("cq").as("nq"), col(NB));
        return new Neighbours(table, search);
    }

    private static List<byte[]> chunks(HnswIndex index) {
        List<byte[]> out = new ArrayList<>();
        try (OutputStream os = new OutputStream() {
            private ByteArrayOutputStream cur = new ByteArrayOutputStream();

            @Override
            public void write(int b) {
                cur.write(b);
                roll();
            }

            @Override
            public void write(byte[] b, int off, int len) {
                cur.write(b, off, len);
                roll();
            }

            private void roll() {
                if (cur.size() >= (64 << 20)) {
                    flushChunk();
                }
            }

            private void flushChunk() {
                if (cur.size() > 0) {
                    out.add(cur.toByteArray());
                    cur = new ByteArrayOutputStream();
                }
            }

            @Override
            public void close() {
                flushChunk();
            }
        }) {
            index.writeTo(os);
        } catch (IOException e) {
            throw new UncheckedIOException("serialising the HNSW index failed", e);
        }
        return out;
    }

    /** Embeds the distinct questions of a partition. */
    static final class EmbedQuestions implements MapPartitionsFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final FewlOptions options;

        EmbedQuestions(FewlOptions options) {
            this.options = options;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            Embedder e = embedder(options);
            List<Row> out = new ArrayList<>();
            List<Row> batch = new ArrayList<>();
            while (rows.hasNext()) {
                batch.add(rows.next());
                if (batch.size() == options.batchSize() || !rows.hasNext()) {
                    List<String> texts = new ArrayList<>(batch.size());
                    batch.forEach(r -> texts.add(r.getString(0)));
                    float[][] v = e.embedAll(texts);
                    for (int i = 0; i < batch.size(); i++) {
                        Row r = batch.get(i);
                        for (float x : v[i]) {
                            if (!Float.isFinite(x)) {
                                throw new IllegalArgumentException("item " + r.getString(2) + ": the question has an embedding that contains " + x);
                            }
                        }
                        out.add(RowFactory.create(r.getString(0), r.getLong(1), r.getString(2), Vectors.toBytes(v[i])));
                    }
                    batch.clear();
                }
            }
            return out.iterator();
        }
    }

    /** The K nearest corpus rows of a partition's corpus rows (each its own self). */
    static final class Search implements MapPartitionsFunction<Long, Row> {
        private static final long serialVersionUID = 1L;
        private final Broadcast<float[][]> vectors;
        private final Broadcast<List<byte[]>> index;
        private final FewlOptions options;

        Search(Broadcast<float[][]> vectors, Broadcast<List<byte[]>> index, FewlOptions options) {
            this.vectors = vectors;
            this.index = index;
            this.options = options;
        }

        @Override
        public Iterator<Row> call(Iterator<Long> ids) {
            float[][] corpus = vectors.value();
            List<Integer> rows = new ArrayList<>();
            ids.forEachRemaining(i -> rows.add(i.intValue()));
            float[][] queries = new float[rows.size()][];
            int[] self = new int[rows.size()];
            for (int i = 0; i < rows.size(); i++) {
                self[i] = rows.get(i);
                queries[i] = corpus[self[i]];
            }
            NeighbourSearch.Result r;
            if (index == null) {
                r = NeighbourSearch.topK(queries, corpus, options.neighbours(), self, options.duplicateThreshold());
            } else {
                HnswIndex idx = ExecutorResources.get("hnsw:" + index.id(), HnswIndex.class, () -> {
                    List<InputStream> parts = new ArrayList<>();
                    for (byte[] b : index.value()) {
                        parts.add(new java.io.ByteArrayInputStream(b));
                    }
                    try (InputStream in = new SequenceInputStream(Collections.enumeration(parts))) {
                        return HnswIndex.read(in, corpus, "the broadcast HNSW index");
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
                r = idx.search(queries, options.neighbours(), self, options.duplicateThreshold(), options.hnsw().efSearch());
            }
            List<Row> out = new ArrayList<>(rows.size());
            for (int i = 0; i < rows.size(); i++) {
                List<Integer> nb = new ArrayList<>(r.indices()[i].length);
                for (int j : r.indices()[i]) {
                    nb.add(j);
                }
                out.add(RowFactory.create(self[i], Scala.seq(nb)));
            }
            return out.iterator();
        }
    }

    // --- scoring ------------------------------------------------------------------------------

    /** Scores batches of a partition's rows with their neighbour entries as the corpus. */
    static final class Score implements MapPartitionsFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final StructType schema;
        private final int inputColumns;
        private final FewlOptions options;
        private final double tau;
        private final String search;

        Score(StructType schema, int inputColumns, FewlOptions options, double tau, String search) {
            this.schema = schema;
            this.inputColumns = inputColumns;
            this.options = options;
            this.tau = tau;
            this.search = search;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            int item = schema.fieldIndex(ITEM);
            int err = schema.fieldIndex(ERR);
            int nb = schema.fieldIndex(NB);
            Embedder e = embedder(options);
            FewlScorer.Builder base = options.scorerBuilder(e).neighbourIndex(NeighbourIndex.exact());
            if (!Double.isNaN(tau)) {
                base.temperature(Temperature.fixed(tau));
            }
            return new Iterator<>() {
                private Iterator<Row> ready = Collections.emptyIterator();

                @Override
                public boolean hasNext() {
                    if (!ready.hasNext() && rows.hasNext()) {
                        ready = next(rows).iterator();
                    }
                    return ready.hasNext();
                }

                @Override
                public Row next() {
                    if (!hasNext()) {
                        throw new java.util.NoSuchElementException();
                    }
                    return ready.next();
                }

                private List<Row> next(Iterator<Row> source) {
                    List<Row> batch = new ArrayList<>();
                    while (source.hasNext() && batch.size() < options.batchSize()) {
                        batch.add(source.next());
                    }
                    return scoreBatch(batch, item, err, nb, base);
                }
            };
        }

        private List<Row> scoreBatch(List<Row> batch, int item, int err, int nb, FewlScorer.Builder base) {
            List<FewlItem> items = new ArrayList<>();
            List<Integer> at = new ArrayList<>();
            TreeMap<Integer, FewlItem> corpus = new TreeMap<>();
            for (int i = 0; i < batch.size(); i++) {
                Row r = batch.get(i);
                if (!r.isNullAt(err)) {
                    continue;
                }
                items.add(FewlItem.parse(r.getString(item)));
                at.add(i);
                if (!r.isNullAt(nb)) {
                    for (Row entry : r.<Row>getList(nb)) {
                        corpus.computeIfAbsent(entry.getInt(0), k -> entryItem(entry));
                    }
                }
            }
            Object[][] scores = new Object[batch.size()][];
            if (!items.isEmpty()) {
                List<FewlScore> s;
                try (FewlScorer scorer = base.copy().corpus(new ArrayList<>(corpus.values())).build()) {
                    s = scorer.scoreAll(items);
                }
                for (int k = 0; k < items.size(); k++) {
                    scores[at.get(k)] = columns(s.get(k));
                }
            }
            List<Row> out = new ArrayList<>(batch.size());
            for (int i = 0; i < batch.size(); i++) {
                Row r = batch.get(i);
                Object[] o = new Object[inputColumns + 8];
                for (int c = 0; c < inputColumns; c++) {
                    o[c] = r.get(c);
                }
                if (scores[i] != null) {
                    System.arraycopy(scores[i], 0, o, inputColumns, 6);
                    o[inputColumns + 7] = scores[i][6];
                } else {
                    o[inputColumns + 7] = r.getString(err);
                }
                o[inputColumns + 6] = search;
                if (options.strict() && o[inputColumns + 7] != null) {
                    throw new IllegalArgumentException("row " + r.get(schema.fieldIndex("id")) + ": " + o[inputColumns + 7]);
                }
                out.add(RowFactory.create(o));
            }
            return out;
        }

        private static FewlItem entryItem(Row entry) {
            Map<String, String> answers = entry.isNullAt(3) ? Map.of() : entry.getJavaMap(3);
            List<Reference> refs = new ArrayList<>();
            new TreeMap<>(answers).forEach((m, a) -> refs.add(Reference.of(m, a)));
            // a corpus entry contributes its question and its models' answers; its own "answer" is never read
            return new FewlItem(entry.getString(1), entry.getString(2), entry.getString(2), refs, null, null, null,
                    refs.isEmpty() ? List.of("(none)") : List.of());
        }

        private static Object[] columns(FewlScore s) {
            if (!s.scored()) {
                return new Object[]{null, null, null, null, null, Scala.seq(s.notes()), String.join("; ", s.notes())};
            }
            Map<String, Double> w = new LinkedHashMap<>();
            for (int i = 0; i < s.models().size(); i++) {
                w.put(s.models().get(i), s.weights().get(i));
            }
            Double t = Double.isNaN(s.temperature()) ? null : s.temperature();
            return new Object[]{s.total(), s.truthfulness(), s.penalty(), Scala.map(w), t, Scala.seq(s.notes()), null};
        }
    }
}
