package dev.keel.core.lm.search;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.SortedMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * {@link CountTree} on random small corpora against a brute-force reference written here from the
 * definition: every count by a scan of the corpus (no trie), then the Witten–Bell recursion.
 */
class CountTreePropertiesTest {

    /** A random corpus: few tokens so that contexts repeat, some sequences sharing a start. */
    private static List<long[]> corpus(Random r, int vocab) {
        int n = 1 + r.nextInt(12);
        List<long[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long[] s = new long[1 + r.nextInt(9)];
            for (int j = 0; j < s.length; j++) {
                s[j] = r.nextInt(Math.min(vocab, 1 + r.nextInt(4) + j));
            }
            if (!out.isEmpty() && r.nextInt(3) == 0) {
                long[] other = out.get(r.nextInt(out.size()));
                System.arraycopy(other, 0, s, 0, Math.min(other.length, s.length) / 2);
            }
            out.add(s);
        }
        return out;
    }

    /** A prefix: a seen one (a start of a sequence), or random tokens. */
    private static long[] prefix(Random r, List<long[]> corpus, int vocab) {
        if (r.nextBoolean()) {
            long[] s = corpus.get(r.nextInt(corpus.size()));
            return Arrays.copyOf(s, r.nextInt(s.length + 1));
        }
        long[] p = new long[r.nextInt(7)];
        for (int i = 0; i < p.length; i++) {
            p[i] = r.nextInt(vocab);
        }
        return p;
    }

    /** C(c, w) for every w: positions (any offset, k = |c| tokens before them inside the sequence) after c. */
    private static long[] contextCounts(List<long[]> corpus, long[] c, int vocab) {
        long[] counts = new long[vocab];
        for (long[] s : corpus) {
            for (int i = c.length; i < s.length; i++) {
                if (Arrays.equals(s, i - c.length, i, c, 0, c.length)) {
                    counts[(int) s[i]]++;
                }
            }
        }
        return counts;
    }

    /** Sequences starting with h, by the token that follows. */
    private static long[] wholeCounts(List<long[]> corpus, long[] h, int vocab) {
        long[] counts = new long[vocab];
        for (long[] s : corpus) {
            if (s.length > h.length && Arrays.equals(s, 0, h.length, h, 0, h.length)) {
                counts[(int) s[h.length]]++;
            }
        }
        return counts;
    }

    private static double[] mix(double[] lower, long[] counts) {
        long n = 0;
        int t = 0;
        for (long c : counts) {
            n += c;
            t += c > 0 ? 1 : 0;
        }
        if (n == 0) {
            return lower;
        }
        double[] p = new double[lower.length];
        for (int w = 0; w < p.length; w++) {
            p[w] = (counts[w] + t * lower[w]) / (n + t);
        }
        return p;
    }

    static double[] bruteForce(List<long[]> corpus, long[] h, int vocab, int maxOrder) {
        double[] p = new double[vocab];
        Arrays.fill(p, 1.0 / vocab);
        for (int k = 0; k <= Math.min(maxOrder, h.length); k++) {
            p = mix(p, contextCounts(corpus, Arrays.copyOfRange(h, h.length - k, h.length), vocab));
        }
        return mix(p, wholeCounts(corpus, h, vocab));
    }

    @Property(tries = 300, seed = "14")
    void backoffMatchesTheBruteForceSumsToOneAndIsPositive(@ForAll long seed, @ForAll @IntRange(min = 0, max = 4) int maxOrder) {
        Random r = new Random(seed);
        int vocab = 2 + r.nextInt(6);
        List<long[]> corpus = corpus(r, vocab);
        CountTree tree = CountTree.of(corpus, vocab, maxOrder);
        for (int q = 0; q < 8; q++) {
            long[] h = prefix(r, corpus, vocab);
            double[] p = tree.backoff(h);
            double[] ref = bruteForce(corpus, h, vocab, maxOrder);
            double sum = 0;
            for (int w = 0; w < vocab; w++) {
                assertThat(p[w]).as("P(%d | %s)", w, Arrays.toString(h)).isGreaterThan(0).isCloseTo(ref[w], within(1e-12));
                assertThat(tree.probability(h, w)).isCloseTo(ref[w], within(1e-12));
                sum += p[w];
            }
            assertThat(sum).isCloseTo(1.0, within(1e-12));
        }
    }

    @Property(tries = 300, seed = "41")
    void exactCountsMatchTheBruteForce(@ForAll long seed) {
        Random r = new Random(seed);
        int vocab = 2 + r.nextInt(6);
        List<long[]> corpus = corpus(r, vocab);
        CountTree tree = CountTree.of(corpus, vocab, 2);
        long tokens = 0;
        for (long[] s : corpus) {
            tokens += s.length;
        }
        assertThat(tree.tokens()).isEqualTo(tokens);
        assertThat(tree.sequences()).isEqualTo(corpus.size());
        for (int q = 0; q < 8; q++) {
            long[] h = prefix(r, corpus, vocab);
            long starts = 0;
            for (long[] s : corpus) {
                starts += s.length >= h.length && Arrays.equals(s, 0, h.length, h, 0, h.length) ? 1 : 0;
            }
            long[] next = wholeCounts(corpus, h, vocab);
            long total = Arrays.stream(next).sum();
            assertThat(tree.count(h)).isEqualTo(starts);
            assertThat(tree.seen(h)).isEqualTo(starts > 0);
            SortedMap<Long, Long> counts = tree.nextCounts(h);
            for (int w = 0; w < vocab; w++) {
                assertThat(counts.getOrDefault((long) w, 0L)).isEqualTo(next[w]);
            }
            if (total > 0) {
                double[] d = tree.distribution(h);
                for (int w = 0; w < vocab; w++) {
                    assertThat(d[w]).isEqualTo((double) next[w] / total);
                }
            }
        }
    }
}
