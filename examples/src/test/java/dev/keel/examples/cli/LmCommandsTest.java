package dev.keel.examples.cli;

import dev.keel.core.lm.safetensors.SafeTensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.keel.core.testkit.TinyFixtures;

import static dev.keel.examples.cli.KeelCliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code keel chat}, {@code keel lora-train} and {@code keel lm logits} on the tiny-llama-a test checkpoint. */
class LmCommandsTest {

    static Path vectors() {
        return TinyFixtures.vectorsDir();
    }

    /** The checkpoint (independent PyTorch weights) plus a 97-word tokenizer, and the adapter in its own folder. */
    static Path modelDir(Path dir) throws IOException {
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.copy(vectors().resolve("config.json"), model.resolve("config.json"));
        Files.copy(vectors().resolve("model.safetensors"), model.resolve("model.safetensors"));
        Files.copy(TinyFixtures.tinyTokenizer(), model.resolve("tokenizer.json"));
        Path adapter = Files.createDirectories(dir.resolve("adapter"));
        Files.copy(vectors().resolve("adapter_config.json"), adapter.resolve("adapter_config.json"));
        Files.copy(vectors().resolve("adapter_model.safetensors"), adapter.resolve("adapter_model.safetensors"));
        return model;
    }

    static float[] tensor(Path file, String name) throws IOException {
        try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
            return f.readFloats(name);
        }
    }

    static void assertClose(float[] actual, float[] expected, double tol) {
        assertThat(actual).hasSameSizeAs(expected);
        double worst = 0;
        for (int i = 0; i < actual.length; i++) {
            worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
        }
        assertThat(worst).as("max |difference|").isLessThanOrEqualTo(tol);
    }

    @Test
    void logitsReproduceThePyTorchVectorsWithAndWithoutTheAdapter(@TempDir Path dir) throws IOException {
        Path model = modelDir(dir);
        Path out = dir.resolve("logits.safetensors");
        KeelCliTest.Run r = run("lm", "logits", "--model", model.toString(), "--in",
                vectors().resolve("vectors.json").toString(), "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("(2, 11, 97)");
        assertClose(tensor(out, "logits"), tensor(vectors().resolve("expected.safetensors"), "logits"), 1e-4);

        Path ids = dir.resolve("ids.json");
        Files.writeString(ids, "[[49,71,31,10,49,8,36,67,2,83,17],[96,49,96,20,72,64,77,11,6,61,20]]");
        Path out2 = dir.resolve("with-adapter.safetensors");
        r = run("lm", "logits", "--model", model.toString(), "--adapter", dir.resolve("adapter").toString(),
                "--in", ids.toString(), "--out", out2.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertClose(tensor(out2, "logits"), tensor(vectors().resolve("expected.safetensors"), "logits_with_adapter"), 1e-4);
    }

    @Test
    void aMissingAdapterDirectoryIsAUsageError(@TempDir Path dir) throws IOException {
        Path model = modelDir(dir);
        Path ids = dir.resolve("ids.json");
        Files.writeString(ids, "[[1,2,3]]");
        Path missing = dir.resolve("no-adapter");
        KeelCliTest.Run r = run("lm", "logits", "--model", model.toString(), "--adapter", missing.toString(),
                "--in", ids.toString(), "--out", dir.resolve("x.safetensors").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--adapter " + missing + ": no such directory");
        r = run("sam", "landscape", "--adapter", missing.toString(), "--in", ids.toString(), "--out",
                dir.resolve("x.png").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--adapter " + missing + ": no such directory");
    }

    @Test
    void logitsRejectBadIdFiles(@TempDir Path dir) throws IOException {
        Path model = modelDir(dir);
        Path ids = dir.resolve("ids.json");
        for (String[] c : new String[][] {
            {"[[1,2,3],[4,5]]", "equal lengths"}, {"{\"x\": 1}", "list of token-id lists"}, {"[[1,\"a\"]]", "token id"},
            {"not json", "not valid JSON"}, {"[[1,2,500]]", "500"}}) {
            Files.writeString(ids, c[0]);
            KeelCliTest.Run r = run("lm", "logits", "--model", model.toString(), "--in", ids.toString(),
                    "--out", dir.resolve("o.safetensors").toString());
            assertThat(r.code()).as(c[0]).isEqualTo(2);
            assertThat(r.err()).contains(c[1]).doesNotContain("\tat ");
        }
        KeelCliTest.Run r = run("lm", "logits", "--model", dir.resolve("nope").toString(), "--in", ids.toString(),
                "--out", dir.resolve("o.safetensors").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("nope");
        assertThat(run("lm").code()).isEqualTo(2);
    }

    @Test
    void chatRepliesWithAnAdapterAndRejectsBadArguments(@TempDir Path dir) throws IOException {
        Path model = modelDir(dir);
        KeelCliTest.Run r = run("chat", "--model", model.toString(), "--adapter", dir.resolve("adapter").toString(),
                "--max-tokens", "5", "the water is");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(run("chat", "--model", model.toString(), "--max-tokens", "0", "hi").code()).isEqualTo(2);
        assertThat(run("chat", "--model", model.toString(), "--template", "nope", "hi").err()).contains("--template");
        assertThat(run("chat", "--model", dir.resolve("missing").toString(), "hi").code()).isEqualTo(2);
        assertThat(run("chat").code()).isEqualTo(2);
    }

    @Test
    void chatDefaultsToTheBundledKeelTiny() {
        KeelCliTest.Run r = run("chat", "Reverse these words: cat dog sun");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().strip()).isEqualTo("sun dog cat");
    }

    @Test
    void loraTrainWritesAPeftAdapterThatChatLoads(@TempDir Path dir) throws IOException {
        Path model = modelDir(dir);
        Path data = dir.resolve("train.jsonl");
        Files.writeString(data, """
                {"messages": [{"role": "user", "content": "the water is"}, {"role": "assistant", "content": "of the water"}]}
                {"messages": [{"role": "user", "content": "it was you"}, {"role": "assistant", "content": "that he was"}]}
                """);
        Path out = dir.resolve("trained");
        KeelCliTest.Run r = run("train", "--model", model.toString(), "--in", data.toString(), "--out", out.toString(),
                "--epochs", "2", "--lr", "1e-2", "--rank", "4", "--alpha", "8", "--targets", "q_proj,v_proj", "--seed", "3");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("trained 2 steps (adamw) on 2 records");
        assertThat(out.resolve("adapter_config.json")).exists();
        assertThat(out.resolve("adapter_model.safetensors")).exists();
        assertThat(Files.readString(out.resolve("adapter_config.json"))).contains("\"r\"").contains("q_proj");
        r = run("chat", "--model", model.toString(), "--adapter", out.toString(), "--max-tokens", "3", "the water is");
        assertThat(r.code()).as(r.err()).isZero();
    }

    @Test
    void loraTrainRejectsBadArguments(@TempDir Path dir) throws IOException {
        Path model = modelDir(dir);
        Path data = dir.resolve("train.jsonl");
        Files.writeString(data, "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"the\"}]}\n");
        String out = dir.resolve("o").toString();
        String m = model.toString();
        String d = data.toString();
        assertThat(run("train", "--model", m, "--in", d, "--out", out, "--rank", "0").err()).contains("--rank");
        assertThat(run("train", "--model", m, "--in", d, "--out", out, "--lr", "-1").code()).isEqualTo(2);
        assertThat(run("train", "--model", m, "--in", d, "--out", out, "--epochs", "0").code()).isEqualTo(2);
        assertThat(run("train", "--model", m, "--in", dir.resolve("none.jsonl").toString(), "--out", out).err())
                .contains("none.jsonl");
        assertThat(run("train", "--model", m, "--in", d).code()).isEqualTo(2);
        Files.writeString(data, "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}]}\n");
        KeelCliTest.Run r = run("train", "--model", m, "--in", d, "--out", out);
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("train.jsonl line 1").doesNotContain("\tat ");
    }

    @Test
    void trainTinyRejectsBadArguments(@TempDir Path dir) {
        assertThat(run("train-tiny", "--out", dir.toString(), "--steps", "0").code()).isEqualTo(2);
        assertThat(run("train-tiny", "--out", dir.toString(), "--threads", "0").err()).contains("--threads");
        assertThat(run("train-tiny", "--seed", "x").code()).isEqualTo(2);
    }
}
