package dev.keel.examples.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The progress bar: only on a terminal, and never on the same line as a log or status line. */
class ProgressBarTest {

    @Test
    void offUnlessStandardErrorIsATerminal() {
        StringWriter w = new StringWriter();
        ProgressBar off = new ProgressBar(new PrintWriter(w, true), "x", 10, false);
        for (int i = 1; i <= 10; i++) {
            off.update(i);
        }
        assertThat(w.toString()).isEmpty();
        ProgressBar on = new ProgressBar(new PrintWriter(w, true), "x", 10, true);
        on.update(10);
        assertThat(w.toString()).startsWith("\rx [").contains("10/10 100%").endsWith(System.lineSeparator());
    }

    @Test
    void aLogLineClearsTheBarFirst() throws Exception {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        ProgressBar.Guard g = new ProgressBar.Guard(raw);
        PrintStream err = new PrintStream(g, true, StandardCharsets.UTF_8);
        g.frame("train [###...] 1/3", false);
        err.println("INFO step 1/3 loss 2.0");
        g.frame("train [######] 2/3", false);
        g.frame("train [#########] 3/3", true);
        err.println("trained 3 steps");
        String s = raw.toString(StandardCharsets.UTF_8);
        assertThat(s).contains("1/3\r\033[KINFO step 1/3 loss 2.0\n").doesNotContain("3/3INFO").doesNotContain("1/3INFO");
        assertThat(s).endsWith("3/3\ntrained 3 steps" + System.lineSeparator());
        assertThat(s.lines().filter(l -> l.contains("INFO"))).allSatisfy(l -> assertThat(l).doesNotContain("train ["));
    }

    @Test
    void aRedirectedRunHasNoFramesAndQuietHasNoStatusLines() throws Exception {
        KeelCliTest.Run r = KeelCliTest.run("safety", "judge", "--help");
        assertThat(r.err()).doesNotContain("\r");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("keel-bar");
        try {
            java.nio.file.Path in = java.nio.file.Files.writeString(dir.resolve("r.jsonl"),
                    "{\"id\":\"1\",\"category\":\"malware\",\"instruction\":\"x\",\"response\":\"I cannot do that.\"}\n");
            int code = KeelCli.run(new PrintWriter(out, true), new PrintWriter(err, true), true, "safety", "judge", "--refusal",
                    "--in", in.toString(), "--out", dir.resolve("v.jsonl").toString(), "--quiet");
            assertThat(code).isZero();
            assertThat(err.toString()).isEmpty();
            assertThat(out.toString()).isEmpty();
        } finally {
            dev.keel.core.internal.AtomicFiles.deleteTree(dir);
        }
    }
}
