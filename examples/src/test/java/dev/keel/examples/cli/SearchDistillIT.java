package dev.keel.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.core.internal.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code keel search distill} on keel-tiny: a search, a short LoRA fine-tuning, an evaluation (a minute or more). */
class SearchDistillIT {

    @Test
    void distillTrainsOnAcceptedRepliesAndReportsBeforeAndAfter(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("distill.json");
        KeelCliTest.Run r = KeelCliTest.run("search", "distill", "--task", "add1", "--problems", "4", "--held-out", "3",
                "--budget", "16", "--out", out.toString(), "--quiet");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode round = Json.readFile(out).get("rounds").get(0);
        assertThat(round.get("searched").asInt()).isEqualTo(4);
        assertThat(round.get("accepted").asInt()).isBetween(1, 4);
        assertThat(round.get("steps").asInt()).isGreaterThanOrEqualTo(10);
        assertThat(round.get("heldOutBefore").asDouble()).isBetween(0.0, 1.0);
        assertThat(Files.size(out)).isPositive();
    }
}
