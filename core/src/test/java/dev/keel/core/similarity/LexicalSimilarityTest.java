package dev.keel.core.similarity;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class LexicalSimilarityTest {

    private final TokenF1Similarity f1 = new TokenF1Similarity();
    private final RougeLSimilarity rouge = new RougeLSimilarity();

    @Test
    void tokenF1MatchesHandComputedValues() {
        // tokens: [the, cat, sat] vs [the, cat, ran, away]: common 2, p = 2/4, r = 2/3, F1 = 4/7
        assertThat(f1.score("The cat sat.", "the cat ran away")).isCloseTo(4.0 / 7, within(1e-12));
        assertThat(f1.score("a b", "b a")).isEqualTo(1.0);
        assertThat(f1.score("", "")).isEqualTo(1.0);
        assertThat(f1.score("x", "")).isEqualTo(0.0);
    }

    @Test
    void rougeLRewardsOrder() {
        assertThat(rouge.score("a b c d", "a b c d")).isEqualTo(1.0);
        // LCS of [a,b,c,d] and [d,c,b,a] is 1: p = r = 1/4
        assertThat(rouge.score("a b c d", "d c b a")).isCloseTo(0.25, within(1e-12));
        assertThat(f1.score("a b c d", "d c b a")).isEqualTo(1.0);
        // LCS [a, c] of [a, b, c] and [a, c, e, f]: p = 2/4, r = 2/3
        assertThat(rouge.score("a b c", "a c e f")).isCloseTo(4.0 / 7, within(1e-12));
    }

    @Test
    void sizeMismatchIsNamed() {
        assertThatThrownBy(() -> f1.scoreAll(List.of("a"), List.of())).hasMessageContaining("size mismatch: a has 1 texts, b has 0");
        assertThatThrownBy(() -> rouge.scoreAll(List.of("a"), List.of("a", "b"))).hasMessageContaining("size mismatch");
    }

    @Test
    void matrixDefaultAgreesWithPairs() {
        double[][] m = f1.matrix(List.of("a b", "c"), List.of("a", "b c", "d"));
        assertThat(m[0][1]).isEqualTo(f1.score("a b", "b c"));
        assertThat(m[1][2]).isEqualTo(0.0);
    }

    @Property
    boolean boundedSymmetricAndReflexive(@ForAll @StringLength(max = 30) String a, @ForAll @StringLength(max = 30) String b) {
        double x = f1.score(a, b);
        double y = rouge.score(a, b);
        return x >= 0 && x <= 1 && y >= 0 && y <= 1
                && x == f1.score(b, a) && y == rouge.score(b, a)
                && f1.score(a, a) == 1.0 && rouge.score(a, a) == 1.0
                && y <= x + 1e-12;
    }
}
