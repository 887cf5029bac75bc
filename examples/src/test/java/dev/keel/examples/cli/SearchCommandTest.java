package dev.keel.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.core.internal.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code keel search} on the bundled keel-tiny, with small budgets. */
class SearchCommandTest {

    @Test
    void solvePrintsTheAnswerAndTheTopOfTheQTable(@TempDir Path dir) throws Exception {
        Path q = dir.resolve("q.json");
        KeelCliTest.Run r = KeelCliTest.run("search", "solve", "--prompt", "What is 3 + 4?", "--task", "add1",
                "--simulations", "40", "--q-table", q.toString(), "--quiet");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("answer: 7").contains("prefix\ttoken\tP\tN\tQ");
        JsonNode table = Json.readFile(q);
        assertThat(table.get("rows").get(0).get("visits").asInt()).isEqualTo(40);
        assertThat(r.err()).isEmpty();
    }

    @Test
    void benchWritesRowsForEveryMethodAtEveryBudget(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("bench.json");
        KeelCliTest.Run r = KeelCliTest.run("search", "bench", "--task", "add1", "--budget", "4,8", "--seeds", "1",
                "--problems", "2", "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("add1 budget 4 seed 1");
        JsonNode json = Json.readFile(out);
        List<String> names = new ArrayList<>();
        for (JsonNode row : json.get("rows")) {
            names.add(row.get("name").asText() + "@" + row.get("budget").asLong());
            assertThat(row.get("accuracy").asDouble()).isBetween(0.0, 1.0);
            assertThat(row.get("interval")).hasSize(2);
            assertThat(row.get("total").asInt()).isEqualTo(2);
            assertThat(row.get("mean_forward_steps").asDouble()).isLessThanOrEqualTo(row.get("budget").asDouble() + 6);
        }
        assertThat(names).containsExactly("greedy@4", "best-of-n@4", "beam@4", "mcts@4", "mcts-visits@4",
                "greedy@8", "best-of-n@8", "beam@8", "mcts@8", "mcts-visits@8");
    }

    @Test
    void badArgumentsAreUsageErrors() {
        KeelCliTest.Run r = KeelCliTest.run("search", "bench", "--task", "mul", "--budget", "4");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("task must be one of [add2, add1, copy, reverse], was mul");
        KeelCliTest.Run b = KeelCliTest.run("search", "bench", "--task", "add2", "--budget", "0");
        assertThat(b.code()).isEqualTo(2);
        assertThat(b.err()).contains("--budget must be >= 1, was 0");
        KeelCliTest.Run s = KeelCliTest.run("search", "solve", "--prompt", "hi", "--task", "add2");
        assertThat(s.code()).isEqualTo(2);
        assertThat(s.err()).contains("must hold a sum");
        KeelCliTest.Run k = KeelCliTest.run("search", "solve", "--prompt", "What is 1 + 2?", "--top-k", "0");
        assertThat(k.code()).isEqualTo(2);
        assertThat(k.err()).contains("--top-k must be >= 1, was 0");
    }
}
