package dev.keel.fewl;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.keel.fewl.ExpertiseWeightsTest.table;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The laziness penalty against values worked out by hand on a two-neighbour corpus. */
class LazinessPenaltyTest {

    private static final FewlItem ITEM = FewlItem.of("q", "question?", "Y", List.of(Reference.of("a", "A"), Reference.of("b", "B")));

    private static List<CorpusEntry> corpus() {
        Map<String, String> n0 = new LinkedHashMap<>();
        n0.put("a", "NA0");
        n0.put("b", "NB0");
        Map<String, String> n1 = new LinkedHashMap<>();
        n1.put("a", "NA1");
        return List.of(new CorpusEntry("n0", "first?", n0), new CorpusEntry("n1", "second?", n1));
    }

    private static final PairSimilarity SIMS = table("Y", "NA0", 0.3, "Y", "NA1", 0.5, "Y", "NB0", 0.9);

    @Test
    void meanOverReferencesOfMeanOverTheirNeighbourAnswers() {
        LazinessPenalty.Outcome o = LazinessPenalty.of(SIMS, ITEM, List.of("a", "b"), new int[] {0, 1}, corpus(), null, 2);
        // a: (0.3 + 0.5) / 2 = 0.4; b answered only n0: 0.9; penalty (0.4 + 0.9) / 2
        assertThat(o.value()).isCloseTo(0.65, within(1e-15));
        assertThat(o.similarities()).containsExactly(List.of(0.3, 0.5), List.of(0.9));
        assertThat(o.notes()).containsExactly("1 of 2 neighbour questions have no answer from b");
    }

    @Test
    void variationalFormUsesTheConjugateOfTheActivation() {
        LazinessPenalty.Outcome o = LazinessPenalty.of(SIMS, ITEM, List.of("a"), new int[] {1, 0}, corpus(), FDivergence.KULLBACK_LEIBLER, 2);
        // KL: f*(g(v)) = exp(v - 1)
        assertThat(o.value()).isCloseTo((Math.exp(0.5 - 1) + Math.exp(0.3 - 1)) / 2, within(1e-15));
        assertThat(o.similarities()).containsExactly(List.of(0.5, 0.3));
        assertThat(o.notes()).isEmpty();
    }

    @Test
    void referencesWithoutNeighbourAnswersDoNotCountAndFewerNeighboursAreNoted() {
        LazinessPenalty.Outcome o = LazinessPenalty.of(SIMS, ITEM, List.of("b", "c"), new int[] {0}, corpus(), null, 3);
        // c answered nothing: the penalty is b's alone
        assertThat(o.value()).isCloseTo(0.9, within(1e-15));
        assertThat(o.notes()).containsExactly("1 of 1 neighbour questions have no answer from c", "only 1 of 3 neighbour questions available");
        LazinessPenalty.Outcome none = LazinessPenalty.of(SIMS, ITEM, List.of("a"), new int[0], corpus(), null, 3);
        assertThat(none.value()).isZero();
        assertThat(none.similarities()).containsExactly(List.of());
        assertThat(none.notes()).containsExactly("no neighbour questions in the corpus: penalty 0");
    }

    @Test
    void anInfiniteSimilarityNamesTheItemAndTheModel() {
        PairSimilarity inf = (x, y) -> Double.POSITIVE_INFINITY;
        assertThatThrownBy(() -> LazinessPenalty.of(inf, ITEM, List.of("a"), new int[] {0}, corpus(), null, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("item q: similarity of the answer and reference a's answer to a neighbour question is Infinity");
    }

    @Test
    void theCorpusKeepsEachQuestionOnceWithEachModelsFirstAnswer() {
        List<CorpusEntry> c = CorpusEntry.of(List.of(
                FewlItem.of("i1", "Q1", "x", List.of(Reference.of("a", "A1"))),
                FewlItem.of("i2", "Q1", "y", List.of(Reference.of("a", "A2"), Reference.of("b", "B2"))),
                FewlItem.of("i3", "Q2", "z", List.of(Reference.of("b", "B3")))));
        assertThat(c).extracting(CorpusEntry::id).containsExactly("i1", "i3");
        assertThat(c.get(0).answers()).containsExactly(Map.entry("a", "A1"), Map.entry("b", "B2"));
    }
}
