package dev.keel.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.core.internal.JsonLines;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs the commands that load the real embedding model. */
class KeelCliIT {

    @Test
    void similarityOfAParaphraseIsHighAndOfUnrelatedTextLow() {
        KeelCliTest.Run r = KeelCliTest.run("similarity", "The cat sits on the mat.", "A cat is sitting on a mat.");
        assertThat(r.code()).isZero();
        assertThat(Double.parseDouble(r.out().trim())).isGreaterThan(0.9);
        KeelCliTest.Run r2 = KeelCliTest.run("similarity", "The cat sits on the mat.", "Tax forms are due in April.");
        assertThat(Double.parseDouble(r2.out().trim())).isLessThan(0.2);
    }

    @Test
    void embedWritesOneVectorPerLineWithAStatusLine(@TempDir Path dir) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 600; i++) {
            sb.append("sentence number ").append(i).append('\n');
        }
        Path in = Files.writeString(dir.resolve("in.txt"), sb.toString());
        Path out = dir.resolve("out.jsonl");
        KeelCliTest.Run r = KeelCliTest.run("embed", "--in", in.toString(), "--out", out.toString());
        assertThat(r.code()).isZero();
        List<JsonNode> rows = JsonLines.read(out, n -> n);
        assertThat(rows).hasSize(600);
        assertThat(rows.get(5).get("text").asText()).isEqualTo("sentence number 5");
        assertThat(rows.get(5).get("line").asInt()).isEqualTo(6);
        assertThat(rows.get(5).get("embedding").size()).isEqualTo(384);
        assertThat(r.err()).contains("embedded 600 lines -> " + out).doesNotContain("\r");
    }
}
