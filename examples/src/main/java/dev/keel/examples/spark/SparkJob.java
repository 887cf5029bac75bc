package dev.keel.examples.spark;

import dev.keel.core.internal.Preconditions;
import dev.keel.fewl.NeighbourIndex;
import dev.keel.spark.FewlOptions;
import dev.keel.spark.FewlSpark;
import dev.keel.spark.JudgeOptions;
import dev.keel.spark.JudgeSpark;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

import java.util.Arrays;
import java.util.Locale;

/**
 * The driver {@code spark-submit} runs (see {@code spark/README.md}):
 *
 * <pre>
 * spark-submit --class dev.keel.examples.spark.SparkJob keel.jar fewl  ITEMS.jsonl OUT [exact|hnsw|auto]
 * spark-submit --class dev.keel.examples.spark.SparkJob keel.jar judge RESPONSES.jsonl OUT BASE_URL MODEL [REQUESTS_PER_SECOND]
 * </pre>
 *
 * {@code fewl} reads FEWL items (one JSON object a line, the items format), scores them with
 * {@link FewlSpark#score} and writes the rows with their score columns as JSON Lines under
 * {@code OUT}; {@code judge} reads responses ({@code id, category, instruction, response}) and
 * writes {@link JudgeSpark#judge}'s verdicts. An existing {@code OUT} is refused (Spark's
 * {@link SaveMode#ErrorIfExists}): an output never replaces anything. The judge's API key, if any,
 * is read on the executors from {@code KEEL_JUDGE_API_KEY}.
 */
public final class SparkJob {

    private SparkJob() {
    }

    /**
     * Runs the job named by the first argument in the session {@code spark-submit} made.
     *
     * @param args {@code fewl ITEMS OUT [search]} or {@code judge RESPONSES OUT BASE_URL MODEL [rps]}
     */
    public static void main(String[] args) {
        SparkSession spark = SparkSession.builder().appName("keel " + (args.length > 0 ? args[0] : "")).getOrCreate();
        try {
            long[] counts = run(spark, args);
            System.out.printf(Locale.ROOT, "%d rows written, %d with an error%n", counts[0], counts[1]);
        } finally {
            spark.stop();
        }
    }

    /**
     * Runs one job in {@code spark}.
     *
     * @param spark the session
     * @param args  see {@link #main}
     * @return the rows written and how many of them have an {@code error}
     * @throws IllegalArgumentException for a bad argument list, naming what is expected
     */
    public static long[] run(SparkSession spark, String... args) {
        Preconditions.notNull(spark, "spark");
        Preconditions.checkArgument(args.length >= 3, "usage: fewl ITEMS OUT [exact|hnsw|auto] | judge RESPONSES OUT BASE_URL MODEL [rps]; got "
                + Arrays.toString(args));
        Dataset<Row> out;
        String error;
        if (args[0].equals("fewl")) {
            Preconditions.checkArgument(args.length <= 4, "fewl takes ITEMS OUT [exact|hnsw|auto], got " + Arrays.toString(args));
            NeighbourIndex.Kind kind = args.length == 4 ? kind(args[3]) : NeighbourIndex.Kind.AUTO;
            Dataset<Row> items = spark.read().schema(FewlSpark.itemSchema()).json(args[1]);
            out = FewlSpark.score(items, FewlOptions.builder().neighbourSearch(kind).build());
            error = FewlSpark.ERROR;
        } else if (args[0].equals("judge")) {
            Preconditions.checkArgument(args.length == 5 || args.length == 6,
                    "judge takes RESPONSES OUT BASE_URL MODEL [rps], got " + Arrays.toString(args));
            JudgeOptions.Builder o = JudgeOptions.rubric(args[3], args[4]);
            if (System.getenv("KEEL_JUDGE_API_KEY") != null) {
                o.apiKeyEnv("KEEL_JUDGE_API_KEY");
            }
            if (args.length == 6) {
                o.requestsPerSecond(Double.parseDouble(args[5]));
            }
            Dataset<Row> responses = spark.read().schema("id STRING, category STRING, instruction STRING, response STRING").json(args[1]);
            out = JudgeSpark.judge(responses, o.build());
            error = JudgeSpark.ERROR;
        } else {
            throw new IllegalArgumentException("the job must be fewl or judge, was " + args[0]);
        }
        out.cache();
        try {
            out.write().mode(SaveMode.ErrorIfExists).json(args[2]);
            return new long[]{out.count(), out.filter(out.col(error).isNotNull()).count()};
        } finally {
            out.unpersist();
        }
    }

    private static NeighbourIndex.Kind kind(String s) {
        try {
            return NeighbourIndex.Kind.valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the neighbour search must be exact, hnsw or auto, was " + s, e);
        }
    }
}
