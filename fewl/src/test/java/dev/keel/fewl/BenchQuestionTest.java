package dev.keel.fewl;

import dev.keel.core.data.DatasetException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BenchQuestionTest {

    @TempDir
    Path dir;

    private Path file(String... lines) throws IOException {
        Path p = dir.resolve("bench.jsonl");
        Files.write(p, List.of(lines), StandardCharsets.UTF_8);
        return p;
    }

    private static final String REFS = "\"references\":[{\"model\":\"m\",\"answer\":\"r\"}]";

    @Test
    void splitsHalvesAndSkipsShortQuestions() throws IOException {
        Path p = file(
                "{\"id\":\"a\",\"question\":\"Q1\"," + REFS + ",\"correct\":[\"c1\",\"c2\",\"c3\",\"c4\",\"c5\"],\"incorrect\":[\"i1\",\"i2\",\"i3\"],\"extra\":{\"x\":1}}",
                "",
                "{\"id\":\"b\",\"question\":\"Q2\"," + REFS + ",\"correct\":[\"c1\"],\"incorrect\":[\"i1\",\"i2\"]}",
                "{\"id\":\"c\",\"question\":\"Q3\"," + REFS + ",\"correct\":[\"c1\",\"c2\"],\"incorrect\":[\"i1\"]}",
                "{\"id\":\"d\",\"question\":\"Q4\"," + REFS + ",\"correct\":[\"c1\",\"c2\"],\"incorrect\":[\"i1\",\"i2\"]}");
        BenchQuestion.Suite s = BenchQuestion.read(p);
        assertThat(s.skippedIds()).containsExactly("b", "c");
        assertThat(s.questions()).hasSize(2);
        BenchQuestion a = s.questions().get(0);
        assertThat(a.corrected()).containsExactly("c1", "c2");
        assertThat(a.truthful()).containsExactly("c3", "c4", "c5");
        assertThat(a.wrong()).containsExactly("i1");
        assertThat(a.hallucinated()).containsExactly("i2", "i3");
        BenchQuestion d = s.questions().get(1);
        assertThat(d.corrected()).containsExactly("c1");
        assertThat(d.truthful()).containsExactly("c2");
        List<FewlItem> items = a.items();
        assertThat(items).extracting(FewlItem::id).containsExactly("a#t0", "a#t1", "a#t2", "a#h0", "a#h1");
        assertThat(items.get(0).label()).isEqualTo(Label.TRUTHFUL);
        assertThat(items.get(4).label()).isEqualTo(Label.HALLUCINATED);
        assertThat(items.get(0).correctedAnswers()).containsExactly("c1", "c2");
    }

    @Test
    void badLinesNameTheFileLineAndItem() throws IOException {
        String ok = "{\"id\":\"a\",\"question\":\"Q1\"," + REFS + ",\"correct\":[\"c1\",\"c2\"],\"incorrect\":[\"i1\",\"i2\"]}";
        assertThatThrownBy(() -> BenchQuestion.read(file(ok, "{\"id\":\"x\"," + REFS + ",\"correct\":[],\"incorrect\":[]}")))
                .isInstanceOf(DatasetException.class).hasMessageContaining("bench.jsonl:2").hasMessageContaining("item x")
                .hasMessageContaining("missing field \"question\"");
        assertThatThrownBy(() -> BenchQuestion.read(file(ok, ok)))
                .isInstanceOf(DatasetException.class).hasMessageContaining("bench.jsonl:2").hasMessageContaining("duplicate id \"a\"");
        assertThatThrownBy(() -> BenchQuestion.read(file("{\"id\":\"y\",\"question\":\"Q\",\"references\":[],\"correct\":[],\"incorrect\":[]}")))
                .isInstanceOf(DatasetException.class).hasMessageContaining(":1").hasMessageContaining("item y").hasMessageContaining("no");
        assertThatThrownBy(() -> BenchQuestion.read(file("{\"id\":\"z\",\"question\":\"Q\"," + REFS + ",\"correct\":[\"a\",\"\"],\"incorrect\":[]}")))
                .isInstanceOf(DatasetException.class).hasMessageContaining("item z").hasMessageContaining("correct[1] is an empty answer");
        assertThatThrownBy(() -> BenchQuestion.read(file("{\"id\":\"w\",\"question\":\"Q\",\"references\":[{\"model\":\"m\",\"answer\":\"\"}],\"correct\":[],\"incorrect\":[]}")))
                .isInstanceOf(DatasetException.class).hasMessageContaining("item w").hasMessageContaining("blank");
        assertThatThrownBy(() -> BenchQuestion.read(file("{\"id\":\"v\", nope")))
                .isInstanceOf(DatasetException.class).hasMessageContaining(":1").hasMessageContaining("malformed JSON");
        assertThatThrownBy(() -> BenchQuestion.read(file("{\"question\":\"Q\"}")))
                .isInstanceOf(DatasetException.class).hasMessageContaining("missing field \"id\"");
    }

    @Test
    void recordsRoundTripThroughJson() {
        BenchRecord r = new BenchRecord("a", "Q", Reference.list("x", "y"), List.of("c"), List.of("i"));
        assertThat(BenchRecord.parse(r.toJsonLine())).isEqualTo(r);
        assertThat(r.toJsonLine()).isEqualTo("{\"id\":\"a\",\"question\":\"Q\",\"references\":[{\"model\":\"ref1\",\"answer\":\"x\"},"
                + "{\"model\":\"ref2\",\"answer\":\"y\"}],\"correct\":[\"c\"],\"incorrect\":[\"i\"]}");
    }

    @Test
    void recordsWrittenWithWriteAllAreReadBack(@TempDir Path dir) throws Exception {
        BenchRecord r = new BenchRecord("a", "Q", Reference.list("x", "y"), List.of("c", "d"), List.of("i", "j"));
        Path f = dir.resolve("bench.jsonl");
        BenchRecord.writeAll(f, List.of(r));
        assertThat(BenchQuestion.read(f).questions()).hasSize(1);
        assertThat(BenchRecord.parse(Files.readAllLines(f).get(0))).isEqualTo(r);
    }

    @Test
    void parseRefusesWhatIsNotARecord() {
        assertThatThrownBy(() -> BenchRecord.parse("[1]")).isInstanceOf(IllegalArgumentException.class).hasMessage("expected a JSON object, got array");
        assertThatThrownBy(() -> BenchRecord.parse("{\"id\": ")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("malformed JSON");
        assertThatThrownBy(() -> BenchRecord.parse("{\"id\":\"k\",\"question\":\"Q\",\"references\":[{\"model\":\"m\",\"answer\":\"a\"},"
                + "{\"model\":\"m\",\"answer\":\"b\"}],\"correct\":[],\"incorrect\":[]}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("item k: reference model \"m\" appears twice");
        assertThatThrownBy(() -> BenchRecord.parse(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new BenchRecord("n", "Q", java.util.Arrays.asList(Reference.of("m", "a"), null), List.of(), List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("item n: reference 1 is null");
    }
}
