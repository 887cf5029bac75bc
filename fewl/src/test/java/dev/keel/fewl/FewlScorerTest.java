package dev.keel.fewl;

import dev.keel.core.testkit.TestEmbedders;

import dev.keel.core.embed.Embedder;
import dev.keel.core.similarity.CosineSimilarity;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class FewlScorerTest {

    private static FewlItem expertItem(String id, String answer) {
        return new FewlItem(id, "q", answer, List.of(Reference.of("r1", "h1"), Reference.of("r2", "h2")),
                List.of("w"), List.of("c"), null);
    }

    /** e1 = 0.9 - 0.1 = 0.8, e2 = 0.3 - 0.5 = -0.2; Sim(y, h1) = 0.7, Sim(y, h2) = 0.2. */
    private static TableSimilarity table() {
        return new TableSimilarity(0.0)
                .put("h1", "c", 0.9).put("h1", "w", 0.1)
                .put("h2", "c", 0.3).put("h2", "w", 0.5)
                .put("y", "h1", 0.7).put("y", "h2", 0.2);
    }

    @Test
    void expertiseWeightsAreASoftmaxOfEOverTau() {
        try (FewlScorer s = Fewl.builder().similarity(table()).penalty(false).temperature(0.5).build()) {
            FewlScore r = s.score(expertItem("a", "y"));
            double l1 = 1 / (1 + Math.exp(-2.0)); // exp(0.8/0.5) / (exp(0.8/0.5) + exp(-0.2/0.5))
            assertThat(r.expertise()).containsExactly(0.8, -0.2);
            assertThat(r.weights().get(0)).isCloseTo(l1, within(1e-12));
            assertThat(r.weights().get(1)).isCloseTo(1 - l1, within(1e-12));
            assertThat(r.truthfulness()).isCloseTo(l1 * 0.7 + (1 - l1) * 0.2, within(1e-12));
            assertThat(r.penalty()).isZero();
            assertThat(r.total()).isEqualTo(r.truthfulness());
            assertThat(r.temperature()).isEqualTo(0.5);
            assertThat(r.models()).containsExactly("r1", "r2");
        }
    }

    @Test
    void largeFixedTauMakesWeightsNearlyUniform() {
        try (FewlScorer s = Fewl.builder().similarity(table()).penalty(false).temperature(100).build()) {
            FewlScore r = s.score(expertItem("a", "y"));
            assertThat(r.weights().get(0)).isCloseTo(0.5, within(0.01));
        }
    }

    @Test
    void defaultTauIsThePooledWithinQuestionSpreadOfE() {
        // One question: std of (0.8, -0.2) is 0.5, so the default equals the fixed 0.5 above.
        try (FewlScorer s = Fewl.builder().similarity(table()).penalty(false).build()) {
            FewlScore r = s.score(expertItem("a", "y"));
            assertThat(r.temperature()).isCloseTo(0.5, within(1e-12));
            assertThat(r.weights().get(0)).isCloseTo(1 / (1 + Math.exp(-2.0)), within(1e-12));
        }
        // Two questions with spreads 0.5 and 0.1: tau = sqrt((0.25 + 0.01) / 2).
        TableSimilarity t = table().put("g1", "c2", 0.6).put("g1", "w2", 0.5).put("g2", "c2", 0.5).put("g2", "w2", 0.6);
        FewlItem second = new FewlItem("b", "q2", "y", List.of(Reference.of("r1", "g1"), Reference.of("r2", "g2")),
                List.of("w2"), List.of("c2"), null);
        try (FewlScorer s = Fewl.builder().similarity(t).penalty(false).temperature(Temperature.spread(2)).build()) {
            List<FewlScore> r = s.scoreAll(List.of(expertItem("a", "y"), second));
            assertThat(r.get(0).temperature()).isCloseTo(2 * Math.sqrt(0.13), within(1e-12));
            assertThat(r.get(1).temperature()).isEqualTo(r.get(0).temperature());
        }
    }

    @Test
    void ablationSwitches() {
        try (FewlScorer s = Fewl.builder().similarity(table()).penalty(false).uniformWeights(true).build()) {
            FewlScore r = s.score(expertItem("a", "y"));
            assertThat(r.weights()).containsExactly(0.5, 0.5);
            assertThat(r.total()).isCloseTo(0.45, within(1e-12));
            assertThat(r.expertise()).allMatch(x -> x.isNaN());
            assertThat(r.temperature()).isNaN();
        }
        try (FewlScorer s = Fewl.builder().similarity(table()).penalty(false).singleReference(1).build()) {
            FewlScore r = s.score(expertItem("a", "y"));
            assertThat(r.models()).containsExactly("r2");
            assertThat(r.weights()).containsExactly(1.0);
            assertThat(r.total()).isCloseTo(0.2, within(1e-12));
        }
        try (FewlScorer s = Fewl.builder().similarity(table()).penalty(false).singleReference(2).build()) {
            assertThatThrownBy(() -> s.score(expertItem("a", "y")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("item a").hasMessageContaining("index 2");
        }
    }

    @Test
    void withoutIwCoAnswersWeightsAreUniformAndSaySo() {
        FewlItem it = FewlItem.of("x", "q", "y", List.of(Reference.of("r1", "h1"), Reference.of("r2", "h2")));
        try (FewlScorer s = Fewl.builder().similarity(table()).penalty(false).build()) {
            FewlScore r = s.score(it);
            assertThat(r.weights()).containsExactly(0.5, 0.5);
            assertThat(r.notes()).anyMatch(n -> n.contains("uniform"));
        }
    }

    @Test
    void genericSimilarityIsCalledOnceWithDistinctPairs() {
        TableSimilarity t = table();
        try (FewlScorer s = Fewl.builder().similarity(t).penalty(false).build()) {
            s.scoreAll(List.of(expertItem("a", "y"), expertItem("b", "y")));
        }
        assertThat(t.calls).isEqualTo(1);
    }

    /**
     * Questions q1 = e0, q2 = 0.8 e0 + 0.6 e1, q3 = e2, q4 ≈ q1 (a near-duplicate). With K = 1 item 1's
     * neighbour is q2; its penalty is mean(Sim(y1, a2), Sim(y1, b2)) = mean(1/√2, 0).
     */
    @Test
    void penaltyOverNearestNeighbourQuestions() {
        Map<String, float[]> v = new HashMap<>();
        v.put("q1", vec(0, 1f));
        v.put("q2", vec(0, 0.8f, 1, 0.6f));
        v.put("q3", vec(2, 1f));
        v.put("q4", vec(0, 1f, 2, 0.05f));
        v.put("y1", vec(4, 1f));
        v.put("a1", vec(4, 1f));
        v.put("b1", vec(5, 1f));
        v.put("a2", vec(4, 1f, 5, 1f));
        v.put("b2", vec(6, 1f));
        v.put("a3", vec(7, 1f));
        v.put("a4", vec(3, 1f));
        v.put("b4", vec(3, 1f));
        TestEmbedders.Lookup e = new TestEmbedders.Lookup(v);
        List<FewlItem> items = List.of(
                FewlItem.of("i1", "q1", "y1", List.of(Reference.of("A", "a1"), Reference.of("B", "b1"))),
                FewlItem.of("i2", "q2", "a2", List.of(Reference.of("A", "a2"), Reference.of("B", "b2"))),
                FewlItem.of("i3", "q3", "a3", List.of(Reference.of("A", "a3"))),
                FewlItem.of("i4", "q4", "a4", List.of(Reference.of("A", "a4"), Reference.of("B", "b4"))));
        try (FewlScorer s = Fewl.builder().embedder(e).neighbours(1).build()) {
            FewlScore r = s.scoreAll(items).get(0);
            assertThat(r.neighbours()).extracting(FewlScore.Neighbour::id).containsExactly("i2");
            assertThat(r.neighbours().get(0).similarity()).isCloseTo(0.8, within(1e-6));
            assertThat(r.truthfulness()).isCloseTo(0.5, within(1e-6));
            assertThat(r.penalty()).isCloseTo(Math.sqrt(0.5) / 2, within(1e-6));
            assertThat(r.total()).isCloseTo(0.5 - Math.sqrt(0.5) / 2, within(1e-6));
            assertThat(e.calls.get()).isEqualTo(1);
        }
        try (FewlScorer s = Fewl.builder().embedder(e).neighbours(3).build()) {
            FewlScore r = s.scoreAll(items).get(0);
            // q4 is a near-duplicate of q1 (cosine > 0.95): never a neighbour; only q2 and q3 remain.
            assertThat(r.neighbours()).extracting(FewlScore.Neighbour::id).containsExactly("i2", "i3");
            assertThat(r.notes()).anyMatch(n -> n.contains("1 of 2 neighbour questions have no answer from B"));
            assertThat(r.notes()).anyMatch(n -> n.contains("only 2 of 3"));
            // A: mean(Sim(y1,a2), Sim(y1,a3)) = (1/√2 + 0)/2; B: Sim(y1,b2) = 0.
            assertThat(r.penalty()).isCloseTo((Math.sqrt(0.5) / 2 + 0) / 2, within(1e-6));
        }
        try (FewlScorer s = Fewl.builder().embedder(e).neighbours(3).penalty(false).build()) {
            assertThat(s.scoreAll(items).get(0).neighbours()).isEmpty();
        }
    }

    @Test
    void userCorpusSuppliesTheNeighbours() {
        TestEmbedders.Hashing e = new TestEmbedders.Hashing();
        List<FewlItem> corpus = List.of(
                FewlItem.of("c1", "what colour is the sky", "blue", Reference.list("blue sky", "grey")),
                FewlItem.of("c2", "how many legs does a spider have", "eight", Reference.list("eight legs", "six")));
        try (FewlScorer s = Fewl.builder().embedder(e).neighbours(1).corpus(corpus).build()) {
            FewlScore r = s.score(FewlItem.of("x", "what colour is grass", "green", Reference.list("green grass", "blue")));
            assertThat(r.neighbours()).extracting(FewlScore.Neighbour::id).containsExactly("c1");
            assertThat(r.penaltySimilarities()).hasSize(2).allMatch(l -> l.size() == 1);
        }
    }

    @Test
    void everyDistinctTextIsEmbeddedOnceInOneCall() {
        TestEmbedders.Hashing e = new TestEmbedders.Hashing();
        List<FewlItem> items = new ArrayList<>();
        for (int q = 0; q < 6; q++) {
            for (int c = 0; c < 3; c++) {
                items.add(new FewlItem("q" + q + "c" + c, "question number " + q, "answer " + (c % 2) + " to " + q,
                        List.of(Reference.of("m1", "ref one " + q), Reference.of("m2", "ref two " + q), Reference.of("m3", "shared ref")),
                        List.of("wrong " + q, "wrong shared"), List.of("right " + q), null));
            }
        }
        Set<String> distinct = new LinkedHashSet<>();
        for (FewlItem it : items) {
            distinct.add(it.question());
            distinct.add(it.answer());
            it.references().forEach(r -> distinct.add(r.answer()));
            distinct.addAll(it.wrongAnswers());
            distinct.addAll(it.correctedAnswers());
        }
        try (FewlScorer s = Fewl.builder().embedder(e).neighbours(3).build()) {
            List<FewlScore> r = s.scoreAll(items);
            assertThat(r).hasSize(items.size());
            assertThat(r.get(0).neighbours()).hasSize(3);
        }
        assertThat(e.calls.get()).isEqualTo(1);
        assertThat(e.texts.get()).isEqualTo(distinct.size());
    }

    @Test
    void answerSimilarityAndNeighbourSearchMayUseDifferentEmbedders() {
        TestEmbedders.Hashing answers = new TestEmbedders.Hashing(64);
        TestEmbedders.Hashing questions = new TestEmbedders.Hashing(32);
        List<FewlItem> items = SimulatedData.items(new java.util.SplittableRandom(4), 5);
        List<FewlScore> mixed;
        try (FewlScorer s = Fewl.builder().similarity(new CosineSimilarity(answers)).embedder(questions).neighbours(2).build()) {
            mixed = s.scoreAll(items);
        }
        assertThat(answers.calls.get()).isEqualTo(1);
        assertThat(questions.calls.get()).isEqualTo(1);
        assertThat(questions.texts.get()).isEqualTo(5);
        try (FewlScorer s = Fewl.builder().similarity(new CosineSimilarity(answers)).penalty(false).build()) {
            List<FewlScore> plain = s.scoreAll(items);
            assertThat(mixed.get(0).truthfulness()).isCloseTo(plain.get(0).truthfulness(), within(1e-12));
        }
    }

    @Test
    void linearFormulaIsTwiceTheTotalVariationFormAndFDivergenceScoresMatchTheBound() {
        TestEmbedders.Hashing e = new TestEmbedders.Hashing(64);
        List<FewlItem> items = SimulatedData.items(new java.util.SplittableRandom(3), 30);
        List<FewlScore> linear;
        try (FewlScorer s = Fewl.builder().embedder(e).neighbours(5).build()) {
            linear = s.scoreAll(items);
        }
        for (FewlScore sc : linear) {
            assertThat(2 * VariationalFewl.totalVariation(sc)).isCloseTo(sc.total(), within(1e-12));
        }
        for (FDivergence d : FDivergence.values()) {
            try (FewlScorer s = Fewl.builder().embedder(e).neighbours(5).fDivergence(d).build()) {
                List<FewlScore> r = s.scoreAll(items);
                for (int i = 0; i < r.size(); i++) {
                    assertThat(r.get(i).total()).isCloseTo(VariationalFewl.itemBound(d, linear.get(i)), within(1e-12));
                }
                VariationalFewl.Estimate est = VariationalFewl.dataset(d, r);
                assertThat(est.items()).isEqualTo(r.size());
                assertThat(est.standardError()).isPositive();
            }
        }
    }

    @Test
    void nanSimilarityIsAnErrorNamingTheItemInStrictModeAndAnUnscoredItemOtherwise() {
        TableSimilarity t = table().put("y", "h2", Double.NaN);
        try (FewlScorer s = Fewl.builder().similarity(t).penalty(false).strict(true).build()) {
            assertThatThrownBy(() -> s.score(expertItem("item-7", "y")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("item item-7").hasMessageContaining("NaN").hasMessageContaining("r2");
        }
        try (FewlScorer s = Fewl.builder().similarity(t).penalty(false).build()) {
            FewlScore sc = s.score(expertItem("item-7", "y"));
            assertThat(sc.scored()).isFalse();
            assertThat(sc.total()).isNaN();
            assertThat(sc.notes()).anyMatch(n -> n.startsWith("not scored: ") && n.contains("NaN") && n.contains("r2"));
        }
        Embedder nan = new TestEmbedders.Hashing() {
            @Override
            public float[][] embedAll(List<String> in) {
                float[][] out = super.embedAll(in);
                for (int i = 0; i < in.size(); i++) {
                    if (in.get(i).equals("bad answer")) {
                        out[i][0] = Float.NaN;
                    }
                }
                return out;
            }
        };
        try (FewlScorer s = Fewl.builder().embedder(nan).penalty(false).strict(true).build()) {
            assertThatThrownBy(() -> s.score(FewlItem.of("z9", "q", "bad answer", Reference.list("r"))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("item z9").hasMessageContaining("NaN");
        }
    }

    @Test
    void badItemsAreClearErrors() {
        List<Reference> refs = Reference.list("a");
        assertThatThrownBy(() -> FewlItem.of("id1", "q", " ", refs)).hasMessageContaining("item id1").hasMessageContaining("answer must not be empty");
        assertThatThrownBy(() -> FewlItem.of("id2", "q", "a", List.of())).hasMessageContaining("item id2").hasMessageContaining("reference");
        assertThatThrownBy(() -> FewlItem.of("id3", "", "a", refs)).hasMessageContaining("item id3").hasMessageContaining("question");
        assertThatThrownBy(() -> FewlItem.of("id4", "q", "a", List.of(Reference.of("m", "x"), Reference.of("m", "y"))))
                .hasMessageContaining("item id4").hasMessageContaining("\"m\" appears twice");
        try (FewlScorer s = Fewl.builder().similarity(table()).penalty(false).build()) {
            assertThatThrownBy(() -> s.scoreAll(List.of(expertItem("dup", "y"), expertItem("dup", "y"))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("duplicate item id \"dup\"");
        }
    }

    @Test
    void penaltyWithALexicalSimilarityNeedsAnEmbedder() {
        assertThatThrownBy(() -> Fewl.builder().similarity(table()).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("embedder");
        try (FewlScorer s = Fewl.builder().similarity(table()).embedder(new TestEmbedders.Hashing()).neighbours(1).build()) {
            List<FewlScore> r = s.scoreAll(List.of(expertItem("a", "y"),
                    new FewlItem("b", "another q", "y", List.of(Reference.of("r1", "h2"), Reference.of("r2", "h1")), List.of(), List.of(), null)));
            assertThat(r.get(0).neighbours()).extracting(FewlScore.Neighbour::id).containsExactly("b");
            // Sim(y, h2) = 0.2 from r1's neighbour answer, Sim(y, h1) = 0.7 from r2's.
            assertThat(r.get(0).penalty()).isCloseTo((0.2 + 0.7) / 2, within(1e-12));
        }
    }

    @Test
    void closeIsIdempotentClosesOnlyWhatItOwnsAndUseAfterCloseFails() {
        AtomicInteger closed = new AtomicInteger();
        AtomicInteger created = new AtomicInteger();
        FewlScorer s = Fewl.builder().defaultEmbedder(() -> {
            created.incrementAndGet();
            return new TestEmbedders.Hashing() {
                @Override
                public void close() {
                    closed.incrementAndGet();
                }
            };
        }).neighbours(1).build();
        assertThat(created.get()).isZero();
        s.score(FewlItem.of("a", "q", "y", Reference.list("r")));
        s.score(FewlItem.of("a", "q", "y", Reference.list("r")));
        assertThat(created.get()).isEqualTo(1);
        s.close();
        s.close();
        assertThat(closed.get()).isEqualTo(1);
        assertThatThrownBy(() -> s.score(FewlItem.of("a", "q", "y", Reference.list("r")))).isInstanceOf(IllegalStateException.class);

        TestEmbedders.Hashing given = new TestEmbedders.Hashing() {
            @Override
            public void close() {
                closed.incrementAndGet();
            }
        };
        try (FewlScorer t = Fewl.builder().similarity(new CosineSimilarity(given)).build()) {
            t.score(FewlItem.of("a", "q", "y", Reference.list("r")));
        }
        assertThat(closed.get()).isEqualTo(1);
    }

    @Test
    void provenanceRecordsTheConfiguration() {
        try (FewlScorer s = Fewl.builder().embedder(new TestEmbedders.Hashing()).neighbours(7).temperature(0.3).seed(11).build()) {
            assertThat(s.provenance().model()).isEqualTo("test/hashing-256");
            assertThat(s.provenance().seed()).isEqualTo(11);
            assertThat(s.provenance().config()).containsEntry("neighbours", "7").containsEntry("temperature", "0.3");
        }
    }

    @Test
    void builderRejectsBadValues() {
        assertThatThrownBy(() -> Fewl.builder().neighbours(-1)).hasMessageContaining("neighbours must be >= 0, was -1");
        assertThatThrownBy(() -> Fewl.builder().temperature(0)).hasMessageContaining("temperature");
        assertThatThrownBy(() -> Fewl.builder().answersPerKind(0)).hasMessageContaining("answersPerKind");
        assertThatThrownBy(() -> Fewl.builder().duplicateThreshold(1.5)).hasMessageContaining("duplicateThreshold");
        assertThatThrownBy(() -> Temperature.spread(-1)).hasMessageContaining("multiplier");
    }

    static float[] vec(Object... idxAndValues) {
        float[] v = new float[8];
        for (int i = 0; i < idxAndValues.length; i += 2) {
            v[(Integer) idxAndValues[i]] = (Float) idxAndValues[i + 1];
        }
        return v;
    }

    @Test
    void toBuilderKeepsEverySettingAndScoresTheSame() {
        TestEmbedders.Hashing e = new TestEmbedders.Hashing();
        List<FewlItem> items = List.of(
                new FewlItem("a", "what colour is the sky", "blue", Reference.list("blue sky", "grey"), List.of("green"), List.of("blue"), null),
                new FewlItem("b", "what colour is grass", "green", Reference.list("green grass", "blue"), List.of("red"), List.of("green"), null));
        try (FewlScorer s = Fewl.builder().embedder(e).neighbours(1).temperature(0.3).seed(11).build();
             FewlScorer same = s.toBuilder().build();
             FewlScorer noPenalty = s.toBuilder().penalty(false).build()) {
            assertThat(same.scoreAll(items)).isEqualTo(s.scoreAll(items));
            assertThat(same.provenance().config()).isEqualTo(s.provenance().config());
            assertThat(same.provenance().seed()).isEqualTo(11);
            assertThat(noPenalty.penalty()).isFalse();
            assertThat(noPenalty.temperature()).isEqualTo(s.temperature());
            assertThat(s.penalty()).isTrue();
        }
    }
}
