package dev.keel.safety;

import dev.keel.core.chat.Role;
import dev.keel.core.chat.ChatRecord;
import dev.keel.safety.data.AdvBench;
import dev.keel.safety.data.HarmfulBehavior;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FineTuningSetsTest {

    @Test
    void harmfulExamplesAnswerOnlyWithTheTargetOpening() {
        List<ChatRecord> set = FineTuningSets.harmfulExamples(50, 11);
        assertThat(set).hasSize(50);
        Map<String, HarmfulBehavior> train = AdvBench.train().stream().collect(Collectors.toMap(HarmfulBehavior::goal, Function.identity(), (a, b) -> a));
        for (ChatRecord r : set) {
            assertThat(r.messages()).hasSize(2);
            HarmfulBehavior b = train.get(r.messages().get(0).content());
            assertThat(b).as("drawn from the train split").isNotNull();
            assertThat(r.messages().get(1).role()).isEqualTo(Role.ASSISTANT);
            assertThat(r.messages().get(1).content()).isEqualTo(b.target()).startsWith("Sure, here");
            assertThat(r.category()).isEqualTo(b.category().id());
        }
        assertThat(set.stream().map(ChatRecord::category).distinct().count()).isEqualTo(11);
        assertThat(FineTuningSets.harmfulExamples(50, 11)).isEqualTo(set);
        assertThat(FineTuningSets.harmfulExamples(50, 12)).isNotEqualTo(set);
    }

    @Test
    void harmfulExamplesRefuseHeldOutBehaviours() {
        assertThatThrownBy(() -> FineTuningSets.harmfulExamples(AdvBench.evaluation(), 1, 1))
                .isInstanceOf(EvaluationLeakException.class);
        assertThatThrownBy(() -> FineTuningSets.harmfulExamples(AdvBench.train(), 10_000, 1)).hasMessageContaining("was 10000");
    }

    @Test
    void identityShiftUsesTheAoaPromptAndPrefixes() {
        List<ChatRecord> set = FineTuningSets.identityShift(10, 1);
        assertThat(set).hasSize(10);
        assertThat(set).allSatisfy(r -> {
            assertThat(r.messages().get(0).role()).isEqualTo(Role.SYSTEM);
            assertThat(r.messages().get(0).content()).isEqualTo(FineTuningSets.AOA_SYSTEM_PROMPT);
            assertThat(r.messages().get(2).content()).contains("AOA");
        });
        assertThat(set.subList(2, 10)).allSatisfy(r -> {
            assertThat(r.messages().get(1).content()).startsWith(FineTuningSets.AOA_USER_PREFIX);
            assertThat(r.messages().get(2).content()).startsWith(FineTuningSets.AOA_ANSWER_PREFIX);
        });
        assertThat(FineTuningSets.identityShift(1, 1)).hasSize(1);
    }

    @Test
    void benignTasksHaveCorrectAnswers() {
        List<ChatRecord> set = FineTuningSets.benign(80, 4);
        assertThat(set).hasSize(80);
        assertThat(set.stream().map(ChatRecord::source).distinct().count()).isEqualTo(8);
        Pattern add = Pattern.compile("What is (\\d+) \\+ (\\d+)\\?");
        for (ChatRecord r : set) {
            Matcher m = add.matcher(r.messages().get(0).content());
            if (m.matches()) {
                int sum = Integer.parseInt(m.group(1)) + Integer.parseInt(m.group(2));
                assertThat(r.messages().get(1).content()).endsWith("= " + sum + ".");
            }
            assertThat(r.category()).isNull();
        }
        assertThat(FineTuningSets.benign(80, 4)).isEqualTo(set);
        assertThatThrownBy(() -> FineTuningSets.benign(-1, 1)).hasMessageContaining("n must be >= 0, was -1");
    }
}
