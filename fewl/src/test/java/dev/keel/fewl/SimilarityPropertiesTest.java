package dev.keel.fewl;

import dev.keel.core.testkit.TestEmbedders;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Bounds and (a)symmetry of the similarities for answers of different lengths, as their docs state. */
class SimilarityPropertiesTest {

    private static final List<String> WORDS = List.of("paris", "france", "capital", "the", "of", "1901", "röntgen",
            "wilhelm", "physics", "nobel", "prize", "is", "x-rays", "Lyon", "CITY", "a", "in", "was");

    @Provide
    Arbitrary<String> answers() {
        return Arbitraries.of(WORDS).list().ofMinSize(0).ofMaxSize(9).map(ws -> String.join(" ", ws) + (ws.size() % 2 == 0 ? "." : ""));
    }

    @Provide
    Arbitrary<String> questions() {
        return Arbitraries.of(WORDS).list().ofMinSize(1).ofMaxSize(5).map(ws -> String.join(" ", ws) + "?");
    }

    @Property(tries = 300)
    void containmentIsInTheUnitIntervalAndShorterInLongerIsSymmetric(@ForAll("answers") String a, @ForAll("answers") String b,
                                                                     @ForAll("questions") String qa, @ForAll("questions") String qb) {
        ContainmentSimilarity c = new ContainmentSimilarity();
        double ab = c.scoreAll(List.of(a), List.of(qa), List.of(b), List.of(qb))[0];
        double ba = c.scoreAll(List.of(b), List.of(qb), List.of(a), List.of(qa))[0];
        assertThat(ab).isBetween(0.0, 1.0);
        assertThat(ab).isEqualTo(ba);
        assertThat(c.score(a, b)).isEqualTo(c.score(b, a)).isBetween(0.0, 1.0);
    }

    @Property(tries = 300)
    void firstInSecondIsBoundedAndOneWhenTheFirstIsInsideTheSecond(@ForAll("answers") String a, @ForAll("answers") String extra) {
        ContainmentSimilarity c = new ContainmentSimilarity(ContainmentSimilarity.Direction.FIRST_IN_SECOND, false);
        double v = c.score(a, a + " " + extra);
        boolean hasContent = !c.content(a, null).isEmpty();
        assertThat(v).isEqualTo(hasContent ? 1.0 : 0.0);
        assertThat(c.score(a + " " + extra, a)).isBetween(0.0, 1.0);
        // the symmetric form measures the smaller set, so it is never below either direction's minimum
        ContainmentSimilarity s = new ContainmentSimilarity(ContainmentSimilarity.Direction.SHORTER_IN_LONGER, false);
        assertThat(s.score(a, a + " " + extra)).isGreaterThanOrEqualTo(Math.min(v, c.score(a + " " + extra, a)));
    }

    @Test
    void containmentByHand() {
        ContainmentSimilarity first = new ContainmentSimilarity(ContainmentSimilarity.Direction.FIRST_IN_SECOND, true);
        // asymmetric: all of "Paris" is in "Paris, France", half of {paris, france} is in "Paris"
        assertThat(first.score("Paris", "Paris, France")).isEqualTo(1.0);
        assertThat(first.score("Paris, France", "Paris")).isEqualTo(0.5);
        ContainmentSimilarity c = new ContainmentSimilarity();
        assertThat(c.score("Paris, France", "Paris")).isEqualTo(1.0);
        assertThat(c.score("The", "of the")).isEqualTo(0.0); // no content word: nothing stated
        // question words: "the first Nobel Prize in Physics was awarded to" carries nothing but "röntgen 1901"
        String q = "who got the first nobel prize in physics";
        double withQ = c.scoreAll(List.of("Wilhelm Röntgen"), List.of(q),
                List.of("The first Nobel Prize in Physics was awarded to Wilhelm Röntgen in 1901."), List.of(q))[0];
        assertThat(withQ).isEqualTo(1.0);
        double lyon = c.scoreAll(List.of("Marie Curie"), List.of(q),
                List.of("The first Nobel Prize in Physics was awarded to Wilhelm Röntgen in 1901."), List.of(q))[0];
        assertThat(lyon).isEqualTo(0.0);
        // without the question, the restated words count: "Nobel Prize" is half of {nobel, prize, curie, ...}
        assertThat(new ContainmentSimilarity(ContainmentSimilarity.Direction.SHORTER_IN_LONGER, false)
                .score("Nobel Prize winner Curie", "The first Nobel Prize in Physics")).isEqualTo(0.5);
    }

    @Property(tries = 200)
    void hybridIsBoundedAndSymmetric(@ForAll("answers") String a, @ForAll("answers") String b,
                                     @ForAll @net.jqwik.api.constraints.DoubleRange(min = 0, max = 1) double w) {
        TestEmbedders.Hashing e = new TestEmbedders.Hashing(32);
        HybridSimilarity h = new HybridSimilarity(new ContainmentSimilarity(), e, w);
        double ab = h.score(a, b);
        assertThat(ab).isBetween(-(1 - w) - 1e-12, 1.0 + 1e-12);
        assertThat(h.score(b, a)).isCloseTo(ab, within(1e-12));
    }

    @Test
    void hybridIsTheWeightedBlend() {
        TestEmbedders.Hashing e = new TestEmbedders.Hashing(32);
        HybridSimilarity h = new HybridSimilarity(new ContainmentSimilarity(), e, 0.25);
        double lex = new ContainmentSimilarity().score("Paris", "Paris, France");
        double cos = new dev.keel.core.similarity.CosineSimilarity(e).score("Paris", "Paris, France");
        assertThat(h.score("Paris", "Paris, France")).isCloseTo(0.25 * lex + 0.75 * cos, within(1e-12));
        assertThatThrownBy(() -> new HybridSimilarity(new ContainmentSimilarity(), e, 1.5)).hasMessageContaining("lexicalWeight")
                .hasMessageContaining("1.5");
        assertThatThrownBy(() -> new ContainmentSimilarity().scoreAll(List.of("a"), List.of("b", "c")))
                .hasMessageContaining("same size");
    }
}
