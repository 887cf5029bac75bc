package dev.keel.core.lm.generate;

import dev.keel.core.testkit.TinyFixtures;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

class Qwen3TokenizerFixtureTest {

    @Test
    void theUnpackedTokenizerIsTheOneTheReadmeNames() throws Exception {
        byte[] bytes = Files.readAllBytes(TinyFixtures.qwen3Tokenizer());
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        assertThat(sha).isEqualTo("aeb13307a71acd8fe81861d94ad54ab689df773318809eed3cbe794b4492dae4");
        assertThat(TinyFixtures.qwen3TokenizerDir().resolve("tokenizer_config.json")).isRegularFile();
    }
}
