package dev.keel.examples.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code keel fewl demo|bench} option checks that need no model. */
class FewlCommandTest {

    @Test
    void similarityNamesAreCheckedBeforeAnyWork(@TempDir Path dir) throws Exception {
        KeelCliTest.Run demo = KeelCliTest.run("fewl", "demo", "--similarity", "jaccard");
        assertThat(demo.code()).isEqualTo(2);
        assertThat(demo.err()).contains("--similarity must be cosine, containment or hybrid, was \"jaccard\"");
        KeelCliTest.Run sim = KeelCliTest.run("fewl", "demo", "--simulated", "--similarity", "hybrid");
        assertThat(sim.code()).isEqualTo(2);
        assertThat(sim.err()).contains("--similarity applies to EVOUNA-NQ");
        Path in = Files.writeString(dir.resolve("b.jsonl"), "{}\n");
        KeelCliTest.Run bench = KeelCliTest.run("fewl", "bench", "--in", in.toString(), "--similarity", "nope");
        assertThat(bench.code()).isEqualTo(2);
        assertThat(bench.err()).contains("\"nope\"");
    }
}
