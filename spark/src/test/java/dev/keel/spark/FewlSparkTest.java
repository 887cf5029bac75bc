package dev.keel.spark;

import dev.keel.core.testkit.TestEmbedders;
import dev.keel.fewl.FewlItem;
import dev.keel.fewl.FewlScore;
import dev.keel.fewl.FewlScorer;
import dev.keel.fewl.HnswIndex;
import dev.keel.fewl.NeighbourIndex;
import dev.keel.fewl.Reference;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FewlSparkTest {

    static final StructType REF = new StructType().add("model", DataTypes.StringType).add("answer", DataTypes.StringType);
    static final StructType SCHEMA = new StructType().add("id", DataTypes.StringType).add("question", DataTypes.StringType)
            .add("answer", DataTypes.StringType).add("references", DataTypes.createArrayType(REF))
            .add("wrongAnswers", DataTypes.createArrayType(DataTypes.StringType))
            .add("correctedAnswers", DataTypes.createArrayType(DataTypes.StringType))
            .add("extra", DataTypes.IntegerType);

    static final String[] TOPICS = {"sky", "river", "mountain", "city", "forest", "ocean", "desert", "island", "moon", "volcano"};

    /** Items over ten topics; a third have IW/CO answers, some a reference that did not answer, some share a question. */
    static List<FewlItem> items(int n) {
        List<FewlItem> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String t = TOPICS[i % TOPICS.length];
            String q = i % 17 == 5 ? "what colour is the " + t : "what is the " + t + " number " + (i % 41) + " like on day " + (i % 7);
            List<Reference> refs = new ArrayList<>(List.of(Reference.of("A", t + " reference " + (i % 5) + " bright"),
                    Reference.of("B", "other " + t + " " + (i % 7))));
            List<String> unanswered = List.of();
            if (i % 4 != 0) {
                refs.add(Reference.of("C", "the " + t + " seems " + (i % 3 == 0 ? "calm" : "wild")));
            } else if (i % 8 == 0) {
                unanswered = List.of("C");
            }
            List<String> wrong = i % 3 == 0 ? List.of("not a " + t + " at all", "a " + TOPICS[(i + 3) % 10]) : List.of();
            List<String> corrected = i % 3 == 0 ? List.of("the " + t + " reference " + (i % 5)) : List.of();
            out.add(new FewlItem("i" + i, q, "a " + t + " answer " + (i % 3) + " reference", refs, wrong, corrected, null, unanswered));
        }
        return out;
    }

    static Row row(FewlItem it, int extra) {
        List<Row> refs = new ArrayList<>();
        it.references().forEach(r -> refs.add(RowFactory.create(r.model(), r.answer())));
        it.unanswered().forEach(m -> refs.add(RowFactory.create(m, null)));
        return RowFactory.create(it.id(), it.question(), it.answer(), refs,
                it.wrongAnswers().isEmpty() ? null : it.wrongAnswers(), it.correctedAnswers().isEmpty() ? null : it.correctedAnswers(), extra);
    }

    static Dataset<Row> frame(List<Row> rows, int partitions) {
        SparkSession spark = SparkTestSession.get();
        return spark.createDataFrame(rows, SCHEMA).repartition(partitions).sortWithinPartitions("extra");
    }

    static Map<String, Row> byId(Dataset<Row> scored) {
        Map<String, Row> m = new HashMap<>();
        for (Row r : scored.collectAsList()) {
            m.put(r.getAs("id"), r);
        }
        return m;
    }

    static FewlOptions.Builder options() {
        return FewlOptions.builder().embedder(new SparkTestSession.Hashing()).neighbours(5).batchSize(16);
    }

    @Test
    void sparkScoresEqualTheSingleJvmScorersWithTheExactSearch() {
        List<FewlItem> items = items(150);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            rows.add(row(items.get(i), i));
        }
        FewlOptions o = options().neighbourSearch(NeighbourIndex.Kind.EXACT).build();
        // the rows stay in their order inside one partition, so first appearance is the list's order
        Dataset<Row> in = SparkTestSession.get().createDataFrame(rows, SCHEMA).coalesce(1);
        Map<String, Row> spark = byId(FewlSpark.score(in, o));
        List<FewlScore> single;
        try (FewlScorer s = o.scorerBuilder(new TestEmbedders.Hashing(64)).build()) {
            single = s.scoreAll(items);
        }
        assertThat(spark).hasSize(150);
        int withPenalty = 0;
        for (FewlScore s : single) {
            Row r = spark.get(s.id());
            assertThat(s.scored()).isTrue();
            assertThat(r.<String>getAs(FewlSpark.ERROR)).as(s.id()).isNull();
            assertThat(r.<Double>getAs(FewlSpark.TOTAL)).as(s.id()).isEqualTo(s.total());
            assertThat(r.<Double>getAs(FewlSpark.TRUTHFULNESS)).as(s.id()).isEqualTo(s.truthfulness());
            assertThat(r.<Double>getAs(FewlSpark.PENALTY)).as(s.id()).isEqualTo(s.penalty());
            assertThat(r.<Double>getAs(FewlSpark.TEMPERATURE)).as(s.id()).isEqualTo(Double.isNaN(s.temperature()) ? null : s.temperature());
            Map<String, Double> w = r.getJavaMap(r.fieldIndex(FewlSpark.WEIGHTS));
            for (int k = 0; k < s.models().size(); k++) {
                assertThat(w.get(s.models().get(k))).isEqualTo(s.weights().get(k));
            }
            assertThat(r.<String>getList(r.fieldIndex(FewlSpark.NOTES))).containsExactlyElementsOf(s.notes());
            assertThat(r.<Integer>getAs("extra")).isEqualTo(Integer.parseInt(s.id().substring(1)));
            withPenalty += s.penalty() != 0 ? 1 : 0;
        }
        assertThat(withPenalty).isGreaterThan(100);
        // λ is not uniform where there are IW/CO answers: τ came from the whole run
        assertThat(single.get(0).weights().stream().distinct().count()).isGreaterThan(1);
        assertThat(spark.get("i0").<String>getAs(FewlSpark.SEARCH)).startsWith("exact (broadcast corpus");
    }

    @Test
    void theHnswIndexBroadcastFromTheDriverFindsTheSameNeighboursOnASmallCorpus() {
        List<FewlItem> items = items(60);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            rows.add(row(items.get(i), i));
        }
        FewlOptions o = options().neighbourSearch(NeighbourIndex.Kind.AUTO).autoThreshold(10)
                .hnsw(new HnswIndex.Parameters(8, 50, 60, 25, 3)).fixedTemperature(0.1).build();
        // one input partition keeps the list's order (first appearance decides ties); the later stages are shuffled
        Map<String, Row> spark = byId(FewlSpark.score(SparkTestSession.get().createDataFrame(rows, SCHEMA).coalesce(1), o));
        List<FewlScore> single;
        try (FewlScorer s = o.scorerBuilder(new TestEmbedders.Hashing(64)).neighbourIndex(NeighbourIndex.exact()).build()) {
            single = s.scoreAll(items);
        }
        for (FewlScore s : single) {
            // 60 questions in shards of 25, 60 candidates a shard: every row is a candidate, so the exact answer
            assertThat(spark.get(s.id()).<Double>getAs(FewlSpark.TOTAL)).as(s.id()).isEqualTo(s.total());
        }
        assertThat(spark.get("i1").<String>getAs(FewlSpark.SEARCH))
                .isEqualTo("hnsw(m=8,beamWidth=50,efSearch=60,shardSize=25,seed=3) (built on the driver, broadcast) over 60 corpus questions");
    }

    @Test
    void malformedRowsBecomeErrorRowsAndStrictModeFailsTheJob() {
        List<FewlItem> items = items(20);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            rows.add(row(items.get(i), i));
        }
        rows.add(RowFactory.create(null, "q", "a", List.of(RowFactory.create("A", "x")), null, null, 100));
        rows.add(RowFactory.create("blank", "what is the sky", " ", List.of(RowFactory.create("A", "x")), null, null, 101));
        rows.add(RowFactory.create("norefs", "what is the sky", "blue", null, null, null, 102));
        rows.add(RowFactory.create("emptyrefs", "what is the sky", "blue", List.of(), null, null, 103));
        rows.add(RowFactory.create("nomodel", "what is the sky", "blue", List.of(RowFactory.create(null, "x")), null, null, 104));
        rows.add(RowFactory.create("silent", "what is the silent sky", "blue", List.of(RowFactory.create("A", "")), null, null, 105));
        Dataset<Row> in = frame(rows, 2);
        List<Row> out = FewlSpark.score(in, options().build()).collectAsList();
        assertThat(out).hasSize(26);
        Map<Integer, String> errors = new HashMap<>();
        for (Row r : out) {
            int extra = r.getAs("extra");
            String e = r.getAs(FewlSpark.ERROR);
            if (extra < 100) {
                assertThat(e).isNull();
                assertThat(r.<Double>getAs(FewlSpark.TOTAL)).isNotNull();
            } else {
                errors.put(extra, e);
                assertThat(r.<Double>getAs(FewlSpark.TOTAL)).isNull();
            }
        }
        assertThat(errors.get(100)).isEqualTo("id must not be null");
        assertThat(errors.get(101)).isEqualTo("item blank: answer must not be empty");
        assertThat(errors.get(102)).isEqualTo("item norefs: references must not be null");
        assertThat(errors.get(103)).isEqualTo("item emptyrefs: references must not be empty");
        assertThat(errors.get(104)).isEqualTo("item nomodel: references[0] has no model");
        assertThat(errors.get(105)).contains("not scored: no reference answered (1 blank or missing)");

        // score() runs τ's pass and the neighbour search at once, so a strict run can fail before collect
        List<Row> oneBad = new ArrayList<>(rows.subList(0, 20));
        oneBad.add(rows.get(21));
        assertThatThrownBy(() -> FewlSpark.score(frame(oneBad, 2), options().strict(true).build()).collectAsList())
                .hasMessageContaining("row blank: item blank: answer must not be empty");
    }

    @Test
    void badSchemasAreRefusedBeforeAnythingRuns() {
        SparkSession spark = SparkTestSession.get();
        Dataset<Row> noAnswer = spark.createDataFrame(List.of(), new StructType().add("id", DataTypes.StringType)
                .add("question", DataTypes.StringType).add("references", DataTypes.createArrayType(REF)));
        assertThatThrownBy(() -> FewlSpark.score(noAnswer, options().build())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("the items have no column answer (string); columns: id, question, references");
        Dataset<Row> wrongRefs = spark.createDataFrame(List.of(), new StructType().add("id", DataTypes.StringType)
                .add("question", DataTypes.StringType).add("answer", DataTypes.StringType)
                .add("references", DataTypes.createArrayType(DataTypes.StringType)));
        assertThatThrownBy(() -> FewlSpark.score(wrongRefs, options().build()))
                .hasMessage("column references must be array<struct<model: string, answer: string>>, was array<string>");
        Dataset<Row> taken = spark.createDataFrame(List.of(), SCHEMA.add(FewlSpark.ERROR, DataTypes.StringType));
        assertThatThrownBy(() -> FewlSpark.score(taken, options().build()))
                .hasMessage("the input already has a column error, which the output adds; rename or drop it");
        assertThatThrownBy(() -> FewlOptions.builder().batchSize(0)).hasMessage("batchSize must be >= 1, was 0");
        assertThatThrownBy(() -> FewlOptions.builder().duplicateThreshold(-1)).hasMessage("duplicateThreshold must be in (-1, 1], was -1.0");
        assertThat(Arrays.asList(FewlSpark.score(spark.createDataFrame(List.of(), SCHEMA), options().penalty(false).build()).columns()))
                .endsWith(FewlSpark.TOTAL, FewlSpark.TRUTHFULNESS, FewlSpark.PENALTY, FewlSpark.WEIGHTS, FewlSpark.TEMPERATURE,
                        FewlSpark.NOTES, FewlSpark.SEARCH, FewlSpark.ERROR);
    }
}
