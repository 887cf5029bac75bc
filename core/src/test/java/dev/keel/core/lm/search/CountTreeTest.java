package dev.keel.core.lm.search;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** {@link CountTree} on a toy corpus whose counts and back-off probabilities are computed by hand below. */
class CountTreeTest {

    // vocabulary {0, 1, 2, 3}; records [0 1 2], [0 1 3], [1 2]
    private static final List<long[]> TOY = List.of(new long[] {0, 1, 2}, new long[] {0, 1, 3}, new long[] {1, 2});

    private static CountTree toy(int maxOrder) {
        return CountTree.of(TOY, 4, maxOrder);
    }

    @Test
    void exactCountsAndDistributions() {
        CountTree t = toy(1);
        assertThat(t.sequences()).isEqualTo(3);
        assertThat(t.tokens()).isEqualTo(8);
        assertThat(t.count(new long[0])).isEqualTo(3);
        assertThat(t.nextCounts(new long[0])).containsExactly(Map.entry(0L, 2L), Map.entry(1L, 1L));
        assertThat(t.count(new long[] {0, 1})).isEqualTo(2);
        assertThat(t.nextCounts(new long[] {0, 1})).containsExactly(Map.entry(2L, 1L), Map.entry(3L, 1L));
        assertThat(t.distribution(new long[] {0, 1})).containsExactly(0, 0, 0.5, 0.5);
        assertThat(t.distribution(new long[0])).containsExactly(2 / 3.0, 1 / 3.0, 0, 0);
        assertThat(t.distribution(new long[] {1})).containsExactly(0, 0, 1, 0);
        assertThat(t.seen(new long[] {0, 1, 3})).isTrue();
        assertThat(t.count(new long[] {0, 1, 3})).isEqualTo(1);
        assertThat(t.nextCounts(new long[] {0, 1, 3})).isEmpty();
        // [1 2] occurs inside [0 1 2] but no record starts with [2] or [1 0]: the tree counts from the start
        assertThat(t.seen(new long[] {2})).isFalse();
        assertThat(t.seen(new long[] {1, 0})).isFalse();
        assertThat(t.count(new long[] {2})).isZero();
        assertThat(t.nextCounts(new long[] {2})).isEmpty();
        // root, [0], [0 1], [0 1 2], [0 1 3], [1], [1 2]
        assertThat(t.prefixNodes()).isEqualTo(7);
        // root, unigrams 0 1 2 3, bigrams 01 12 13
        assertThat(t.contextNodes()).isEqualTo(8);
        assertThat(t.bytes()).isEqualTo(15L * CountTree.BYTES_PER_NODE + 8);
    }

    @Test
    void nodesWalkTheTree() {
        CountTree t = toy(1);
        CountTree.Node root = t.root();
        assertThat(root.count()).isEqualTo(3);
        assertThat(root.depth()).isZero();
        CountTree.Node n01 = root.child(0).orElseThrow().child(1).orElseThrow();
        assertThat(n01).isEqualTo(t.node(new long[] {0, 1}).orElseThrow());
        assertThat(n01.depth()).isEqualTo(2);
        assertThat(n01.count()).isEqualTo(2);
        assertThat(n01.nextTotal()).isEqualTo(2);
        assertThat(n01.child(0)).isEmpty();
        assertThat(t.node(new long[] {3})).isEmpty();
        assertThat(n01).isNotEqualTo(toy(1).node(new long[] {0, 1}).orElseThrow());
    }

    @Test
    void backoffIsWittenBellComputedByHand() {
        CountTree t = toy(1);
        // P_-1 = 1/4; unigram counts 0:2 1:3 2:2 3:1 (N 8, T 4): P_0(w) = (C(w) + 4/4) / 12
        double[] p0 = {3 / 12.0, 4 / 12.0, 3 / 12.0, 2 / 12.0};
        // context [1] is followed by 2, 3, 2 (N 3, T 2): P_1(w) = (C(w) + 2 P_0(w)) / 5
        double[] p1 = {0.1, 2 / 15.0, 0.5, 4 / 15.0};
        for (int w = 0; w < 4; w++) {
            assertThat((new double[] {0, 0, 2, 1}[w] + 2 * p0[w]) / 5).isCloseTo(p1[w], within(1e-15));
        }
        // the whole prefix [0 1] is followed by 2, 3 (N 2, T 2): P(w) = (C(w) + 2 P_1(w)) / 4
        assertThat(t.backoff(new long[] {0, 1})).containsExactly(new double[] {0.05, 1 / 15.0, 0.5, 23 / 60.0},
                within(1e-15));
        // unseen [2 0]: context [0] is followed by 1, 1 (N 2, T 1): P_1(w) = (C(w) + P_0(w)) / 3; no whole-prefix term
        assertThat(t.backoff(new long[] {2, 0})).containsExactly(new double[] {1 / 12.0, 7 / 9.0, 1 / 12.0, 1 / 18.0},
                within(1e-15));
        // [0 1 2]: seen, but every record ends there, and context [2] is never followed: P_0
        assertThat(t.backoff(new long[] {0, 1, 2})).containsExactly(p0, within(1e-15));
        // the empty prefix: K = 0, then the root's first tokens 0, 0, 1 (N 3, T 2)
        assertThat(t.backoff(new long[0])).containsExactly(new double[] {0.5, 1 / 3.0, 0.1, 1 / 15.0}, within(1e-15));
        // maxOrder 0: [0 1] mixes P_0 directly with its own counts
        assertThat(toy(0).backoff(new long[] {0, 1})).containsExactly(
                new double[] {6 / 48.0, 8 / 48.0, (1 + 6 / 12.0) / 4, (1 + 4 / 12.0) / 4}, within(1e-15));
        // the single-token form gives the same numbers
        for (long[] prefix : List.of(new long[] {0, 1}, new long[] {2, 0}, new long[0], new long[] {3, 3, 3})) {
            double[] all = t.backoff(prefix);
            for (int w = 0; w < 4; w++) {
                assertThat(t.probability(prefix, w)).isCloseTo(all[w], within(1e-15));
            }
        }
    }

    @Test
    void onASeenPrefixTheExactPartCarriesAtLeastHalfTheMass() {
        CountTree t = toy(1);
        double[] exact = t.distribution(new long[] {0, 1});
        double[] b = t.backoff(new long[] {0, 1});
        for (int w = 0; w < 4; w++) {
            assertThat(b[w]).isGreaterThanOrEqualTo(0.5 * exact[w]);
        }
    }

    @Test
    void refusals() {
        CountTree t = toy(2);
        assertThatThrownBy(() -> t.distribution(new long[] {2}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("the tree is silent on prefix [2]");
        assertThatThrownBy(() -> t.distribution(new long[] {0, 1, 2}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no sequence continues past this prefix of 3 tokens");
        assertThatThrownBy(() -> CountTree.of(List.of(), 4, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the corpus must hold at least one sequence, held 0");
        assertThatThrownBy(() -> CountTree.of(List.of(new long[] {0}, new long[0]), 4, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("sequence 1 is empty");
        assertThatThrownBy(() -> CountTree.of(List.of(new long[] {0, 4}), 4, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("sequence 0, position 1: token must be in [0, 4), was 4");
        assertThatThrownBy(() -> CountTree.of(List.of(new long[] {0}, new long[] {-1}), 4, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("sequence 1, position 0: token must be in [0, 4), was -1");
        assertThatThrownBy(() -> CountTree.builder(4, -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxOrder must be >= 0, was -1");
        assertThatThrownBy(() -> CountTree.builder(0, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("vocabSize must be > 0, was 0");
        assertThatThrownBy(() -> t.backoff(new long[] {0, 7}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("prefix[1] must be in [0, 4), was 7");
        assertThatThrownBy(() -> t.probability(new long[] {0}, -2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("token must be in [0, 4), was -2");
        assertThatThrownBy(() -> t.seen(new long[] {9}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("prefix[0] must be in [0, 4), was 9");
        CountTree.Builder b = CountTree.builder(4, 1).add(new long[] {1});
        b.build();
        assertThatThrownBy(() -> b.add(new long[] {1})).isInstanceOf(IllegalStateException.class)
                .hasMessage("CountTree.Builder was already built");
        assertThatThrownBy(b::build).isInstanceOf(IllegalStateException.class);
        // a refused sequence leaves nothing behind
        CountTree.Builder partial = CountTree.builder(4, 1).add(new long[] {1, 2});
        assertThatThrownBy(() -> partial.add(new long[] {0, 5})).isInstanceOf(IllegalArgumentException.class);
        CountTree clean = partial.build();
        assertThat(clean.sequences()).isEqualTo(1);
        assertThat(clean.seen(new long[] {0})).isFalse();
        assertThat(clean.probability(new long[0], 0)).isCloseTo(
                (0 + 1 * ((0 + 2 * 0.25) / 4)) / 2, within(1e-15));
    }
}
