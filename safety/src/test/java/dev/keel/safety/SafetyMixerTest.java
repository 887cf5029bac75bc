package dev.keel.safety;

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
    void notInDropsSamplesWhoseInstructionAFineTuningSetAlreadyHolds() {
        List<SafetySample> pool = SafetySample.of(AdvBench.train().subList(0, 5));
        String held = pool.get(2).instruction();
        List<ChatRecord> records = List.of(ChatRecord.of(null, "  " + held.toUpperCase() + " !", "ok"),
                ChatRecord.of(null, "something else", "ok"));
        assertThat(SafetySample.notIn(pool, records)).hasSize(4).doesNotContain(pool.get(2));
        assertThat(SafetySample.notIn(pool, List.of())).isEqualTo(pool);
        assertThatThrownBy(() -> SafetySample.notIn(pool, java.util.Arrays.asList((ChatRecord) null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("records");
    }
}
