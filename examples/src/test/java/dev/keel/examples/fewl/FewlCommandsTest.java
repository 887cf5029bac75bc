package dev.keel.examples.fewl;

import dev.keel.fewl.SimulatedData;

import dev.keel.core.testkit.TestEmbedders;

import dev.keel.fewl.FewlItem;
import dev.keel.fewl.Label;
import dev.keel.fewl.Reference;
import dev.keel.fewl.HallucinationBenchmark;
import dev.keel.fewl.BenchRecord;
import dev.keel.fewl.BenchQuestion;
import dev.keel.fewl.FewlScore;
import dev.keel.fewl.ModelAnswer;
import dev.keel.fewl.MultiModelRecord;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.core.data.DatasetException;
import dev.keel.core.internal.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FewlCommandsTest {

    @TempDir
    Path dir;

    private Path items(List<String> lines) throws IOException {
        Path p = dir.resolve("items.jsonl");
        Files.write(p, lines, StandardCharsets.UTF_8);
        return p;
    }

    private static List<String> goodLines() {
        List<String> lines = new ArrayList<>();
        for (FewlItem it : SimulatedData.items(new SplittableRandom(1), 6)) {
            lines.add(it.withLabel(Label.TRUTHFUL).toJsonLine());
        }
        return lines;
    }

    @Test
    void scoreWritesOneLinePerItemAndTheProvenance() throws IOException {
        Path in = items(goodLines());
        Path out = dir.resolve("out/scores.jsonl");
        List<long[]> progress = new ArrayList<>();
        List<FewlScore> s = FewlCommands.score(in, out, 2, 0.1, (stage, done, total) -> progress.add(new long[] {done, total}),
                new TestEmbedders.Hashing());
        List<String> lines = Files.readAllLines(out);
        assertThat(lines).hasSize(6);
        JsonNode first = Json.mapper().readTree(lines.get(0));
        assertThat(first.get("id").asText()).isEqualTo("i0");
        assertThat(first.get("fewl").asDouble()).isEqualTo(s.get(0).total());
        assertThat(first.get("temperature").asDouble()).isEqualTo(0.1);
        assertThat(first.get("neighbours")).hasSize(2);
        assertThat(first.get("references")).hasSize(3);
        JsonNode prov = Json.mapper().readTree(Files.readString(FewlCommands.provenancePath(out)));
        assertThat(prov.get("provenance").get("config").get("neighbours").asText()).isEqualTo("2");
        assertThat(progress).isNotEmpty();
        assertThat(FewlItem.readAll(in).get(0).label()).isEqualTo(Label.TRUTHFUL);
    }

    @Test
    void badInputWritesNothingAndNamesTheProblem() throws IOException {
        Path out = dir.resolve("scores.jsonl");
        Files.writeString(out, "previous\n");
        List<String> lines = new ArrayList<>(goodLines());
        lines.add(lines.get(2));
        Path dup = items(lines);
        assertThatThrownBy(() -> FewlCommands.score(dup, out, 2, null, null, new TestEmbedders.Hashing()))
                .isInstanceOf(DatasetException.class).hasMessageContaining("items.jsonl:7").hasMessageContaining("duplicate id \"i2\"");
        List<String> noQuestion = new ArrayList<>(goodLines());
        noQuestion.set(3, "{\"id\":\"nq\",\"answer\":\"a\",\"references\":[{\"model\":\"m\",\"answer\":\"r\"}]}");
        Path p2 = items(noQuestion);
        assertThatThrownBy(() -> FewlCommands.score(p2, out, 2, null, null, new TestEmbedders.Hashing()))
                .isInstanceOf(DatasetException.class).hasMessageContaining("items.jsonl:4").hasMessageContaining("item nq")
                .hasMessageContaining("missing field \"question\"");
        List<String> emptyAnswer = new ArrayList<>(goodLines());
        emptyAnswer.set(1, "{\"id\":\"ea\",\"question\":\"q\",\"answer\":\"\",\"references\":[{\"model\":\"m\",\"answer\":\"r\"}]}");
        Path p3 = items(emptyAnswer);
        assertThatThrownBy(() -> FewlCommands.score(p3, out, 2, null, null, new TestEmbedders.Hashing()))
                .isInstanceOf(DatasetException.class).hasMessageContaining("items.jsonl:2").hasMessageContaining("item ea")
                .hasMessageContaining("answer must not be empty");
        List<String> noRefs = new ArrayList<>(goodLines());
        noRefs.set(0, "{\"id\":\"nr\",\"question\":\"q\",\"answer\":\"a\",\"references\":[]}");
        Path p4 = items(noRefs);
        assertThatThrownBy(() -> FewlCommands.score(p4, out, 2, null, null, new TestEmbedders.Hashing()))
                .isInstanceOf(DatasetException.class).hasMessageContaining("items.jsonl:1").hasMessageContaining("item nr")
                .hasMessageContaining("reference");
        // NaN from the embedder: an error naming the item, and still nothing written.
        Path p5 = items(goodLines());
        TestEmbedders.Hashing nan = new TestEmbedders.Hashing() {
            @Override
            public float[][] embedAll(List<String> in) {
                float[][] v = super.embedAll(in);
                for (float[] x : v) {
                    x[0] = Float.NaN;
                }
                return v;
            }
        };
        assertThatThrownBy(() -> FewlCommands.score(p5, out, 2, null, null, nan))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("item i0").hasMessageContaining("NaN");
        assertThat(Files.readString(out)).isEqualTo("previous\n");
        assertThat(Files.exists(FewlCommands.provenancePath(out))).isFalse();
        try (var s = Files.list(dir)) {
            assertThat(s.filter(f -> f.getFileName().toString().endsWith(".tmp"))).isEmpty();
        }
    }

    @Test
    void benchPrintsTheTableAndWritesJson() throws IOException {
        List<String> lines = new ArrayList<>();
        for (BenchRecord r : FewlDemo.records(3).subList(0, 40)) {
            lines.add(r.toJsonLine());
        }
        lines.add("{\"id\":\"short\",\"question\":\"q\",\"references\":[{\"model\":\"m\",\"answer\":\"r\"}],\"correct\":[\"a\"],\"incorrect\":[\"b\",\"c\"]}");
        Path in = dir.resolve("bench.jsonl");
        Files.write(in, lines, StandardCharsets.UTF_8);
        Path json = dir.resolve("result.json");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        HallucinationBenchmark.Result r = FewlCommands.bench(in, 4, json, new PrintStream(buf, true, StandardCharsets.UTF_8),
                new TestEmbedders.Hashing());
        String printed = buf.toString(StandardCharsets.UTF_8);
        assertThat(printed).contains("FEWL", "single + penalty", "skipped");
        assertThat(r.skipped()).isGreaterThanOrEqualTo(1);
        JsonNode j = Json.mapper().readTree(Files.readString(json));
        assertThat(j.get("rows").get(3).get("name").asText()).isEqualTo("FEWL");
        assertThat(j.get("provenance").get("seed").asLong()).isEqualTo(4);
    }

    @Test
    void demoRecordsAreSeededAndShaped() {
        List<BenchRecord> a = FewlDemo.records(42);
        assertThat(a).hasSize(817);
        assertThat(FewlDemo.records(42)).isEqualTo(a);
        assertThat(FewlDemo.records(43)).isNotEqualTo(a);
        assertThat(a.get(0).references()).extracting(Reference::model).containsExactly("sim-0.8", "sim-0.6", "sim-0.4", "sim-0.2");
        // The empirical accuracy of each simulated reference is close to its nominal one.
        double[] acc = new double[4];
        for (BenchRecord r : a) {
            for (int i = 0; i < 4; i++) {
                if (r.correct().contains(r.references().get(i).answer())) {
                    acc[i] += 1.0 / a.size();
                }
            }
        }
        assertThat(acc[0]).isBetween(0.74, 0.86);
        assertThat(acc[3]).isBetween(0.15, 0.26);
        BenchQuestion.Suite s = BenchQuestion.splitAll(a);
        assertThat(s.questions().size() + s.skippedIds().size()).isEqualTo(817);
    }

    @Test
    void benchReadsTheMultiModelFormatAndWritesTheSelectionBlock() throws IOException {
        List<String> lines = new ArrayList<>();
        for (MultiModelRecord r : EvounaNq.load().subList(0, 40)) {
            lines.add(r.toJsonLine());
        }
        Path in = dir.resolve("multi.jsonl");
        Files.write(in, lines, StandardCharsets.UTF_8);
        Path json = dir.resolve("multi.json");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        HallucinationBenchmark.Result r = FewlCommands.bench(in, 5, SimilarityChoice.CONTAINMENT, json,
                new PrintStream(buf, true, StandardCharsets.UTF_8), new TestEmbedders.Hashing());
        assertThat(r.questions()).isEqualTo(40);
        assertThat(r.truthful() + r.hallucinated()).isEqualTo(200);
        assertThat(buf.toString(StandardCharsets.UTF_8)).contains("-- selection", "model newbing", "oracle (some answer is right)");
        JsonNode j = Json.mapper().readTree(Files.readString(json));
        assertThat(j.get("rows").get(3).get("name").asText()).isEqualTo("FEWL");
        assertThat(j.get("rows").get(3).has("winRateLow")).isTrue();
        JsonNode sel = j.get("selection");
        assertThat(sel.get("questions").asInt()).isEqualTo(40);
        assertThat(sel.get("models")).hasSize(5);
        assertThat(sel.get("rows").get(0).has("accuracyHigh")).isTrue();
        assertThat(sel.get("oracle").asDouble()).isBetween(0.0, 1.0);
        // the models' accuracies are the human judgements, counted by hand here
        long fidRight = EvounaNq.load().subList(0, 40).stream()
                .filter(x -> x.answers().get(0).label() == Label.TRUTHFUL).count();
        assertThat(r.selection().model("fid").accuracy().value()).isEqualTo(fidRight / 40.0);
    }

    @Test
    void bundledEvounaNqIsWhole() {
        List<MultiModelRecord> recs = EvounaNq.load();
        assertThat(recs).hasSize(3014);
        assertThat(recs.get(0).question()).isEqualTo("who got the first nobel prize in physics");
        for (MultiModelRecord r : recs) {
            assertThat(r.answers()).extracting(ModelAnswer::model).containsExactlyElementsOf(EvounaNq.MODELS);
            assertThat(r.answers()).allMatch(ModelAnswer::candidate);
        }
        // accuracies of the data README (clean questions): fid 68.9%, gpt35 65.5%, chatgpt 73.0%, gpt4 78.8%, newbing 80.0%
        double[] expected = {0.689, 0.655, 0.730, 0.788, 0.800};
        for (int m = 0; m < 5; m++) {
            int mm = m;
            double acc = recs.stream().filter(r -> r.answers().get(mm).label() == Label.TRUTHFUL).count() / (double) recs.size();
            assertThat(acc).isCloseTo(expected[m], org.assertj.core.api.Assertions.within(0.0006));
        }
    }

    @Test
    void similarityNamesAreParsedOrRefused() {
        assertThat(SimilarityChoice.parse("Hybrid")).isEqualTo(SimilarityChoice.HYBRID);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SimilarityChoice.parse("jaccard"))
                .hasMessageContaining("cosine, containment or hybrid").hasMessageContaining("\"jaccard\"");
    }
}
