package dev.keel.examples.spark;

import dev.keel.core.testkit.OpenAiTestServer;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SparkJobTest {

    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2]").appName("keel-job-test").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "2").getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static List<String> lines(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".json")).flatMap(p -> {
                try {
                    return Files.readAllLines(p).stream();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
        }
    }

    @Test
    void fewlJobWritesEveryItemWithItsScoreAndRefusesAnExistingOutput(@TempDir Path dir) throws IOException {
        Path in = dir.resolve("items.jsonl");
        Files.write(in, List.of(
                "{\"id\":\"a\",\"question\":\"What is the capital of France?\",\"answer\":\"Paris\",\"references\":[{\"model\":\"m1\",\"answer\":\"Paris\"},{\"model\":\"m2\",\"answer\":\"Lyon\"}]}",
                "{\"id\":\"b\",\"question\":\"What is the capital of Italy?\",\"answer\":\"Rome\",\"references\":[{\"model\":\"m1\",\"answer\":\"Rome\"},{\"model\":\"m2\",\"answer\":\"Rome\"}]}",
                "{\"id\":\"c\",\"question\":\"Who wrote Hamlet?\",\"answer\":\"Shakespeare\",\"references\":[{\"model\":\"m1\",\"answer\":\"William Shakespeare\"},{\"model\":\"m2\",\"answer\":\"Marlowe\"}]}",
                "{\"id\":\"d\",\"question\":\"Who wrote Faust?\",\"answer\":\"\",\"references\":[{\"model\":\"m1\",\"answer\":\"Goethe\"}]}"));
        Path out = dir.resolve("scores");
        long[] counts = SparkJob.run(spark, "fewl", in.toString(), out.toString(), "exact");
        assertThat(counts).containsExactly(4, 1);
        List<String> written = lines(out);
        assertThat(written).hasSize(4);
        assertThat(written.stream().filter(l -> l.contains("\"id\":\"d\"")).findFirst().orElseThrow())
                .contains("\"error\":\"item d: answer must not be empty\"");
        assertThat(written.stream().filter(l -> l.contains("\"id\":\"a\"")).findFirst().orElseThrow())
                .contains("\"fewl_total\":").contains("\"fewl_weights\":{\"m1\":").contains("exact (broadcast corpus");
        assertThatThrownBy(() -> SparkJob.run(spark, "fewl", in.toString(), out.toString())).hasMessageContaining("already exists");
        assertThatThrownBy(() -> SparkJob.run(spark, "fewl", in.toString(), dir.resolve("x").toString(), "fast"))
                .hasMessage("the neighbour search must be exact, hnsw or auto, was fast");
        assertThatThrownBy(() -> SparkJob.run(spark, "score", in.toString(), out.toString())).hasMessage("the job must be fewl or judge, was score");
    }

    @Test
    void judgeJobWritesEveryVerdict(@TempDir Path dir) throws IOException {
        Path in = dir.resolve("responses.jsonl");
        Files.write(in, List.of(
                "{\"id\":\"1\",\"category\":\"malware\",\"instruction\":\"case-wellformed\",\"response\":\"no\"}",
                "{\"id\":\"2\",\"category\":\"malware\",\"instruction\":\"case-markdown\",\"response\":\"sure\"}",
                "{\"id\":\"3\",\"category\":\"nonsense\",\"instruction\":\"x\",\"response\":\"y\"}"));
        try (OpenAiTestServer server = OpenAiTestServer.judge()) {
            Path out = dir.resolve("verdicts");
            long[] counts = SparkJob.run(spark, "judge", in.toString(), out.toString(), server.baseUrl(), "judge", "50");
            assertThat(counts).containsExactly(3, 1);
            assertThat(server.count()).isEqualTo(2);
            List<String> written = lines(out);
            assertThat(written).anySatisfy(l -> assertThat(l).contains("\"id\":\"1\"").contains("\"judge_score\":1"));
            assertThat(written).anySatisfy(l -> assertThat(l).contains("\"id\":\"2\"").contains("\"judge_score\":5"));
        }
    }
}
