package dev.keel.examples.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class KeelCliTest {

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = KeelCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void versionPrintsTheLibraryVersion() {
        Run r = run("--version");
        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("keel ").doesNotContain("unknown");
    }

    @Test
    void unknownCommandIsAShortUsageErrorWithExitTwo() {
        Run r = run("frobnicate");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("frobnicate").doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(r.err().lines().count()).isLessThanOrEqualTo(3);
    }

    @Test
    void missingArgumentsAreAUsageError() {
        Run r = run("similarity", "only one");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("B").doesNotContain("\tat ");
    }

    @Test
    void noCommandIsAUsageError() {
        assertThat(run().code()).isEqualTo(2);
    }

    @Test
    void embedWithAMissingInputFileIsAUsageError(@TempDir Path dir) {
        Run r = run("embed", "--in", dir.resolve("nope.txt").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("nope.txt").doesNotContain("\tat ");
    }

    @Test
    void embedWithABadBatchSizeIsAUsageError(@TempDir Path dir) throws Exception {
        Path in = Files.writeString(dir.resolve("in.txt"), "a\n");
        Run r = run("embed", "--in", in.toString(), "--batch-size", "0");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--batch-size");
    }

    @Test
    void fewlScoreChecksItsOptions(@TempDir Path dir) throws Exception {
        Path in = Files.writeString(dir.resolve("in.jsonl"), "");
        Run r = run("fewl", "score", "--in", in.toString(), "--out", dir.resolve("o.jsonl").toString(), "--neighbours", "-1");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--neighbours must be >= 0, was -1");
        Run t = run("fewl", "score", "--in", in.toString(), "--out", dir.resolve("o.jsonl").toString(), "--temperature", "0");
        assertThat(t.code()).isEqualTo(2);
        assertThat(t.err()).contains("--temperature must be > 0");
        assertThat(run("fewl").code()).isEqualTo(2);
    }
}
