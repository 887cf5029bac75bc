package dev.keel.examples.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code keel search tree}: its options and its corpus check (the full run is the committed experiment). */
class SearchTreeCommandTest {

    @Test
    void badOptionsAreUsageErrors(@TempDir Path dir) throws Exception {
        KeelCliTest.Run h = KeelCliTest.run("search", "tree", "--held-out", "0");
        assertThat(h.code()).isEqualTo(2);
        assertThat(h.err()).contains("--held-out must be >= 1, was 0");
        KeelCliTest.Run s = KeelCliTest.run("search", "tree", "--seen-records", "-3");
        assertThat(s.code()).isEqualTo(2);
        assertThat(s.err()).contains("--seen-records must be >= 0, was -3");
        Path file = Files.writeString(dir.resolve("f.txt"), "x");
        KeelCliTest.Run o = KeelCliTest.run("search", "tree", "--out", file.toString());
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err()).contains("exists and is not a directory");
    }

    @Test
    void aSeedTheModelWasNotTrainedWithIsRefused(@TempDir Path dir) {
        KeelCliTest.Run r = KeelCliTest.run("search", "tree", "--seed", "7", "--out", dir.resolve("out").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("was trained with seed 42 (metrics.json), not 7");
        assertThat(dir.resolve("out")).doesNotExist();
    }

    @Test
    void searchListsTheTreeSubcommand() {
        KeelCliTest.Run r = KeelCliTest.run("search", "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("tree");
    }
}
