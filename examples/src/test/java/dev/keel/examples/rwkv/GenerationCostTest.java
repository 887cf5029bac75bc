package dev.keel.examples.rwkv;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class GenerationCostTest {

    @Test
    void shapesHaveEqualParameterCounts() {
        long tl = GenerationCost.tinyLlama().parameterCount();
        long tr = GenerationCost.tinyRwkv().parameterCount();
        long ll = GenerationCost.largeLlama().parameterCount();
        long lr = GenerationCost.largeRwkv().parameterCount();
        assertThat(Math.abs(tl - tr)).isLessThan(tl / 500);
        assertThat(Math.abs(ll - lr)).isLessThan(ll / 500);
        assertThat(ll).isBetween(90_000_000L, 130_000_000L);
    }

    @Test
    void writesCsvAndPngAndTheStatesBehaveAsTheyShould(@TempDir Path dir) throws Exception {
        List<GenerationCost.Row> rows = GenerationCost.run(dir, 2, new int[] {16, 64}, false);
        assertThat(rows).hasSize(4);
        // the KV cache grows with the context, the recurrent state does not
        assertThat(rows.get(1).stateBytes()).isEqualTo(4 * rows.get(0).stateBytes());
        assertThat(rows.get(3).stateBytes()).isEqualTo(rows.get(2).stateBytes())
                .isEqualTo(GenerationCost.tinyRwkv().stateBytesPerSequence());
        assertThat(Files.readString(dir.resolve("generation-cost.csv"))).contains("keel-tiny,rwkv,");
        byte[] png = Files.readAllBytes(dir.resolve("generation-cost.png"));
        assertThat(png[1]).isEqualTo((byte) 'P');
    }
}
