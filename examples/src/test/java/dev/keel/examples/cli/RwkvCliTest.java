package dev.keel.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.core.internal.Json;
import dev.keel.core.lm.CausalLm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.keel.examples.cli.KeelCliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code keel train-tiny --arch rwkv} trains an RWKV keel-tiny that {@code keel chat --model} answers with. */
class RwkvCliTest {

    @Test
    void trainTinyRwkvThenChatWithIt(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("tiny-rwkv");
        KeelCliTest.Run r = run("train-tiny", "--arch", "rwkv", "--smoke", "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("keel-tiny-rwkv -> ");
        assertThat(CausalLm.isRwkv(out)).isTrue();
        JsonNode metrics = Json.readFile(out.resolve("metrics.json"));
        assertThat(metrics.path("architecture").asText()).isEqualTo("rwkv");
        assertThat(metrics.path("training").path("held_out_loss").size()).isPositive();
        assertThat(metrics.path("training").path("tokens_per_second").asDouble()).isPositive();
        assertThat(metrics.path("evaluation").path("exact_match_accuracy").size()).isPositive();

        Path llama = dir.resolve("tiny-llama");
        assertThat(run("train-tiny", "--smoke", "--out", llama.toString()).code()).isZero();
        long pr = metrics.path("parameters").asLong();
        long pl = Json.readFile(llama.resolve("metrics.json")).path("parameters").asLong();
        // the same parameter count within one channel-mixing column per block
        assertThat(Math.abs(pr - pl)).isLessThan(2L * 32 * 1 + 2 * 32);

        String table = dev.keel.examples.rwkv.RwkvComparison.run(dir.resolve("cmp"), java.util.List.of(llama, out));
        assertThat(table).contains("| metric | llama (n=1) | rwkv (n=1) |").contains("| recall_16_words |")
                .contains("| held_out_loss |");
        assertThat(Files.readString(dir.resolve("cmp/comparison.csv"))).contains("tiny-rwkv,rwkv,42,");
        assertThat(Files.size(dir.resolve("cmp/held-out-loss.png"))).isPositive();
        assertThat(Files.size(dir.resolve("cmp/held-out-loss-flops.png"))).isPositive();
        assertThat(table).contains("| train_flops_per_token |").contains("| train_tflops_total |");

        KeelCliTest.Run chat = run("chat", "--model", out.toString(), "--max-tokens", "3", "Repeat these words: red blue");
        assertThat(chat.code()).as(chat.err()).isZero();

        KeelCliTest.Run search = run("search", "solve", "--model", out.toString(), "--prompt", "What is 4 + 3?",
                "--task", "add1", "--simulations", "8");
        assertThat(search.code()).as(search.err()).isZero();
        assertThat(search.out()).contains("answer:").contains("8 simulations (0 failed)");
        assertThat(Files.exists(out.resolve("model.safetensors"))).isTrue();

        KeelCliTest.Run bad = run("train-tiny", "--arch", "mamba", "--smoke", "--out", dir.resolve("x").toString());
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("--arch must be llama or rwkv, was mamba");
    }
}
