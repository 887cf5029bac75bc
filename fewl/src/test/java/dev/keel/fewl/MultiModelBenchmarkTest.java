package dev.keel.fewl;

import dev.keel.core.data.DatasetException;
import dev.keel.core.testkit.TestEmbedders;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class MultiModelBenchmarkTest {

    private static MultiModelRecord random(SplittableRandom r, int q, int models) {
        List<ModelAnswer> answers = new ArrayList<>();
        for (int m = 0; m < models; m++) {
            int kind = r.nextInt(6);
            String text = kind == 0 ? null : kind == 1 ? " " : "answer " + r.nextInt(4) + " to " + q;
            Label label = kind == 2 ? null : r.nextBoolean() ? Label.TRUTHFUL : Label.HALLUCINATED;
            answers.add(new ModelAnswer("m" + m, text, label));
        }
        return new MultiModelRecord("q" + q, "question " + q + "?", answers);
    }

    /** Leave-one-out: no candidate is ever its own reference, and every other answered model is one. */
    @Property(tries = 200)
    void aCandidateIsNeverItsOwnReference(@ForAll long seed, @ForAll @IntRange(min = 1, max = 6) int models) {
        SplittableRandom r = new SplittableRandom(seed);
        MultiModelRecord rec = random(r, 0, models);
        List<FewlItem> items = rec.items();
        assertThat(items).hasSize((int) rec.answers().stream().filter(ModelAnswer::candidate).count());
        for (FewlItem it : items) {
            String self = it.id().substring(it.id().indexOf('#') + 1);
            Set<String> refModels = new HashSet<>();
            it.references().forEach(ref -> refModels.add(ref.model()));
            assertThat(refModels).doesNotContain(self);
            Set<String> expected = new HashSet<>();
            rec.answers().stream().filter(a -> a.answered() && !a.model().equals(self)).forEach(a -> expected.add(a.model()));
            assertThat(refModels).isEqualTo(expected);
            assertThat(it.unanswered()).containsAll(rec.unanswered());
        }
    }

    /** The scores the benchmark computes come from the other models only: a candidate identical to nobody scores 0. */
    @Test
    void benchmarkScoresNeverUseTheCandidateItself() {
        List<MultiModelRecord> recs = new ArrayList<>();
        for (int q = 0; q < 6; q++) {
            recs.add(new MultiModelRecord("q" + q, "question " + q + "?", List.of(
                    new ModelAnswer("a", "alpha" + q, Label.TRUTHFUL),
                    new ModelAnswer("b", "beta" + q, Label.HALLUCINATED),
                    new ModelAnswer("c", "gamma" + q, Label.HALLUCINATED))));
        }
        // disjoint words everywhere: if a candidate were its own reference it would score > 0
        HallucinationBenchmark.Result r = HallucinationBenchmark.builder()
                .scorer(Fewl.builder().similarity(new ContainmentSimilarity()).neighbours(0)).bootstrap(0).build().runMultiModel(recs);
        assertThat(r.row(HallucinationBenchmark.MULTI_NO_PENALTY).winRate().value()).isEqualTo(0.5);
        assertThat(r.selection().row(HallucinationBenchmark.MULTI_NO_PENALTY).accuracy().value()).isCloseTo(1.0 / 3, within(1e-12));
    }

    /**
     * Hand-made: per question the two truthful models agree ("Paris") and the wrong one says something
     * else, so FEWL's first choice is always truthful; the models' own accuracies are known.
     */
    @Test
    void selectionPicksTheKnownBest() {
        List<MultiModelRecord> recs = new ArrayList<>();
        String[][] wrong = {{"Lyon"}, {"Marseille"}, {"Nice"}, {"Lille"}};
        for (int q = 0; q < 4; q++) {
            // model "good" is always right; "half" right on even questions; "bad" never
            boolean even = q % 2 == 0;
            recs.add(new MultiModelRecord("q" + q, "what is the capital of country " + q + "?", List.of(
                    new ModelAnswer("good", "Paris" + q + " is the capital", Label.TRUTHFUL),
                    new ModelAnswer("half", even ? "It is Paris" + q : "Toulouse" + q, even ? Label.TRUTHFUL : Label.HALLUCINATED),
                    new ModelAnswer("bad", wrong[q][0] + q, Label.HALLUCINATED),
                    new ModelAnswer("echo", "Paris" + q, Label.TRUTHFUL))));
        }
        HallucinationBenchmark.Result r = HallucinationBenchmark.builder()
                .scorer(Fewl.builder().similarity(new ContainmentSimilarity()).neighbours(0)).bootstrap(50).seed(3).build().runMultiModel(recs);
        HallucinationBenchmark.Selection s = r.selection();
        assertThat(s.questions()).isEqualTo(4);
        assertThat(s.row(HallucinationBenchmark.FEWL).accuracy().value()).isEqualTo(1.0);
        assertThat(s.row(HallucinationBenchmark.MULTI_UNIFORM).accuracy().value()).isEqualTo(1.0);
        assertThat(s.model("good").accuracy().value()).isEqualTo(1.0);
        assertThat(s.model("half").accuracy().value()).isEqualTo(0.5);
        assertThat(s.model("bad").accuracy().value()).isEqualTo(0.0);
        assertThat(s.oracle().value()).isEqualTo(1.0);
        assertThat(r.row(HallucinationBenchmark.FEWL).winRate().value()).isEqualTo(1.0);
        assertThat(r.toJsonLine()).contains("\"selection\"").contains("\"oracle\":1.0").contains("\"model\":\"half\"");
        assertThat(r.table()).contains("model good").contains("oracle (some answer is right)");
        // single rows are by model name, and leave the reference's own answers out
        assertThat(r.rows()).extracting(HallucinationBenchmark.Row::name).contains("single ref bad + no penalty", "single ref good + penalty");
    }

    @Test
    void rankOrdersCandidatesBestFirst() {
        try (FewlScorer s = Fewl.builder().similarity(new ContainmentSimilarity()).penalty(false).build()) {
            List<RankedAnswer> ranked = s.rank("what is the capital of France?", List.of("Lyon", "Paris", "It is Paris, of course"),
                    List.of(Reference.of("a", "The capital of France is Paris."), Reference.of("b", "Paris")));
            assertThat(ranked).extracting(RankedAnswer::answer).containsExactly("Paris", "It is Paris, of course", "Lyon");
            assertThat(ranked.get(0).index()).isEqualTo(1);
            assertThat(ranked.get(0).score().total()).isEqualTo(1.0);
            assertThat(ranked.get(2).score().total()).isEqualTo(0.0);
            assertThatThrownBy(() -> s.rank("q", List.of("a", " "), Reference.list("x"))).hasMessageContaining("candidates[1]");
        }
    }

    @Test
    void blankReferencesAreSkippedAndCounted(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("items.jsonl");
        Files.writeString(f, """
                {"id":"a","question":"q?","answer":"Paris","references":[{"model":"x","answer":"Paris"},{"model":"y","answer":"  "},{"model":"z"}]}
                {"id":"b","question":"q?","answer":"Paris","references":[{"model":"x","answer":null}]}
                """);
        List<FewlItem> items = FewlItem.readAll(f);
        assertThat(items.get(0).references()).extracting(Reference::model).containsExactly("x");
        assertThat(items.get(0).unanswered()).containsExactly("y", "z");
        assertThat(items.get(1).references()).isEmpty();
        try (FewlScorer s = Fewl.builder().similarity(new ContainmentSimilarity()).penalty(false).build()) {
            List<FewlScore> scores = s.scoreAll(items);
            assertThat(scores.get(0).total()).isEqualTo(1.0);
            assertThat(scores.get(0).notes()).contains("2 reference(s) did not answer, skipped: y, z");
            assertThat(scores.get(1).scored()).isFalse();
            assertThat(scores.get(1).notes()).anyMatch(n -> n.startsWith("not scored: no reference answered (1 blank or missing)"));
            assertThat(FewlItem.readAll(f).get(0).toJsonLine()).contains("{\"model\":\"y\",\"answer\":null}");
        }
        try (FewlScorer s = Fewl.builder().similarity(new ContainmentSimilarity()).penalty(false).strict(true).build()) {
            assertThatThrownBy(() -> s.scoreAll(items)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("item b").hasMessageContaining("no reference answered");
        }
        // in a multi-model benchmark a model that did not answer is neither candidate nor reference, and is counted
        List<MultiModelRecord> recs = List.of(
                new MultiModelRecord("q1", "capital of France?", List.of(new ModelAnswer("a", "Paris", Label.TRUTHFUL),
                        new ModelAnswer("b", "", Label.HALLUCINATED), new ModelAnswer("c", "Lyon", Label.HALLUCINATED),
                        new ModelAnswer("d", "Paris, France", null))),
                new MultiModelRecord("q2", "capital of Spain?", List.of(new ModelAnswer("a", null, Label.TRUTHFUL),
                        new ModelAnswer("b", null, null))));
        HallucinationBenchmark.Result r = HallucinationBenchmark.builder()
                .scorer(Fewl.builder().similarity(new ContainmentSimilarity()).neighbours(0)).bootstrap(0).build().runMultiModel(recs);
        assertThat(r.questions()).isEqualTo(1);
        assertThat(r.skipped()).isEqualTo(1);
        assertThat(r.truthful()).isEqualTo(1);
        assertThat(r.hallucinated()).isEqualTo(1);
        assertThat(r.notes()).contains("3 answers missing or blank: those models did not answer (neither candidate nor reference there)",
                "1 answers without a label: references only", "1 questions without a candidate skipped");
        assertThat(r.row(HallucinationBenchmark.FEWL).winRate().value()).isEqualTo(1.0);
    }

    @Test
    void readsEitherFormatAndRefusesAMixedFile(@TempDir Path dir) throws IOException {
        Path multi = dir.resolve("multi.jsonl");
        Files.writeString(multi, """
                {"id":"q1","question":"capital of France?","answers":[{"model":"a","answer":"Paris","label":"truthful"},{"model":"b","answer":"Lyon","label":"hallucinated"}]}
                """);
        BenchmarkFile m = BenchmarkFile.read(multi);
        assertThat(m.format()).isEqualTo(BenchmarkFile.Format.MULTI_MODEL);
        assertThat(m.multi().get(0).answers()).extracting(ModelAnswer::model).containsExactly("a", "b");
        Path gold = dir.resolve("gold.jsonl");
        BenchRecord.writeAll(gold, List.of(new BenchRecord("g1", "q?", Reference.list("x"), List.of("a", "b"), List.of("c", "d"))));
        assertThat(BenchmarkFile.read(gold).format()).isEqualTo(BenchmarkFile.Format.GOLD_ANSWERS);
        Path mixed = dir.resolve("mixed.jsonl");
        Files.writeString(mixed, Files.readString(multi) + Files.readString(gold));
        assertThatThrownBy(() -> BenchmarkFile.read(mixed)).isInstanceOf(DatasetException.class).hasMessageContaining("mixed.jsonl:2:")
                .hasMessageContaining("item g1").hasMessageContaining("gold-answer line");
        Path twice = dir.resolve("twice.jsonl");
        Files.writeString(twice, """
                {"id":"q1","question":"q?","answers":[{"model":"a","answer":"x","label":"truthful"},{"model":"a","answer":"y"}]}
                """);
        assertThatThrownBy(() -> BenchmarkFile.read(twice)).isInstanceOf(DatasetException.class).hasMessageContaining("twice.jsonl:1:")
                .hasMessageContaining("item q1").hasMessageContaining("model \"a\" appears twice");
        MultiModelRecord back = MultiModelRecord.parse(m.multi().get(0).toJsonLine());
        assertThat(back).isEqualTo(m.multi().get(0));
    }

    /**
     * The defect of issue 13: per-reference rows were computed by position but labelled with the first
     * question's model names. With the references in a different order in every question, the row of
     * model "m0" must equal a run where m0 is the only reference.
     */
    @Test
    void perReferenceRowsAreByModelNameWhateverTheOrder() {
        SplittableRandom r = new SplittableRandom(11);
        List<BenchRecord> shuffled = new ArrayList<>();
        List<BenchRecord> onlyM0 = new ArrayList<>();
        for (int q = 0; q < 30; q++) {
            SimulatedData.Question qq = SimulatedData.question(r, q);
            List<String> correct = List.of(qq.paraphrase(), qq.truth(), "so " + qq.truth());
            List<String> incorrect = qq.wrong();
            List<Reference> refs = new ArrayList<>();
            double[] acc = {0.9, 0.5, 0.1};
            for (int m = 0; m < acc.length; m++) {
                List<String> pool = r.nextDouble() < acc[m] ? correct : incorrect;
                refs.add(Reference.of("m" + m, pool.get(r.nextInt(pool.size()))));
            }
            List<Reference> order = new ArrayList<>(refs);
            java.util.Collections.rotate(order, q % 3);
            shuffled.add(new BenchRecord("q" + q, qq.question(), order, correct, incorrect));
            onlyM0.add(new BenchRecord("q" + q, qq.question(), List.of(refs.get(0)), correct, incorrect));
        }
        TestEmbedders.Hashing e = new TestEmbedders.Hashing(64);
        HallucinationBenchmark b = HallucinationBenchmark.builder().scorer(Fewl.builder().embedder(e).neighbours(3)).bootstrap(0).build();
        HallucinationBenchmark.Result all = b.run(BenchQuestion.splitAll(shuffled));
        HallucinationBenchmark.Result alone = b.run(BenchQuestion.splitAll(onlyM0));
        assertThat(all.row("single ref m0 + no penalty").winRate().value())
                .isEqualTo(alone.row(HallucinationBenchmark.SINGLE_NO_PENALTY).winRate().value());
        assertThat(all.row("single ref m0 + penalty").auroc().value())
                .isEqualTo(alone.row(HallucinationBenchmark.SINGLE_PENALTY).auroc().value());
        HallucinationBenchmark.Result fixed = HallucinationBenchmark.builder().scorer(Fewl.builder().embedder(e).neighbours(3))
                .singleReferenceModel("m0").bootstrap(0).build().run(BenchQuestion.splitAll(shuffled));
        assertThat(fixed.row(HallucinationBenchmark.SINGLE_NO_PENALTY + " (ref m0)").winRate().value())
                .isEqualTo(alone.row(HallucinationBenchmark.SINGLE_NO_PENALTY).winRate().value());
        assertThatThrownBy(() -> HallucinationBenchmark.builder().scorer(Fewl.builder().embedder(e)).singleReferenceModel("nobody")
                .build().run(BenchQuestion.splitAll(shuffled))).hasMessageContaining("\"nobody\"");
    }
}
