package dev.keel.spark;

import dev.keel.core.internal.Preconditions;
import dev.keel.safety.HarmfulnessJudge;
import dev.keel.safety.JudgeItem;
import dev.keel.safety.PolicyCategory;
import dev.keel.safety.Verdict;
import dev.keel.spark.internal.ExecutorResources;
import dev.keel.spark.internal.RateLimiter;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Harmfulness verdicts for a Spark {@code Dataset} of responses.
 *
 * <p><b>Input columns</b> (others are passed through): {@code id} string, {@code category} string
 * (a {@link PolicyCategory} id, name or number), {@code instruction} string, {@code response}
 * string. A missing column or one that is not a string is an {@link IllegalArgumentException}
 * before anything runs.
 *
 * <p><b>Output</b>: the input rows with {@value #SCORE} int (1..5, null unless scored),
 * {@value #OUTCOME} string ({@code scored}, {@code unparsed} or {@code error}: the judge failed),
 * {@value #REASON} string and {@value #ERROR} string: null, or why the row is malformed (then the
 * verdict columns are null; in strict mode the job fails instead).
 *
 * <p>Each executor JVM makes one judge per {@link JudgeOptions} and shares it between its tasks;
 * with {@link JudgeOptions.Builder#requestsPerSecond} its requests are paced by one limiter per
 * endpoint and JVM, so a cluster of E executors sends at most E times that rate.
 *
 * <pre>{@code
 * Dataset<Row> verdicts = JudgeSpark.judge(spark.read().json("responses.jsonl"),
 *         JudgeOptions.rubric("http://vllm:8000/v1", "judge").requestsPerSecond(5).build());
 * }</pre>
 */
public final class JudgeSpark {

    /** Output column: the harmfulness score. */
    public static final String SCORE = "judge_score";
    /** Output column: the verdict's outcome. */
    public static final String OUTCOME = "judge_outcome";
    /** Output column: the judge's reason, raw reply or failure. */
    public static final String REASON = "judge_reason";
    /** Output column: why a row is malformed, or null. */
    public static final String ERROR = "error";

    private static final List<String> INPUT = List.of("id", "category", "instruction", "response");

    private JudgeSpark() {
    }

    /**
     * Judges every row.
     *
     * @param responses the responses (see the class comment for the columns)
     * @param options   the judge and its limits
     * @return the rows with the verdict columns (lazy)
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if a column is missing or not a string, or an output column exists
     */
    public static Dataset<Row> judge(Dataset<Row> responses, JudgeOptions options) {
        Preconditions.notNull(responses, "responses");
        Preconditions.notNull(options, "options");
        StructType in = responses.schema();
        List<String> names = Arrays.asList(in.fieldNames());
        for (String c : INPUT) {
            Preconditions.checkArgument(names.contains(c), "the responses have no column " + c + " (string); columns: " + String.join(", ", names));
            Preconditions.checkArgument(in.apply(c).dataType().equals(DataTypes.StringType),
                    "column " + c + " must be string, was " + in.apply(c).dataType().simpleString());
        }
        for (String c : List.of(SCORE, OUTCOME, REASON, ERROR)) {
            Preconditions.checkArgument(!names.contains(c), "the input already has a column " + c + ", which the output adds; rename or drop it");
        }
        StructType out = in.add(SCORE, DataTypes.IntegerType).add(OUTCOME, DataTypes.StringType)
                .add(REASON, DataTypes.StringType).add(ERROR, DataTypes.StringType);
        return responses.mapPartitions(new Judge(in, options), Encoders.row(out));
    }

    /** Judges a partition in batches. */
    static final class Judge implements MapPartitionsFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final StructType schema;
        private final JudgeOptions options;

        Judge(StructType schema, JudgeOptions options) {
            this.schema = schema;
            this.options = options;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            HarmfulnessJudge judge = ExecutorResources.get(options.key(), HarmfulnessJudge.class, options::createJudge);
            String lk = options.limiterKey();
            RateLimiter limiter = lk == null ? null
                    : ExecutorResources.get(lk, RateLimiter.class, () -> new RateLimiter(options.requestsPerSecond()));
            int[] at = INPUT.stream().mapToInt(schema::fieldIndex).toArray();
            return new Iterator<>() {
                private Iterator<Row> ready = Collections.emptyIterator();

                @Override
                public boolean hasNext() {
                    while (!ready.hasNext() && rows.hasNext()) {
                        List<Row> batch = new ArrayList<>();
                        while (rows.hasNext() && batch.size() < options.batchSize()) {
                            batch.add(rows.next());
                        }
                        ready = judgeBatch(batch, judge, limiter, at).iterator();
                    }
                    return ready.hasNext();
                }

                @Override
                public Row next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    return ready.next();
                }
            };
        }

        private List<Row> judgeBatch(List<Row> batch, HarmfulnessJudge judge, RateLimiter limiter, int[] at) {
            int n = schema.size();
            List<JudgeItem> items = new ArrayList<>();
            List<Integer> where = new ArrayList<>();
            String[] errors = new String[batch.size()];
            for (int i = 0; i < batch.size(); i++) {
                Row r = batch.get(i);
                try {
                    items.add(item(r, at));
                    where.add(i);
                } catch (IllegalArgumentException | NullPointerException e) {
                    String what = "row " + (r.isNullAt(at[0]) ? "with a null id" : r.getString(at[0])) + ": " + e.getMessage();
                    if (options.strict()) {
                        throw new IllegalArgumentException(what, e);
                    }
                    errors[i] = e.getMessage();
                }
            }
            Verdict[] verdicts = new Verdict[batch.size()];
            if (!items.isEmpty()) {
                if (limiter != null) {
                    try {
                        for (int k = 0; k < items.size(); k++) {
                            limiter.acquire();
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted while waiting for the judge's rate limit", e);
                    }
                }
                List<Verdict> v = judge.judgeAll(items);
                for (int k = 0; k < items.size(); k++) {
                    verdicts[where.get(k)] = v.get(k);
                }
            }
            List<Row> out = new ArrayList<>(batch.size());
            for (int i = 0; i < batch.size(); i++) {
                Object[] o = new Object[n + 4];
                for (int c = 0; c < n; c++) {
                    o[c] = batch.get(i).get(c);
                }
                Verdict v = verdicts[i];
                if (v != null) {
                    o[n] = v.score();
                    o[n + 1] = v.outcome().wireName();
                    o[n + 2] = v.reason();
                } else {
                    o[n + 3] = errors[i];
                }
                out.add(RowFactory.create(o));
            }
            return out;
        }

        private static JudgeItem item(Row r, int[] at) {
            for (int k = 0; k < at.length; k++) {
                Preconditions.checkArgument(!r.isNullAt(at[k]), INPUT.get(k) + " must not be null");
            }
            return new JudgeItem(r.getString(at[0]), PolicyCategory.parse(r.getString(at[1])), r.getString(at[2]), r.getString(at[3]));
        }
    }
}
