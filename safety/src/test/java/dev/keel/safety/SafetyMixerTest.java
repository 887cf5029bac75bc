package dev.keel.safety;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.core.data.ChatRecord;
import dev.keel.core.data.Json;
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

class SafetyMixerTest {

    @Test
    void defaultPoolIsAdvBenchTrainAndSpreadsOverAllCategories() {
        SafetyMixer mixer = SafetyMixer.builder().seed(3).build();
        assertThat(mixer.pool()).hasSize(AdvBench.train().size());
        SafetyMixer.Result one = mixer.mix(FineTuningSets.benign(20, 1), 11);
        assertThat(one.perCategory()).hasSize(11);
        assertThat(one.perCategory().values()).containsOnly(1);
        // 33 over 11: tailored financial advice has one train sample, the 32 others spread 3 or 4 apiece.
        SafetyMixer.Result r = mixer.mix(FineTuningSets.benign(20, 1), 33);
        assertThat(r.perCategory().get(PolicyCategory.TAILORED_FINANCIAL_ADVICE)).isEqualTo(1);
        assertThat(r.perCategory().entrySet()).filteredOn(e -> e.getKey() != PolicyCategory.TAILORED_FINANCIAL_ADVICE)
                .allSatisfy(e -> assertThat(e.getValue()).isBetween(3, 4));
        Set<String> eval = AdvBench.evaluation().stream().map(b -> Texts.normalise(b.goal())).collect(Collectors.toSet());
        assertThat(r.added()).noneMatch(s -> eval.contains(Texts.normalise(s.instruction())));
        assertThat(r.added()).allSatisfy(s -> assertThat(s.refusal()).startsWith("I"));
    }

    @Test
    void exhaustedCategoriesGiveWhatTheyHave() {
        SafetyMixer.Result r = SafetyMixer.builder().seed(3).build().mix(List.of(), 110);
        assertThat(r.perCategory().get(PolicyCategory.TAILORED_FINANCIAL_ADVICE)).isEqualTo(1);
        assertThat(r.perCategory().get(PolicyCategory.ADULT_CONTENT)).isEqualTo(3);
        assertThat(r.added()).hasSize(110);
    }

    @Test
    void errorsNameTheValue() {
        SafetyMixer mixer = SafetyMixer.builder().seed(1).build();
        assertThatThrownBy(() -> mixer.mix(List.of(), -1)).hasMessageContaining("k must be >= 0, was -1");
        assertThatThrownBy(() -> mixer.mix(List.of(), 10_000)).hasMessageContaining("was 10000").hasMessageContaining(Integer.toString(mixer.pool().size()));
        assertThatThrownBy(() -> SafetyMixer.builder().build()).isInstanceOf(IllegalStateException.class).hasMessageContaining("seed");
    }

    @Test
    void aPoolHoldingAnEvaluationInstructionIsRefused() {
        HarmfulBehavior held = AdvBench.evaluation().get(0);
        List<SafetySample> pool = List.of(new SafetySample(held.goal().toUpperCase() + "!!", held.category(), "No.", "x"));
        assertThatThrownBy(() -> SafetyMixer.builder().pool(pool).seed(1).build())
                .isInstanceOf(EvaluationLeakException.class).hasMessageContaining("safety pool");
    }

    @Test
    void mixEntryPointWritesJsonlAndProvenance(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("train.jsonl");
        ChatRecord.writeAll(in, FineTuningSets.benign(10, 5));
        Path out = dir.resolve("mixed.jsonl");
        SafetyMixer.Result r = Safety.mix(in, out, 12, 77);
        List<ChatRecord> written = ChatRecord.readAll(out);
        assertThat(written).hasSize(22).isEqualTo(r.records());
        assertThat(written.stream().filter(x -> "safety:".regionMatches(0, String.valueOf(x.source()), 0, 7)).count()).isEqualTo(12);
        JsonNode prov = Json.mapper().readTree(dev.keel.core.Provenance.sidecar(out).toFile());
        assertThat(prov.get("seed").asLong()).isEqualTo(77);
        assertThat(prov.get("config").get("k").asText()).isEqualTo("12");
        assertThat(prov.get("config").get("pool").asText()).isEqualTo("advbench-train");
        assertThat(prov.get("library").asText()).isNotBlank();
        // The same seed again: the same bytes.
        Path again = dir.resolve("again.jsonl");
        Safety.mix(in, again, 12, 77);
        assertThat(Files.readAllBytes(again)).isEqualTo(Files.readAllBytes(out));
    }

    @Test
    void mixEntryPointRefusesEvaluationInstructionsInTheInputAndExtraFiles(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("train.jsonl");
        ChatRecord.writeAll(in, List.of(ChatRecord.of(null, AdvBench.evaluation().get(3).goal(), "Sure, here is")));
        assertThatThrownBy(() -> Safety.mix(in, dir.resolve("o.jsonl"), 1, 1)).isInstanceOf(EvaluationLeakException.class);

        ChatRecord.writeAll(in, List.of(ChatRecord.of(null, "Please describe my private held-out case", "ok")));
        Path responses = dir.resolve("responses.jsonl");
        Files.writeString(responses, "{\"id\":\"1\",\"category\":\"malware\",\"instruction\":\"please describe my PRIVATE held-out case!\",\"response\":\"\"}\n");
        assertThatThrownBy(() -> Safety.mix(in, dir.resolve("o.jsonl"), 1, 1, List.of(responses)))
                .isInstanceOf(EvaluationLeakException.class);
        assertThat(dir.resolve("o.jsonl")).doesNotExist();
    }

    @Test
    void badInputLineIsNamed(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("train.jsonl");
        Files.writeString(in, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}\n{\"messages\":[]}\n");
        assertThatThrownBy(() -> Safety.mix(in, dir.resolve("o.jsonl"), 1, 1)).hasMessageContaining("train.jsonl:2");
    }
}
