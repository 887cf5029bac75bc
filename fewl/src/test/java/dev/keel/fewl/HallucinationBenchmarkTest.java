package dev.keel.fewl;

import dev.keel.core.testkit.TestEmbedders;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class HallucinationBenchmarkTest {

    /**
     * q0: truthful 0.9, 0.5 vs hallucinated 0.5, 0.1 → 3.5 of 4 pairs; q1: truthful 0.2 vs 0.3, 0.2 → 0.5 of 2.
     * Pooled AUROC: truthful {0.9, 0.5, 0.2} vs hallucinated {0.5, 0.1, 0.3, 0.2} → (4 + 3.5 + 1.5) / 12.
     */
    @Test
    void winRateAndAurocByHand() {
        int[][] truth = {{0, 1}, {4}};
        int[][] hall = {{2, 3}, {5, 6}};
        double[] s = {0.9, 0.5, 0.5, 0.1, 0.2, 0.3, 0.2};
        HallucinationBenchmark.Metrics m = new HallucinationBenchmark.Metrics(truth, hall, s.length);
        assertThat(m.winRate(s, new int[] {1, 1})).isCloseTo(4.0 / 6, within(1e-12));
        assertThat(m.auroc(s, new int[] {1, 1})).isCloseTo(9.0 / 12, within(1e-12));
        // Resampled: q0 twice, q1 not at all.
        assertThat(m.winRate(s, new int[] {2, 0})).isCloseTo(3.5 / 4, within(1e-12));
        assertThat(m.auroc(s, new int[] {2, 0})).isCloseTo(3.5 / 4, within(1e-12));
        // A row of several score vectors is their mean.
        double[] perfect = {1, 1, 0, 0, 1, 0, 0};
        assertThat(m.winRate(List.of(s, perfect), new int[] {1, 1})).isCloseTo((4.0 / 6 + 1) / 2, within(1e-12));
    }

    private static List<BenchQuestion> questions(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] acc = {0.8, 0.6, 0.4, 0.2};
        List<BenchRecord> recs = new ArrayList<>();
        for (int q = 0; q < n; q++) {
            SimulatedData.Question qq = SimulatedData.question(r, q);
            List<String> correct = List.of(qq.paraphrase(), qq.truth(), "so " + qq.truth());
            List<String> incorrect = qq.wrong();
            List<Reference> refs = new ArrayList<>();
            for (int m = 0; m < acc.length; m++) {
                List<String> pool = r.nextDouble() < acc[m] ? correct : incorrect;
                refs.add(Reference.of("m" + m, pool.get(r.nextInt(pool.size()))));
            }
            recs.add(new BenchRecord("q" + q, qq.question(), refs, correct, incorrect));
        }
        return BenchQuestion.splitAll(recs).questions();
    }

    @Test
    void runsThePaperRowsWithDeterministicBootstrap() {
        List<BenchQuestion> qs = questions(5, 40);
        TestEmbedders.Hashing e = new TestEmbedders.Hashing(128);
        HallucinationBenchmark.Result a = HallucinationBenchmark.builder().scorer(Fewl.builder().embedder(e).neighbours(5)).bootstrap(200).seed(9).build().run(qs, 3);
        HallucinationBenchmark.Result b = HallucinationBenchmark.builder().scorer(Fewl.builder().embedder(e).neighbours(5)).bootstrap(200).seed(9).build().run(qs, 3);
        HallucinationBenchmark.Result c = HallucinationBenchmark.builder().scorer(Fewl.builder().embedder(e).neighbours(5)).bootstrap(200).seed(10).build().run(qs, 3);
        assertThat(a.rows()).extracting(HallucinationBenchmark.Row::name).startsWith(
                HallucinationBenchmark.SINGLE_NO_PENALTY, HallucinationBenchmark.SINGLE_PENALTY,
                HallucinationBenchmark.MULTI_NO_PENALTY, HallucinationBenchmark.FEWL);
        assertThat(a.rows()).isEqualTo(b.rows());
        assertThat(a.differences()).isEqualTo(b.differences());
        assertThat(c.row(HallucinationBenchmark.FEWL).winRate().value()).isEqualTo(a.row(HallucinationBenchmark.FEWL).winRate().value());
        assertThat(c.row(HallucinationBenchmark.FEWL).winRate().low()).isNotEqualTo(a.row(HallucinationBenchmark.FEWL).winRate().low());
        assertThat(a.questions()).isEqualTo(40);
        assertThat(a.skipped()).isEqualTo(3);
        assertThat(a.truthful()).isEqualTo(80);
        assertThat(a.hallucinated()).isEqualTo(80);
        assertThat(a.pairs()).isEqualTo(160);
        for (HallucinationBenchmark.Row row : a.rows()) {
            assertThat(row.winRate().low()).isLessThanOrEqualTo(row.winRate().value());
            assertThat(row.winRate().high()).isGreaterThanOrEqualTo(row.winRate().value());
        }
        String table = a.table();
        assertThat(table).contains("FEWL", "multi + no penalty", "win rate [95% CI]", "-- FEWL minus --");
        assertThat(a.toJson().get("rows").size()).isEqualTo(a.rows().size());
        assertThat(a.toJson().get("provenance").get("seed").asLong()).isEqualTo(9);
        assertThat(a.toJsonLine()).startsWith("{\"questions\":40,\"skipped\":3,").contains("\"fewlMinus\":[").doesNotContain("\n");
        // Expertise weights beat uniform ones when references differ in accuracy.
        assertThat(a.row(HallucinationBenchmark.FEWL).winRate().value())
                .isGreaterThan(a.row("FEWL, uniform weights").winRate().value());
    }

    @Test
    void everyDistinctTextIsEmbeddedOnceAcrossAllRows() {
        List<BenchQuestion> qs = questions(6, 15);
        TestEmbedders.Hashing e = new TestEmbedders.Hashing(64);
        HallucinationBenchmark.builder().scorer(Fewl.builder().embedder(e).neighbours(3)).bootstrap(10).build().run(qs, 0);
        Set<String> distinct = new LinkedHashSet<>();
        for (BenchQuestion q : qs) {
            for (FewlItem it : q.items()) {
                distinct.add(it.question());
                distinct.add(it.answer());
                it.references().forEach(r -> distinct.add(r.answer()));
                distinct.addAll(it.wrongAnswers());
                distinct.addAll(it.correctedAnswers());
            }
        }
        assertThat(e.calls.get()).isEqualTo(1);
        assertThat(e.texts.get()).isEqualTo(distinct.size());
    }

    @Test
    void fixedSingleReferenceAndBadIndex() {
        List<BenchQuestion> qs = questions(7, 10);
        TestEmbedders.Hashing e = new TestEmbedders.Hashing(64);
        HallucinationBenchmark.Result r = HallucinationBenchmark.builder().scorer(Fewl.builder().embedder(e).neighbours(2)).bootstrap(0).singleReference(0).build().run(qs, 0);
        assertThat(r.rows().get(0).name()).isEqualTo("single + no penalty (ref m0)");
        assertThat(r.rows().get(0).winRate().low()).isNaN();
        assertThat(r.toJson().get("rows").get(0).get("winRateLow").isNull()).isTrue();
        assertThat(r.toJson().get("rows").get(0).get("winRate").isNumber()).isTrue();
        assertThatThrownBy(() -> HallucinationBenchmark.builder().scorer(Fewl.builder().embedder(e)).singleReference(4).build().run(qs, 0))
                .hasMessageContaining("singleReference 4");
    }

    @Test
    void theRowsComeFromTheGivenScorerSettingsCopiedWhenGiven() {
        List<BenchQuestion> qs = questions(8, 12);
        TestEmbedders.Hashing e = new TestEmbedders.Hashing(64);
        FewlScorer.Builder settings = Fewl.builder().embedder(e).neighbours(2);
        HallucinationBenchmark linear = HallucinationBenchmark.builder().scorer(settings).bootstrap(0).build();
        settings.fDivergence(FDivergence.KULLBACK_LEIBLER);      // after scorer(...): not seen by `linear`
        HallucinationBenchmark.Result a = linear.run(qs, 0);
        HallucinationBenchmark.Result b = HallucinationBenchmark.builder().scorer(Fewl.builder().embedder(e).neighbours(2))
                .bootstrap(0).build().run(qs, 0);
        HallucinationBenchmark.Result kl = HallucinationBenchmark.builder().scorer(settings).bootstrap(0).build().run(qs, 0);
        assertThat(a.rows()).isEqualTo(b.rows());
        assertThat(kl.rows()).isNotEqualTo(a.rows());
        assertThat(a.provenance().config()).containsEntry("neighbours", "2");
    }

    @Test
    void scorerSettingsThatTheBenchmarkSwitchesItselfAreRefused() {
        TestEmbedders.Hashing e = new TestEmbedders.Hashing(64);
        assertThatThrownBy(() -> HallucinationBenchmark.builder().scorer(null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("scorer");
        assertThatThrownBy(() -> HallucinationBenchmark.builder().scorer(Fewl.builder().embedder(e).singleReference(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("only reference 1");
        assertThatThrownBy(() -> HallucinationBenchmark.builder().scorer(Fewl.builder().embedder(e).penalty(false)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("penalty on, was off");
        assertThatThrownBy(() -> HallucinationBenchmark.builder().scorer(Fewl.builder().embedder(e).uniformWeights(true)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("were uniform");
        assertThatThrownBy(() -> HallucinationBenchmark.builder().scorer(Fewl.builder().similarity(new TableSimilarity(0.5))).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("need an embedder");
        assertThatThrownBy(() -> HallucinationBenchmark.builder().bootstrap(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bootstrap");
    }
}
