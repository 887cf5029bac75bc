package dev.keel.sam;

import dev.keel.core.testkit.TinyFixtures;

import ai.djl.nn.Parameter;
import dev.keel.core.chat.ChatRecord;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.lora.LoraAdapter;
import dev.keel.core.lm.lora.LoraConfig;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

/** WiSE-FT and rehearsal. */
class CompanionsTest {

    @Test
    void wiseFtEndpointsAreTheTwoModelsAndTheMidpointIsLinear() {
        try (LlamaModel model = TinyFixtures.tinyModel(31);
             LoraAdapter lora = LoraAdapter.create(model, LoraConfig.builder().rank(2).alpha(4).build(), 31)) {
            Map<String, Parameter> p = lora.parameters();
            LmObjective objective = LmObjective.of(model, p, TinyFixtures.randomExamples(2, 8, 31));
            for (int i = 0; i < 3; i++) {
                objective.run();
                BaseOptimizer.sgd(p).step(0.5);
            }
            Map<String, float[]> tuned = WiseFt.capture(p);
            Map<String, float[]> zero = WiseFt.zeroAdapter(tuned);
            WiseFt.apply(p, zero, tuned, 0);
            assertThat(WiseFt.capture(p)).usingRecursiveComparison().isEqualTo(zero);
            double base = objective.loss();
            // alpha = 0 with the zero adapter is the base model itself
            for (var l : model.linearLayers().values()) {
                if (l.lora() != null) {
                    assertThat(l.lora().b().getArray().toFloatArray()).containsOnly(0f);
                }
            }
            WiseFt.apply(p, zero, tuned, 1);
            assertThat(WiseFt.capture(p)).usingRecursiveComparison().isEqualTo(tuned);
            double fine = objective.loss();
            List<WiseFt.Point<Double>> sweep = WiseFt.sweep(p, zero, tuned, WiseFt.alphas(3), a -> objective.loss());
            assertThat(sweep).hasSize(3);
            assertThat(sweep.get(0).value()).isCloseTo(base, offset(1e-6));
            assertThat(sweep.get(2).value()).isCloseTo(fine, offset(1e-6));
            assertThat(WiseFt.capture(p)).usingRecursiveComparison().isEqualTo(tuned);
            Map<String, float[]> mid = WiseFt.interpolate(zero, tuned, 0.5);
            String b = p.keySet().stream().filter(k -> k.contains("lora_B")).findFirst().orElseThrow();
            for (int i = 0; i < mid.get(b).length; i++) {
                assertThat(mid.get(b)[i]).isCloseTo(tuned.get(b)[i] / 2, offset(1e-7f));
            }
        }
    }

    @Test
    void wiseFtRejectsMismatches() {
        Map<String, float[]> a = Map.of("x", new float[2]);
        Map<String, float[]> b = Map.of("x", new float[3]);
        assertThatThrownBy(() -> WiseFt.interpolate(a, b, 0.5)).hasMessageContaining("\"x\" has 2 values in theta0 and 3");
        assertThatThrownBy(() -> WiseFt.interpolate(a, Map.of("y", new float[2]), 0.5)).hasMessageContaining("same tensors");
        assertThatThrownBy(() -> WiseFt.interpolate(a, a, 1.5)).hasMessageContaining("alpha must be in [0, 1], was 1.5");
        assertThatThrownBy(() -> WiseFt.alphas(1)).hasMessageContaining("was 1");
        assertThat(WiseFt.alphas(5)).containsExactly(0, 0.25, 0.5, 0.75, 1);
    }

    static List<ChatRecord> records(String tag, int n) {
        List<ChatRecord> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(ChatRecord.of(null, tag + " question " + i, tag + " answer " + i));
        }
        return out;
    }

    @Property(tries = 50)
    void rehearsalAddsTheRightNumberOfOldRecords(@ForAll @IntRange(min = 0, max = 40) int newSize,
                                                 @ForAll @IntRange(min = 1, max = 30) int oldSize,
                                                 @ForAll @DoubleRange(min = 0, max = 3) double ratio) {
        List<ChatRecord> fresh = records("new", newSize);
        List<ChatRecord> old = records("old", oldSize);
        List<ChatRecord> mixed = Rehearsal.mix(fresh, old, ratio, 7);
        int expectedOld = (int) Math.round(ratio * newSize);
        assertThat(mixed).hasSize(newSize + expectedOld);
        assertThat(mixed.stream().filter(r -> Rehearsal.SOURCE.equals(r.source())).count()).isEqualTo(expectedOld);
        assertThat(mixed).containsAll(fresh);
        if (expectedOld <= oldSize) {
            // without replacement while the old set lasts
            assertThat(mixed.stream().filter(r -> Rehearsal.SOURCE.equals(r.source())).distinct().count()).isEqualTo(expectedOld);
        }
        assertThat(Rehearsal.mix(fresh, old, ratio, 7)).isEqualTo(mixed);
    }

    @Test
    void rehearsalIsSeededAndChecksItsInput() {
        List<ChatRecord> fresh = records("new", 20);
        List<ChatRecord> old = records("old", 20);
        assertThat(Rehearsal.mix(fresh, old, 0.5, 1)).isNotEqualTo(Rehearsal.mix(fresh, old, 0.5, 2));
        Map<Boolean, Long> counts = new LinkedHashMap<>();
        for (ChatRecord r : Rehearsal.mix(fresh, old, 0.25, 1)) {
            counts.merge(r.source() != null, 1L, Long::sum);
        }
        assertThat(counts).containsEntry(true, 5L).containsEntry(false, 20L);
        assertThatThrownBy(() -> Rehearsal.mix(fresh, old, -0.1, 1)).hasMessageContaining("ratio must be >= 0, was -0.1");
        assertThatThrownBy(() -> Rehearsal.mix(fresh, List.of(), 0.5, 1)).hasMessageContaining("asks for 10 old records");
    }
}
