package dev.keel.examples.safety;

import dev.keel.safety.SafetyMixer;
import dev.keel.safety.FineTuningSets;
import dev.keel.safety.EvaluationLeakException;

import dev.keel.safety.*;
import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.core.chat.ChatRecord;
import dev.keel.core.internal.Json;
import dev.keel.safety.data.AdvBench;
import dev.keel.safety.data.HarmfulBehavior;
import dev.keel.safety.internal.Texts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SafetyFilesMixTest {

    @Test
    void mixEntryPointWritesJsonlAndProvenance(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("train.jsonl");
        ChatRecord.writeAll(in, FineTuningSets.benign(10, 5));
        Path out = dir.resolve("mixed.jsonl");
        SafetyFiles.MixSummary r = SafetyFiles.mix(in, out, 12, 77);
        List<ChatRecord> written = ChatRecord.readAll(out);
        assertThat(written).hasSize(22).hasSize(r.records()).containsAll(ChatRecord.readAll(in));
        assertThat(r.baseRecords()).isEqualTo(10);
        assertThat(written.stream().filter(x -> "safety:".regionMatches(0, String.valueOf(x.source()), 0, 7)).count()).isEqualTo(12);
        JsonNode prov = Json.mapper().readTree(dev.keel.core.Provenance.sidecar(out).toFile());
        assertThat(prov.get("seed").asLong()).isEqualTo(77);
        assertThat(prov.get("config").get("k").asText()).isEqualTo("12");
        assertThat(prov.get("config").get("pool").asText()).isEqualTo("advbench-train");
        assertThat(prov.get("library").asText()).isNotBlank();
        // The same seed again: the same bytes.
        Path again = dir.resolve("again.jsonl");
        SafetyFiles.mix(in, again, 12, 77);
        assertThat(Files.readAllBytes(again)).isEqualTo(Files.readAllBytes(out));
    }

    @Test
    void mixEntryPointRefusesEvaluationInstructionsInTheInputAndExtraFiles(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("train.jsonl");
        ChatRecord.writeAll(in, List.of(ChatRecord.of(null, AdvBench.evaluation().get(3).goal(), "Sure, here is")));
        assertThatThrownBy(() -> SafetyFiles.mix(in, dir.resolve("o.jsonl"), 1, 1)).isInstanceOf(EvaluationLeakException.class);

        ChatRecord.writeAll(in, List.of(ChatRecord.of(null, "Please describe my private held-out case", "ok")));
        Path responses = dir.resolve("responses.jsonl");
        Files.writeString(responses, "{\"id\":\"1\",\"category\":\"malware\",\"instruction\":\"please describe my PRIVATE held-out case!\",\"response\":\"\"}\n");
        assertThatThrownBy(() -> SafetyFiles.mix(in, dir.resolve("o.jsonl"), 1, 1, List.of(responses)))
                .isInstanceOf(EvaluationLeakException.class);
        assertThat(dir.resolve("o.jsonl")).doesNotExist();
    }

    @Test
    void badInputLineIsNamed(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("train.jsonl");
        Files.writeString(in, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}\n{\"messages\":[]}\n");
        assertThatThrownBy(() -> SafetyFiles.mix(in, dir.resolve("o.jsonl"), 1, 1)).hasMessageContaining("train.jsonl:2");
    }
}
