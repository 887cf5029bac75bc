package dev.keel.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.core.chat.ChatRecord;
import dev.keel.core.internal.Json;
import dev.keel.core.lm.safetensors.SafeTensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

/** {@code keel train} on the bundled keel-tiny: divergence, checkpoints, resume and its refusals. */
class TrainCommandTest {

    private static Path data(Path dir) throws Exception {
        Path f = dir.resolve("train.jsonl");
        List<ChatRecord> records = new ArrayList<>();
        for (int i = 2; i < 10; i++) {
            records.add(ChatRecord.of(null, "What is " + i + " times 7?", Integer.toString(i * 7)));
        }
        ChatRecord.writeAll(f, records);
        return f;
    }

    private static String[] args(Path data, Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("train", "--in", data.toString(), "--out", out.toString(),
                "--steps", "6", "--batch-size", "2", "--lr", "1e-3"));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void aKilledRunResumesAndMatchesTheUninterruptedOne(@TempDir Path dir) throws Exception {
        Path data = data(dir);
        KeelCliTest.Run straight = KeelCliTest.run(args(data, dir.resolve("a"), "--checkpoint-dir", dir.resolve("ca").toString(),
                "--checkpoint-every", "2"));
        assertThat(straight.code()).as(straight.err()).isZero();
        assertThat(straight.err()).as("no progress frames into a redirected stream").doesNotContain("\r").contains("trained 6 steps");

        Path out = dir.resolve("b");
        Path ckpt = dir.resolve("cb");
        KeelCliTest.Run killed = KeelCliTest.run(args(data, out, "--checkpoint-dir", ckpt.toString(), "--checkpoint-every", "2",
                "--interrupt-after-step", "2"));
        assertThat(killed.code()).as(killed.err()).isEqualTo(1);
        assertThat(Files.readString(ckpt.resolve("latest")).strip()).isEqualTo("step-000002");
        assertThat(out.resolve("adapter_model.safetensors")).doesNotExist();

        KeelCliTest.Run fresh = KeelCliTest.run(args(data, out, "--checkpoint-dir", ckpt.toString(), "--checkpoint-every", "2"));
        assertThat(fresh.code()).as("checkpoints there but no --resume").isEqualTo(2);
        assertThat(fresh.err()).contains("holds checkpoints already").contains("--resume");

        KeelCliTest.Run changed = KeelCliTest.run(args(data, out, "--checkpoint-dir", ckpt.toString(), "--checkpoint-every", "2",
                "--resume", "--optimizer", "sam", "--seed", "7"));
        assertThat(changed.code()).as(changed.err()).isEqualTo(2);
        assertThat(changed.err()).contains("cannot resume").contains("optimizer: checkpoint none, now sam:0.05")
                .contains("seed: checkpoint 42, now 7").contains("--allow-config-change").doesNotContain("learningRate");

        KeelCliTest.Run resumed = KeelCliTest.run(args(data, out, "--checkpoint-dir", ckpt.toString(), "--checkpoint-every", "2",
                "--resume"));
        assertThat(resumed.code()).as(resumed.err()).isZero();
        JsonNode a = Json.readFile(dir.resolve("a/training.json"));
        JsonNode b = Json.readFile(out.resolve("training.json"));
        assertThat(b.get("losses")).hasSize(6);
        for (int i = 0; i < 6; i++) {
            assertThat(b.get("losses").get(i).floatValue()).as("loss of step " + (i + 1))
                    .isCloseTo(a.get("losses").get(i).floatValue(), offset(1e-6f));
        }
        try (SafeTensorsFile fa = SafeTensorsFile.open(dir.resolve("a/adapter_model.safetensors"));
             SafeTensorsFile fb = SafeTensorsFile.open(out.resolve("adapter_model.safetensors"))) {
            assertThat(fb.names()).isEqualTo(fa.names());
            for (String n : fa.names()) {
                float[] x = fa.readFloats(n);
                float[] y = fb.readFloats(n);
                double max = 0;
                for (int i = 0; i < x.length; i++) {
                    max = Math.max(max, Math.abs(x[i] - y[i]));
                }
                assertThat(max).as(n).isLessThan(1e-6);
            }
        }

        KeelCliTest.Run allowed = KeelCliTest.run("train", "--in", data.toString(), "--out", dir.resolve("c").toString(),
                "--steps", "6", "--batch-size", "2", "--lr", "2e-3", "--checkpoint-every", "2",
                "--checkpoint-dir", ckpt.toString(), "--resume", "--allow-config-change");
        assertThat(allowed.code()).as(allowed.err()).isZero();
    }

    @Test
    void onATerminalTrainingShowsAProgressBar(@TempDir Path dir) throws Exception {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        int code = KeelCli.run(new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true), true,
                "train", "--in", data(dir).toString(), "--out", dir.resolve("a").toString(), "--steps", "3", "--batch-size", "2");
        assertThat(code).as(err.toString()).isZero();
        assertThat(err.toString()).contains("\rtrain [").contains("3/3 100%");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void divergenceFailsWithExitFiveAndWritesNoAdapter(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("adapter");
        KeelCliTest.Run r = KeelCliTest.run("train", "--in", data(dir).toString(), "--out", out.toString(), "--steps", "6",
                "--batch-size", "2", "--lr", "1e6", "--checkpoint-dir", dir.resolve("ck").toString(), "--checkpoint-every", "1");
        assertThat(r.code()).as(r.err()).isEqualTo(5);
        assertThat(r.err()).contains("keel: diverged: ").contains("no adapter written to " + out).doesNotContain("\tat ");
        assertThat(out.resolve("adapter_model.safetensors")).doesNotExist();
        assertThat(dir.resolve("ck/latest")).exists();
    }

    @Test
    void badTrainingOptionsAreUsageErrorsNamingTheValue(@TempDir Path dir) throws Exception {
        Path data = data(dir);
        Path out = dir.resolve("o");
        assertThat(KeelCliTest.run("train", "--in", data.toString(), "--out", out.toString(), "--optimizer", "adam").err())
                .contains("--optimizer must be adamw, sam, asam or looksam, was adam");
        KeelCliTest.Run k = KeelCliTest.run("train", "--in", data.toString(), "--out", out.toString(), "--optimizer", "looksam", "--looksam-k", "0");
        assertThat(k.code()).isEqualTo(2);
        assertThat(k.err()).contains("--optimizer looksam");
        KeelCliTest.Run look = KeelCliTest.run("train", "--in", data.toString(), "--out", out.toString(), "--optimizer", "looksam",
                "--looksam-k", "4", "--checkpoint-dir", dir.resolve("ck").toString(), "--checkpoint-every", "6");
        assertThat(look.code()).isEqualTo(2);
        assertThat(look.err()).contains("--checkpoint-every must be a multiple of --looksam-k").contains("was 6 with --looksam-k 4");
        assertThat(KeelCliTest.run("train", "--in", data.toString(), "--out", out.toString(), "--resume").err())
                .contains("--resume needs --checkpoint-dir");
        KeelCliTest.Run gone = KeelCliTest.run("lora-train", "--model", "x", "--data", data.toString());
        assertThat(gone.code()).isEqualTo(2);
        assertThat(gone.err()).contains("replaced by 'keel train'");
        KeelCliTest.Run samGone = KeelCliTest.run("sam", "train", "--data", data.toString());
        assertThat(samGone.code()).isEqualTo(2);
        assertThat(samGone.err()).contains("replaced by 'keel train'");
        Files.writeString(data, "\n" + Files.readString(data) + "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}]}\n");
        KeelCliTest.Run bad = KeelCliTest.run("train", "--in", data.toString(), "--out", out.toString(), "--steps", "1");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains(data + " line 10").doesNotContain("record 9");
    }
}
