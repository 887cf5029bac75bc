package dev.keel.fewl.search;

import dev.keel.core.testkit.WordStepModel;
import dev.keel.core.KeelException;
import dev.keel.core.lm.search.Answer;
import dev.keel.core.lm.search.Baselines;
import dev.keel.core.lm.search.Evaluator;
import dev.keel.core.lm.search.Mcts;
import dev.keel.core.lm.search.SearchResult;
import dev.keel.core.testkit.TestEmbedders;
import dev.keel.fewl.Fewl;
import dev.keel.fewl.FewlItem;
import dev.keel.fewl.FewlScore;
import dev.keel.fewl.FewlScorer;
import dev.keel.fewl.Reference;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FewlVerifierTest {

    static final String QUESTION = "What is the capital of France?";
    static final List<Reference> REFS = Reference.list("Paris is the capital", "the capital is Paris, of course");

    static final List<FewlItem> CORPUS = List.of(
            FewlItem.of("it", "Which city is the capital of Italy?", "Rome",
                    Reference.list("Rome is the capital", "the capital is Rome")),
            FewlItem.of("es", "Which city is the capital of Spain?", "Madrid",
                    Reference.list("Madrid is the capital", "the capital is Madrid")));

    @Test
    void theValueIsFewlScorersTruthfulnessForTheSameItem() {
        TestEmbedders.Hashing e = new TestEmbedders.Hashing();
        try (FewlScorer scorer = Fewl.builder().embedder(e).penalty(false).build()) {
            FewlVerifier v = FewlVerifier.of(scorer, QUESTION, REFS);
            assertThat(v.term()).isEqualTo(FewlVerifier.Term.TRUTHFULNESS);
            for (String reply : List.of("Paris", "Lyon is the capital", "Paris is the capital", "of course not")) {
                FewlScore direct = scorer.score(FewlItem.of(FewlVerifier.ITEM_ID, QUESTION, reply, REFS));
                assertThat(v.score(reply)).as(reply).isEqualTo(direct.truthfulness());
            }
            assertThat(v.score("Paris is the capital")).isGreaterThan(v.score("Lyon is the capital"));
        }
    }

    @Test
    void totalSubtractsThePenaltyOverTheScorersCorpus() {
        TestEmbedders.Hashing e = new TestEmbedders.Hashing();
        try (FewlScorer scorer = Fewl.builder().embedder(e).neighbours(2).corpus(CORPUS).build()) {
            FewlItem template = FewlItem.of("q", QUESTION, "unused", REFS);
            FewlVerifier total = FewlVerifier.of(scorer, template, FewlVerifier.Term.TOTAL);
            FewlVerifier truth = FewlVerifier.of(scorer, template, FewlVerifier.Term.TRUTHFULNESS);
            for (String reply : List.of("the capital", "Paris is the capital")) {
                FewlScore direct = scorer.score(FewlItem.of("q", QUESTION, reply, REFS));
                assertThat(direct.penalty()).as("penalty of " + reply).isGreaterThan(0);
                assertThat(total.score(reply)).isEqualTo(direct.total());
                assertThat(truth.score(reply)).isEqualTo(direct.truthfulness());
                assertThat(total.score(reply)).isLessThan(truth.score(reply));
            }
        }
    }

    @Test
    void aReplyFewlCannotScoreIsAnError() {
        try (FewlScorer scorer = Fewl.builder().embedder(new TestEmbedders.Hashing()).penalty(false).build()) {
            FewlVerifier v = FewlVerifier.of(scorer, QUESTION, REFS);
            assertThatThrownBy(() -> v.score("  ")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("answer");
            assertThatThrownBy(() -> v.score(null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> FewlVerifier.of(null, QUESTION, REFS)).isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("scorer");
            assertThatThrownBy(() -> FewlVerifier.of(scorer, QUESTION, List.of()))
                    .isInstanceOf(IllegalArgumentException.class);
            // a similarity that is not a number: FEWL's score is NaN, the verifier refuses it
            try (FewlScorer nan = Fewl.builder().similarity(NAN).penalty(false).build()) {
                assertThatThrownBy(() -> FewlVerifier.of(nan, QUESTION, REFS).score("Paris"))
                        .isInstanceOf(KeelException.class).hasMessageContaining("FEWL did not score the reply \"Paris\"");
            }
        }
    }

    static final dev.keel.core.similarity.Similarity NAN = new dev.keel.core.similarity.Similarity() {
        @Override
        public double[] scoreAll(List<String> a, List<String> b) {
            double[] out = new double[a.size()];
            Arrays.fill(out, Double.NaN);
            return out;
        }

        @Override
        public String name() {
            return "nan";
        }
    };

    // ---------------------------------------------------------------------------- a small search

    static final List<String> WORDS = List.of("<stop>", "Lyon", "Paris", "is", "the", "capital", "maybe");

    /** The prior prefers "Lyon is the capital" to "Paris is the capital". */
    static double[] next(List<String> generated) {
        double[] p = new double[WORDS.size()];
        if (generated.isEmpty()) {
            Arrays.fill(p, 0.04);
            p[1] = 0.6;
            p[2] = 0.24;
            return p;
        }
        String last = generated.get(generated.size() - 1);
        int favourite = switch (last) {
            case "Lyon", "Paris" -> 3;
            case "is" -> 4;
            case "the" -> 5;
            default -> 0;
        };
        Arrays.fill(p, 0.15 / (WORDS.size() - 1));
        p[favourite] = 0.85;
        return p;
    }

    @Test
    void aSearchValuedByFewlPrefersTheReplyTheReferencesSupport() {
        try (FewlScorer scorer = Fewl.builder().embedder(new TestEmbedders.Hashing()).penalty(false).build()) {
            FewlVerifier agree = FewlVerifier.of(scorer, QUESTION, REFS);
            long[] prompt = {0};
            WordStepModel m = new WordStepModel(WORDS, FewlVerifierTest::next);
            Answer greedy = new Baselines(m, Evaluator.terminal(agree, 0), m::decode, Set.of(0L), 6).greedy(prompt);
            assertThat(greedy.text()).isEqualTo("Lyon is the capital");

            SearchResult r = Mcts.builder(m).evaluator(agree.rollout()).decoder(m::decode).stopTokens(Set.of(0L))
                    .topK(3).maxDepth(6).simulations(48).solver(true).seed(3).build().search(prompt);
            assertThat(r.failedSimulations()).isZero();
            assertThat(r.answer().text()).isEqualTo("Paris is the capital");
            assertThat(r.answer().value()).isEqualTo(agree.score("Paris is the capital"))
                    .isGreaterThan(agree.score("Lyon is the capital"));
        }
    }
}
