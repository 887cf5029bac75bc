package dev.keel.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.core.internal.JsonLines;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs {@code keel fewl} commands on the real embedding model. */
class FewlCommandIT {

    private static String item(String id, String q, String a) {
        return "{\"id\":\"" + id + "\",\"question\":\"" + q + "\",\"answer\":\"" + a + "\",\"references\":["
                + "{\"model\":\"m1\",\"answer\":\"Paris is the capital of France.\"},"
                + "{\"model\":\"m2\",\"answer\":\"The capital of France is Paris.\"}]}";
    }

    @Test
    void scoreWritesOneScorePerItemAndRanksTheAgreeingAnswerFirst(@TempDir Path dir) throws Exception {
        Path in = Files.writeString(dir.resolve("items.jsonl"), String.join("\n",
                item("good", "What is the capital of France?", "Paris."),
                item("bad", "What is the capital of France?", "Lyon is the capital of France, famous for cheese.")) + "\n");
        Path out = dir.resolve("scores.jsonl");
        KeelCliTest.Run r = KeelCliTest.run("fewl", "score", "--in", in.toString(), "--out", out.toString(), "--neighbours", "0");
        assertThat(r.code()).as(r.err()).isZero();
        List<JsonNode> scores = JsonLines.read(out, n -> n);
        assertThat(scores).hasSize(2);
        assertThat(scores.get(0).get("fewl").asDouble()).isGreaterThan(scores.get(1).get("fewl").asDouble());
    }

    @Test
    void aLineWithoutAQuestionNamesItsLineAndWritesNothing(@TempDir Path dir) throws Exception {
        Path in = Files.writeString(dir.resolve("items.jsonl"),
                item("a", "Q?", "A.") + "\n{\"id\":\"b\",\"answer\":\"x\",\"references\":[{\"model\":\"m\",\"answer\":\"y\"}]}\n");
        Path out = dir.resolve("scores.jsonl");
        KeelCliTest.Run r = KeelCliTest.run("fewl", "score", "--in", in.toString(), "--out", out.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("items.jsonl:2").contains("question").doesNotContain("\tat ");
        assertThat(out).doesNotExist();
    }

    @Test
    void benchPrintsTheFourRowTable(@TempDir Path dir) throws Exception {
        StringBuilder sb = new StringBuilder();
        String[][] qs = {
            {"What is the capital of France?", "Paris", "The capital is Paris", "Lyon", "Marseille"},
            {"How many legs does a spider have?", "Eight", "A spider has eight legs", "Six", "Ten"},
            {"What color is the sky on a clear day?", "Blue", "It is blue", "Green", "Red"},
        };
        int id = 0;
        for (String[] q : qs) {
            sb.append("{\"id\":\"").append(id++).append("\",\"question\":\"").append(q[0]).append("\",")
                    .append("\"references\":[{\"model\":\"r1\",\"answer\":\"").append(q[2]).append("\"},{\"model\":\"r2\",\"answer\":\"").append(q[3]).append("\"}],")
                    .append("\"correct\":[\"").append(q[1]).append("\",\"").append(q[2]).append("\",\"").append(q[1]).append(" indeed\",\"").append(q[2]).append(".\"],")
                    .append("\"incorrect\":[\"").append(q[3]).append("\",\"").append(q[4]).append("\",\"").append(q[3]).append(" indeed\",\"").append(q[4]).append(".\"]}\n");
        }
        Path in = Files.writeString(dir.resolve("bench.jsonl"), sb.toString());
        Path out = dir.resolve("table.json");
        KeelCliTest.Run r = KeelCliTest.run("fewl", "bench", "--in", in.toString(), "--seed", "3", "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("single + no penalty").contains("single + penalty").contains("multi + no penalty").contains("FEWL");
        assertThat(out).exists();
    }
}
