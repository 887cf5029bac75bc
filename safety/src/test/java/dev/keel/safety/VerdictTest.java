package dev.keel.safety;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.core.internal.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VerdictTest {

    private static final JudgeItem ITEM = new JudgeItem("7", PolicyCategory.PRIVACY_VIOLATION, "instr", "resp");

    @Test
    void jsonMatchesTheJudgeResultsFormat() throws Exception {
        JsonNode scored = Json.mapper().readTree(Json.toLine(Verdict.scored(ITEM, 4, "why").toJson()));
        assertThat(scored.get("id").asText()).isEqualTo("7");
        assertThat(scored.get("category").asText()).isEqualTo("privacy_violation");
        assertThat(scored.get("score").asInt()).isEqualTo(4);
        assertThat(scored.get("outcome").asText()).isEqualTo("scored");
        JsonNode unparsed = Json.mapper().readTree(Json.toLine(Verdict.unparsed(ITEM, "raw").toJson()));
        assertThat(unparsed.has("score")).isTrue();
        assertThat(unparsed.get("score").isNull()).isTrue();
        assertThat(unparsed.get("outcome").asText()).isEqualTo("unparsed");
    }

    @Test
    void roundTripsThroughAFile(@TempDir Path dir) throws Exception {
        JudgeItem second = new JudgeItem("8", PolicyCategory.MALWARE, "i2", "r2");
        JudgeItem third = new JudgeItem("9", PolicyCategory.MALWARE, "i3", "r3");
        List<Verdict> vs = List.of(Verdict.scored(ITEM, 1, "r"), Verdict.unparsed(second, "raw reply"), Verdict.error(third, "down"));
        Path f = dir.resolve("v.jsonl");
        Verdict.writeAll(f, vs);
        assertThat(Verdict.readAll(f)).isEqualTo(vs);
    }

    @Test
    void invariantsAreChecked() {
        assertThatThrownBy(() -> Verdict.scored(ITEM, 6, "r")).hasMessageContaining("score must be in [1, 5], was 6");
        assertThatThrownBy(() -> new Verdict("1", PolicyCategory.MALWARE, "i", "r", 3, Verdict.Outcome.ERROR, ""))
                .hasMessageContaining("has no score");
        assertThatThrownBy(() -> new Verdict("1", PolicyCategory.MALWARE, "i", "r", null, Verdict.Outcome.SCORED, ""))
                .hasMessageContaining("needs a score");
    }

    @Test
    void badVerdictLinesAreNamed(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.jsonl");
        Files.writeString(f, Json.toLine(Verdict.scored(ITEM, 2, "ok").toJson()) + "\n"
                + "{\"id\":\"2\",\"category\":\"malware\",\"instruction\":\"i\",\"response\":\"r\",\"score\":9,\"outcome\":\"scored\",\"reason\":\"\"}\n");
        assertThatThrownBy(() -> Verdict.readAll(f)).hasMessageContaining("bad.jsonl:2").hasMessageContaining("was 9");
        Files.writeString(f, "{\"id\":\"2\",\"category\":\"malware\",\"instruction\":\"i\",\"response\":\"r\",\"score\":null,\"outcome\":\"maybe\"}\n");
        assertThatThrownBy(() -> Verdict.readAll(f)).hasMessageContaining("bad.jsonl:1").hasMessageContaining("\"maybe\"");
    }

    @Test
    void linesRoundTripWithoutJackson() {
        for (Verdict v : List.of(Verdict.scored(ITEM, 3, "why"), Verdict.unparsed(ITEM, "raw"), Verdict.error(ITEM, "down"))) {
            assertThat(v.toJsonLine()).doesNotContain("\n");
            assertThat(Verdict.parseLine(v.toJsonLine())).isEqualTo(v);
        }
        assertThat(Verdict.unparsed(ITEM, "raw").toJsonLine()).contains("\"score\":null");
        assertThat(JudgeItem.parseLine(ITEM.toJsonLine())).isEqualTo(ITEM);
        assertThat(JudgeItem.parseLine("{\"id\":12,\"category\":\"malware\",\"instruction\":\"i\",\"response\":\"\"}").id())
                .isEqualTo("12");
    }

    @Test
    void parseLineNamesWhatIsWrong() {
        assertThatThrownBy(() -> Verdict.parseLine("{oops")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> Verdict.parseLine("{\"id\":\"1\",\"category\":\"malware\",\"instruction\":\"i\",\"response\":\"r\","
                + "\"score\":2.5,\"outcome\":\"scored\"}")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"score\" must be an integer 1..5 or null, was 2.5");
        assertThatThrownBy(() -> JudgeItem.parseLine("\"text\"")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected a JSON object, was string");
        assertThatThrownBy(() -> JudgeItem.parseLine("{\"id\":\"1\",\"category\":\"weapons\",\"instruction\":\"i\",\"response\":\"r\"}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("field \"category\"").hasMessageContaining("weapons");
        assertThatThrownBy(() -> JudgeItem.parseLine("{\"category\":\"malware\"}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("missing field \"id\"");
    }

    private static Path fixture(String name) throws Exception {
        return Path.of(VerdictTest.class.getResource("/verdicts/" + name).toURI());
    }

    @Test
    void aScoreThatDoesNotFitAnIntIsRefusedNotWrapped() throws Exception {
        Path f = fixture("score-4294967301.jsonl");
        dev.keel.core.data.DatasetException e = org.junit.jupiter.api.Assertions.assertThrows(dev.keel.core.data.DatasetException.class,
                () -> Verdict.readAll(f));
        assertThat(e.line()).isEqualTo(2);
        assertThat(e.getMessage()).contains("score-4294967301.jsonl:2").contains("\"score\" must be an integer 1..5 or null, was 4294967301");
        assertThatThrownBy(() -> Verdict.parseLine(Files.readAllLines(f).get(1))).hasMessageContaining("was 4294967301");
    }

    @Test
    void duplicateKeysAndTwoVerdictsOnALineAreRefused() throws Exception {
        dev.keel.core.data.DatasetException dup = org.junit.jupiter.api.Assertions.assertThrows(dev.keel.core.data.DatasetException.class,
                () -> Verdict.readAll(fixture("duplicate-score-key.jsonl")));
        assertThat(dup.line()).isEqualTo(2);
        assertThat(dup.getMessage()).contains("Duplicate field 'score'");
        dev.keel.core.data.DatasetException two = org.junit.jupiter.api.Assertions.assertThrows(dev.keel.core.data.DatasetException.class,
                () -> Verdict.readAll(fixture("two-verdicts-one-line.jsonl")));
        assertThat(two.line()).isEqualTo(1);
        assertThatThrownBy(() -> Verdict.parseLine(Files.readAllLines(fixture("two-verdicts-one-line.jsonl")).get(0)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
