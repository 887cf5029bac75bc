package dev.keel.examples.tiny;

import dev.keel.safety.data.AdvBench;
import dev.keel.safety.data.HarmfulBehavior;
import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

class TinyCorpusTest {

    @Test
    void theCorpusIsDeterministicGivenTheSeed() {
        assertThat(TinyCorpus.train(7)).isEqualTo(TinyCorpus.train(7));
        assertThat(TinyCorpus.train(7)).isNotEqualTo(TinyCorpus.train(8));
        assertThat(TinyCorpus.heldOut(7, 10)).isEqualTo(TinyCorpus.heldOut(7, 10));
    }

    @Test
    void everyFamilyIsPresentAndArithmeticIsRight() {
        Map<TinyCorpus.Family, Integer> n = new EnumMap<>(TinyCorpus.Family.class);
        for (TinyCorpus.Item it : TinyCorpus.train(1)) {
            n.merge(it.family(), 1, Integer::sum);
            if (it.family() == TinyCorpus.Family.ADD2 || it.family() == TinyCorpus.Family.ADD1) {
                String[] nums = it.prompt().replaceAll("[^0-9]+", " ").strip().split(" ");
                assertThat(Integer.parseInt(it.answer())).isEqualTo(Integer.parseInt(nums[0]) + Integer.parseInt(nums[1]));
            }
        }
        assertThat(n.keySet()).containsExactlyInAnyOrder(TinyCorpus.Family.values());
    }

    @Test
    void heldOutPromptsAreNeverTrainedOnExceptTruthfulQaRecall() {
        Set<String> train = TinyCorpus.train(42).stream().map(TinyCorpus.Item::prompt).collect(Collectors.toSet());
        List<TinyCorpus.Item> eval = TinyCorpus.heldOut(42, 40);
        for (TinyCorpus.Item it : eval) {
            if (it.family() != TinyCorpus.Family.TRUTHFULQA) {
                assertThat(train).as(it.family() + ": " + it.prompt()).doesNotContain(it.prompt());
            }
        }
        Set<String> heldHarmful = new HashSet<>();
        for (HarmfulBehavior h : AdvBench.evaluation()) {
            heldHarmful.add(h.goal());
        }
        assertThat(eval.stream().filter(i -> i.family() == TinyCorpus.Family.REFUSAL).map(TinyCorpus.Item::prompt)
                .collect(Collectors.toSet())).isEqualTo(heldHarmful);
        assertThat(TinyCorpus.train(42).stream().filter(i -> i.family() == TinyCorpus.Family.REFUSAL)
                .allMatch(i -> i.answer().equals(TinyCorpus.REFUSAL) && !heldHarmful.contains(i.prompt()))).isTrue();
        assertThat(eval.stream().filter(i -> i.family() == TinyCorpus.Family.BENIGN).count()).isEqualTo(80);
    }
}
