package dev.keel.examples.cli;

import dev.keel.core.chat.ChatRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code keel sam} on the bundled keel-tiny, a few steps only. */
class SamCommandTest {

    private static Path data(Path dir) throws Exception {
        Path f = dir.resolve("train.jsonl");
        ChatRecord.writeAll(f, List.of(
                ChatRecord.of(null, "What is 7 times 8?", "56"),
                ChatRecord.of(null, "What is 6 times 9?", "54"),
                ChatRecord.of(null, "What is 3 times 4?", "12")));
        return f;
    }

    @Test
    void trainWritesAPeftAdapterThenTheLandscapeMovesIt(@TempDir Path dir) throws Exception {
        Path adapter = dir.resolve("adapter");
        KeelCliTest.Run r = KeelCliTest.run("train", "--in", data(dir).toString(), "--out", adapter.toString(),
                "--optimizer", "sam", "--rho", "0.05", "--steps", "2");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("trained 2 steps").contains("4 gradient passes");
        assertThat(adapter.resolve("adapter_config.json")).exists();
        assertThat(adapter.resolve("adapter_model.safetensors")).exists();

        Path png = dir.resolve("plot.png");
        KeelCliTest.Run l = KeelCliTest.run("sam", "landscape", "--in", data(dir).toString(), "--adapter", adapter.toString(),
                "--lora-only", "--grid", "3", "--out", png.toString());
        assertThat(l.code()).as(l.err()).isZero();
        assertThat(l.out()).contains("AG").contains("max-sharpness");
        assertThat(png).exists();
    }

    @Test
    void onATerminalTheLandscapeShowsAProgressBarAndRedirectedItDoesNot(@TempDir Path dir) throws Exception {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        int code = KeelCli.run(new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true), true,
                "sam", "landscape", "--in", data(dir).toString(), "--grid", "3", "--out", dir.resolve("t.png").toString());
        assertThat(code).as(err.toString()).isZero();
        assertThat(err.toString()).contains("\rlandscape [").contains("9/9 100%");

        KeelCliTest.Run piped = KeelCliTest.run("sam", "landscape", "--in", data(dir).toString(), "--grid", "3",
                "--out", dir.resolve("p.png").toString());
        assertThat(piped.code()).as(piped.err()).isZero();
        assertThat(piped.err()).doesNotContain("\r").doesNotContain("landscape [");
    }

    @Test
    void badValuesAreUsageErrors(@TempDir Path dir) throws Exception {
        KeelCliTest.Run r = KeelCliTest.run("train", "--in", data(dir).toString(), "--out", dir.resolve("a").toString(),
                "--optimizer", "sam", "--rho", "-1");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("rho must be > 0").doesNotContain("\tat ");
        KeelCliTest.Run g = KeelCliTest.run("sam", "landscape", "--in", data(dir).toString(), "--grid", "2", "--out", dir.resolve("p.png").toString());
        assertThat(g.code()).isEqualTo(2);
        assertThat(g.err()).contains("grid must be >= 3");
        KeelCliTest.Run l = KeelCliTest.run("sam", "landscape", "--in", data(dir).toString(), "--lora-only", "--out", dir.resolve("p.png").toString());
        assertThat(l.code()).isEqualTo(2);
        assertThat(l.err()).contains("--lora-only needs --adapter");
    }
}
