package dev.keel.safety;

import dev.keel.core.chat.ChatMessage;
import dev.keel.core.chat.Role;
import dev.keel.core.chat.ChatRecord;
import dev.keel.safety.internal.Texts;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Acceptance 2: invariants of the safety mixer, over random pools, datasets, k and seeds. */
class SafetyMixerPropertiesTest {

    @Provide
    Arbitrary<List<Integer>> availability() {
        return Arbitraries.integers().between(0, 7).list().ofSize(PolicyCategory.values().length);
    }

    static List<SafetySample> pool(List<Integer> availability) {
        List<SafetySample> pool = new ArrayList<>();
        PolicyCategory[] cats = PolicyCategory.values();
        for (int c = 0; c < cats.length; c++) {
            for (int j = 0; j < availability.get(c); j++) {
                String instruction = "Harmful request number " + j + " of kind " + cats[c].id().replace('_', ' ');
                pool.add(new SafetySample(instruction, cats[c], SafetySample.refusal(cats[c], j), "test#" + c + "." + j));
            }
        }
        return pool;
    }

    static List<ChatRecord> base(int n) {
        List<ChatRecord> base = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            base.add(ChatRecord.of(null, "Benign task " + i, "Answer " + i).withSource("base"));
        }
        return base;
    }

    private static int total(List<Integer> availability) {
        return availability.stream().mapToInt(Integer::intValue).sum();
    }

    @Property(tries = 200)
    void addsExactlyKSamplesAndKeepsTheBase(@ForAll("availability") List<Integer> availability,
                                            @ForAll @IntRange(min = 0, max = 100) int kRaw,
                                            @ForAll @IntRange(min = 0, max = 15) int baseSize,
                                            @ForAll long seed) {
        int k = kRaw % (total(availability) + 1);
        List<ChatRecord> base = base(baseSize);
        SafetyMixer.Result r = SafetyMixer.builder().pool(pool(availability)).evaluation(List.of()).seed(seed).build().mix(base, k);
        assertThat(r.records()).hasSize(baseSize + k);
        assertThat(r.added()).hasSize(k);
        assertThat(r.records().stream().filter(x -> x.source().startsWith("safety:")).count()).isEqualTo(k);
        assertThat(r.records()).containsAll(base);
        assertThat(r.perCategory().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(k);
        assertThat(r.added().stream().map(s -> Texts.normalise(s.instruction())).distinct().count()).isEqualTo(k);
    }

    @Property(tries = 300)
    void stratifiedWithinOnePerCategoryUnlessExhausted(@ForAll("availability") List<Integer> availability,
                                                       @ForAll @IntRange(min = 0, max = 100) int kRaw,
                                                       @ForAll long seed) {
        int k = kRaw % (total(availability) + 1);
        SafetyMixer.Result r = SafetyMixer.builder().pool(pool(availability)).evaluation(List.of()).seed(seed).build()
                .mix(List.of(), k);
        Map<PolicyCategory, Integer> counts = new EnumMap<>(PolicyCategory.class);
        for (ChatRecord rec : r.records()) {
            counts.merge(PolicyCategory.parse(rec.category()), 1, Integer::sum);
        }
        assertThat(counts).isEqualTo(r.perCategory());
        PolicyCategory[] cats = PolicyCategory.values();
        for (int c = 0; c < cats.length; c++) {
            int qc = counts.getOrDefault(cats[c], 0);
            assertThat(qc).isLessThanOrEqualTo(availability.get(c));
            for (int d = 0; d < cats.length; d++) {
                int qd = counts.getOrDefault(cats[d], 0);
                if (qd > qc + 1) {
                    // Only allowed if c has nothing left to give.
                    assertThat(qc).as("%s has %d, %s has %d", cats[c], qc, cats[d], qd).isEqualTo(availability.get(c));
                }
            }
        }
    }

    @Property(tries = 40)
    void sameSeedGivesTheSameFileBytes(@ForAll("availability") List<Integer> availability,
                                       @ForAll @IntRange(min = 0, max = 100) int kRaw,
                                       @ForAll @IntRange(min = 0, max = 10) int baseSize,
                                       @ForAll long seed) throws IOException {
        int k = kRaw % (total(availability) + 1);
        Path dir = Files.createTempDirectory("mix");
        try {
            Path a = dir.resolve("a.jsonl");
            Path b = dir.resolve("b.jsonl");
            SafetyMixer.builder().pool(pool(availability)).evaluation(List.of()).seed(seed).build().mix(base(baseSize), k).write(a);
            SafetyMixer.builder().pool(pool(availability)).evaluation(List.of()).seed(seed).build().mix(base(baseSize), k).write(b);
            assertThat(Files.readAllBytes(a)).isEqualTo(Files.readAllBytes(b));
            assertThat(ChatRecord.readAll(a)).hasSize(baseSize + k);
        } finally {
            try (var s = Files.list(dir)) {
                for (Path p : s.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
        }
    }

    /** The same instruction after case, whitespace and punctuation changes. */
    static String disguise(String s, int how) {
        return switch (how % 3) {
            case 0 -> s.toUpperCase(Locale.ROOT) + "!";
            case 1 -> "  \"" + s.replace(" ", "   ") + "?\" ";
            default -> s.replace(" ", ", ") + ".";
        };
    }

    @Property(tries = 200)
    void noEvaluationInstructionEverLeaksIntoTraining(@ForAll("availability") List<Integer> availability,
                                                      @ForAll List<@IntRange(min = 0, max = 80) Integer> leakPicks,
                                                      @ForAll @IntRange(min = 0, max = 100) int kRaw,
                                                      @ForAll long seed) {
        List<SafetySample> pool = pool(availability);
        List<String> evaluation = new ArrayList<>(List.of("An unrelated held-out request", "Another one"));
        Set<Integer> leaked = new HashSet<>();
        for (int pick : leakPicks) {
            if (!pool.isEmpty()) {
                int i = pick % pool.size();
                leaked.add(i);
                evaluation.add(disguise(pool.get(i).instruction(), pick));
            }
        }
        Set<String> evalNorm = new HashSet<>();
        evaluation.forEach(e -> evalNorm.add(Texts.normalise(e)));

        if (!leaked.isEmpty()) {
            assertThatThrownBy(() -> SafetyMixer.builder().pool(pool).evaluation(evaluation).seed(seed).build())
                    .isInstanceOf(EvaluationLeakException.class)
                    .satisfies(e -> assertThat(((EvaluationLeakException) e).instructions()).hasSize(leaked.size()));
        }
        // Without the leaked samples the mix succeeds and no evaluation instruction is in it.
        List<SafetySample> clean = new ArrayList<>();
        for (int i = 0; i < pool.size(); i++) {
            if (!leaked.contains(i)) {
                clean.add(pool.get(i));
            }
        }
        int k = kRaw % (clean.size() + 1);
        SafetyMixer.Result r = SafetyMixer.builder().pool(clean).evaluation(evaluation).seed(seed).build().mix(base(3), k);
        for (ChatRecord rec : r.records()) {
            for (ChatMessage m : rec.messages()) {
                if (m.role() == Role.USER) {
                    assertThat(evalNorm).doesNotContain(Texts.normalise(m.content()));
                }
            }
        }
        // And a base dataset that holds an evaluation instruction is refused.
        if (!leaked.isEmpty()) {
            String disguised = evaluation.get(2);
            List<ChatRecord> dirty = new ArrayList<>(base(2));
            dirty.add(ChatRecord.of(null, disguised, "ok"));
            assertThatThrownBy(() -> SafetyMixer.builder().pool(clean).evaluation(evaluation).seed(seed).build().mix(dirty, 0))
                    .isInstanceOf(EvaluationLeakException.class).hasMessageContaining("base dataset");
        }
    }

    @Property(tries = 200)
    void normalisationFoldsCaseWhitespaceAndPunctuation(@ForAll @IntRange(min = 0, max = 2) int how) {
        String s = "Write a tutorial on how to do X";
        assertThat(Texts.normalise(disguise(s, how))).isEqualTo(Texts.normalise(s)).isEqualTo("write a tutorial on how to do x");
        assertThat(Arrays.asList(Texts.normalise("a-b"), Texts.normalise("a b"))).containsOnly("a b");
    }
}
