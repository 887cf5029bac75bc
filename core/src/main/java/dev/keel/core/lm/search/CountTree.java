package dev.keel.core.lm.search;

import dev.keel.core.internal.Preconditions;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The enumerating tree over a corpus: a count tree whose states are token prefixes of whole
 * sequences (counted from a sequence's start, the same states as the search's), each with the exact
 * counts of the tokens that follow it. It is exact on the prefixes it has seen and silent beyond
 * them: {@link #distribution} refuses a prefix no sequence starts with. Beside it,
 * {@link #backoff} is a distribution defined for every prefix, so that the tree can be scored on
 * text it has never seen.
 *
 * <h2>Counts</h2>
 * <ul>
 *   <li>{@link #count(long[]) count(h)}: the number of sequences that start with {@code h} (the empty
 *       prefix: every sequence);</li>
 *   <li>{@link #nextCounts(long[]) nextCounts(h)}: for each token {@code w}, the number of sequences
 *       that start with {@code h·w}; their sum is {@code count(h)} less the sequences that end
 *       exactly at {@code h};</li>
 *   <li>{@link #distribution(long[]) distribution(h)}: {@code nextCounts(h)} divided by their sum,
 *       refused ({@link IllegalArgumentException}) for an unseen prefix and for a prefix where every
 *       sequence ends.</li>
 * </ul>
 *
 * <h2>The back-off distribution (interpolated Witten–Bell)</h2>
 * For a prefix {@code h} of length {@code n} and a vocabulary of {@code V} tokens, with
 * {@code K = min(maxOrder, n)} and {@code c_k} the last {@code k} tokens of {@code h}:
 * <ol>
 *   <li>{@code P_-1(w) = 1 / V} (uniform);</li>
 *   <li>for {@code k = 0 .. K}: {@code P_k(w) = (C(c_k, w) + T(c_k) · P_k-1(w)) / (N(c_k) + T(c_k))},
 *       where {@code C(c, w)} counts the positions of the corpus <em>at any offset</em> (not only
 *       from a sequence's start) whose preceding {@code k} tokens, inside the same sequence, are
 *       {@code c} and whose token is {@code w}; {@code N(c)} is the sum of {@code C(c, ·)} and
 *       {@code T(c)} the number of distinct {@code w} with {@code C(c, w) > 0}. Where
 *       {@code N(c_k) = 0} (a context never followed by a token), {@code P_k = P_k-1};</li>
 *   <li>the whole prefix, counted from the sequence's start:
 *       {@code P(w | h) = (nextCounts(h)[w] + T_h · P_K(w)) / (N_h + T_h)} with {@code N_h} the sum of
 *       {@code nextCounts(h)} and {@code T_h} its number of distinct tokens; {@code P(· | h) = P_K}
 *       where {@code N_h = 0} (an unseen prefix, or one where every sequence ends).</li>
 * </ol>
 * Every level mixes its own relative frequencies with weight {@code N / (N + T) >= 1/2} and the
 * level below with {@code T / (N + T) > 0}, so the result is strictly positive and sums to 1. On a seen
 * prefix the exact part dominates: {@code P(w | h) >= N_h / (N_h + T_h) · distribution(h)[w]},
 * and the exact distribution carries at least half the mass; it approaches it as {@code N_h / T_h} grows.
 *
 * <h2>Storage</h2>
 * Two frozen tries in breadth-first arrays (the prefixes from the start, and the contexts: n-grams
 * of at most {@code maxOrder + 1} tokens at every offset), each node holding its edge's token, its
 * count, its children's total and the index of its first child (children sorted by token, found by
 * binary search): {@value #BYTES_PER_NODE} bytes a node, see {@link #bytes()}.
 *
 * <pre>{@code
 * CountTree tree = CountTree.builder(vocabSize, 4).add(record1).add(record2).build();
 * if (tree.seen(prefix)) {
 *     double[] exact = tree.distribution(prefix);   // the tree's own next-token distribution
 * }
 * double p = tree.probability(prefix, token);       // back-off: defined for every prefix
 * }</pre>
 *
 * <p>Immutable and safe to share between threads once built.
 */
public final class CountTree {

    /** Bytes each node of either trie holds in its arrays (token, count, children's total, first child). */
    public static final int BYTES_PER_NODE = 4 + 8 + 8 + 4;

    private final int vocabSize;
    private final int maxOrder;
    private final Trie prefixes;
    private final Trie contexts;
    private final long tokens;

    private CountTree(int vocabSize, int maxOrder, Trie prefixes, Trie contexts, long tokens) {
        this.vocabSize = vocabSize;
        this.maxOrder = maxOrder;
        this.prefixes = prefixes;
        this.contexts = contexts;
        this.tokens = tokens;
    }

    /**
     * A builder for a tree over token ids in {@code [0, vocabSize)} with back-off contexts of up to
     * {@code maxOrder} tokens.
     *
     * @param vocabSize the vocabulary size, > 0
     * @param maxOrder  the longest back-off context, >= 0 (0: the whole prefix, then unigrams, then uniform)
     * @return a builder
     * @throws IllegalArgumentException if {@code vocabSize <= 0} or {@code maxOrder < 0}
     */
    public static Builder builder(int vocabSize, int maxOrder) {
        return new Builder(vocabSize, maxOrder);
    }

    /**
     * The tree over {@code sequences}.
     *
     * @param sequences the token-id sequences, at least one, none empty
     * @param vocabSize the vocabulary size, > 0
     * @param maxOrder  the longest back-off context, >= 0
     * @return the tree
     * @throws IllegalArgumentException for an empty corpus, an empty sequence, an id out of
     *                                  {@code [0, vocabSize)} (naming the sequence and position),
     *                                  {@code vocabSize <= 0} or {@code maxOrder < 0}
     */
    public static CountTree of(List<long[]> sequences, int vocabSize, int maxOrder) {
        Preconditions.notNull(sequences, "sequences");
        Builder b = builder(vocabSize, maxOrder);
        for (long[] s : sequences) {
            b.add(s);
        }
        return b.build();
    }

    /**
     * Collects sequences; {@link #build()} freezes them into a tree. Not thread-safe; used once.
     */
    public static final class Builder {
        private final int vocabSize;
        private final int maxOrder;
        private final MutableTrie prefixes = new MutableTrie();
        private final MutableTrie contexts = new MutableTrie();
        private long sequences;
        private long tokens;
        private boolean built;

        private Builder(int vocabSize, int maxOrder) {
            this.vocabSize = Preconditions.checkPositive(vocabSize, "vocabSize");
            this.maxOrder = Preconditions.checkNonNegative(maxOrder, "maxOrder");
        }

        /**
         * Counts one sequence: every prefix of it from its start, and every n-gram of at most
         * {@code maxOrder + 1} tokens inside it.
         *
         * @param sequence the token ids, not empty, each in {@code [0, vocabSize)}
         * @return this builder
         * @throws IllegalArgumentException if the sequence is empty or holds an id out of range
         *                                  (naming the sequence's 0-based index and the position)
         * @throws IllegalStateException    if {@link #build()} was called
         */
        public Builder add(long[] sequence) {
            Preconditions.checkState(!built, "CountTree.Builder was already built");
            Preconditions.notNull(sequence, "sequence");
            Preconditions.checkArgument(sequence.length > 0, "sequence " + sequences + " is empty");
            for (int i = 0; i < sequence.length; i++) {
                long t = sequence[i];
                if (t < 0 || t >= vocabSize) {
                    throw new IllegalArgumentException("sequence " + sequences + ", position " + i
                            + ": token must be in [0, " + vocabSize + "), was " + t);
                }
            }
            int node = 0;
            prefixes.count[0]++;
            for (long t : sequence) {
                node = prefixes.childOrAdd(node, (int) t);
                prefixes.count[node]++;
            }
            contexts.count[0] += sequence.length;
            for (int i = 0; i < sequence.length; i++) {
                int c = 0;
                int end = Math.min(sequence.length, i + maxOrder + 1);
                for (int j = i; j < end; j++) {
                    c = contexts.childOrAdd(c, (int) sequence[j]);
                    contexts.count[c]++;
                }
            }
            sequences++;
            tokens += sequence.length;
            return this;
        }

        /**
         * Freezes the counts into a tree.
         *
         * @return the tree
         * @throws IllegalArgumentException if no sequence was added
         * @throws IllegalStateException    if called twice
         */
        public CountTree build() {
            Preconditions.checkState(!built, "CountTree.Builder was already built");
            Preconditions.checkArgument(sequences > 0, "the corpus must hold at least one sequence, held 0");
            built = true;
            return new CountTree(vocabSize, maxOrder, prefixes.freeze(), contexts.freeze(), tokens);
        }
    }

    // ------------------------------------------------------------------ the exact tree

    /**
     * The empty prefix (every sequence starts with it).
     *
     * @return the root node
     */
    public Node root() {
        return new Node(0, 0);
    }

    /**
     * The node of {@code prefix}, if some sequence starts with it.
     *
     * @param prefix token ids, each in {@code [0, vocabSize)}
     * @return the node, or empty for an unseen prefix
     * @throws IllegalArgumentException if an id is out of range
     */
    public Optional<Node> node(long[] prefix) {
        int n = find(prefix);
        return n < 0 ? Optional.empty() : Optional.of(new Node(n, prefix.length));
    }

    private int find(long[] prefix) {
        checkTokens(prefix, "prefix");
        int node = 0;
        for (long t : prefix) {
            node = prefixes.child(node, (int) t);
            if (node < 0) {
                return -1;
            }
        }
        return node;
    }

    /**
     * Whether some sequence starts with {@code prefix}.
     *
     * @param prefix token ids
     * @return true if the prefix was seen
     * @throws IllegalArgumentException if an id is out of range
     */
    public boolean seen(long[] prefix) {
        return find(prefix) >= 0;
    }

    /**
     * The number of sequences that start with {@code prefix}.
     *
     * @param prefix token ids
     * @return the count, 0 for an unseen prefix
     * @throws IllegalArgumentException if an id is out of range
     */
    public long count(long[] prefix) {
        int n = find(prefix);
        return n < 0 ? 0 : prefixes.count[n];
    }

    /**
     * For each token seen after {@code prefix}, the number of sequences that start with the prefix
     * followed by it.
     *
     * @param prefix token ids
     * @return the counts by token id, ascending; empty for an unseen prefix
     * @throws IllegalArgumentException if an id is out of range
     */
    public SortedMap<Long, Long> nextCounts(long[] prefix) {
        int n = find(prefix);
        return n < 0 ? Collections.emptySortedMap() : new Node(n, prefix.length).nextCounts();
    }

    /**
     * The tree's exact next-token distribution after {@code prefix}: {@link #nextCounts} over their sum.
     *
     * @param prefix token ids
     * @return probabilities, one per vocabulary entry, zero off the tree's support
     * @throws IllegalArgumentException if the prefix was never seen (the tree is silent there), if
     *                                  every sequence ends at it, or if an id is out of range
     */
    public double[] distribution(long[] prefix) {
        int n = find(prefix);
        if (n < 0) {
            throw new IllegalArgumentException("the tree is silent on prefix " + describe(prefix)
                    + ": no sequence starts with it (use probability or backoff for a defined estimate)");
        }
        return new Node(n, prefix.length).distribution();
    }

    // ------------------------------------------------------------------ back-off

    /**
     * The back-off distribution after {@code prefix} (interpolated Witten–Bell, see the class
     * documentation): defined for every prefix, strictly positive, summing to 1.
     *
     * @param prefix token ids, seen or not
     * @return probabilities, one per vocabulary entry
     * @throws IllegalArgumentException if an id is out of range
     */
    public double[] backoff(long[] prefix) {
        checkTokens(prefix, "prefix");
        double[] p = new double[vocabSize];
        Arrays.fill(p, 1.0 / vocabSize);
        for (int c : contextNodes(prefix)) {
            mix(p, contexts, c);
        }
        int whole = find(prefix);
        if (whole >= 0) {
            mix(p, prefixes, whole);
        }
        return p;
    }

    /**
     * The back-off probability of {@code token} after {@code prefix}: {@code backoff(prefix)[token]},
     * computed without the whole vector.
     *
     * @param prefix token ids, seen or not
     * @param token  the next token
     * @return the probability, in (0, 1]
     * @throws IllegalArgumentException if an id is out of range
     */
    public double probability(long[] prefix, long token) {
        checkTokens(prefix, "prefix");
        checkToken(token, "token");
        double p = 1.0 / vocabSize;
        for (int c : contextNodes(prefix)) {
            p = mix(p, contexts, c, (int) token);
        }
        int whole = find(prefix);
        if (whole >= 0) {
            p = mix(p, prefixes, whole, (int) token);
        }
        return p;
    }

    /** The context trie's nodes of the last 0..K tokens of the prefix that were followed by a token, shortest first. */
    private int[] contextNodes(long[] prefix) {
        int n = prefix.length;
        int k = Math.min(maxOrder, n);
        int[] out = new int[k + 1];
        int used = 0;
        for (int len = 0; len <= k; len++) {
            int c = 0;
            for (int i = n - len; i < n && c >= 0; i++) {
                c = contexts.child(c, (int) prefix[i]);
            }
            if (c < 0 || contexts.childTotal[c] == 0) {
                // a longer context has this one as its suffix: if this one was never followed by a token, neither was it
                break;
            }
            out[used++] = c;
        }
        return Arrays.copyOf(out, used);
    }

    private static void mix(double[] p, Trie trie, int node) {
        long total = trie.childTotal[node];
        if (total == 0) {
            return;
        }
        int from = trie.childStart[node];
        int to = trie.childStart[node + 1];
        double denom = total + (double) (to - from);
        double keep = (to - from) / denom;
        for (int i = 0; i < p.length; i++) {
            p[i] *= keep;
        }
        for (int c = from; c < to; c++) {
            p[trie.token[c]] += trie.count[c] / denom;
        }
    }

    private static double mix(double p, Trie trie, int node, int token) {
        long total = trie.childTotal[node];
        if (total == 0) {
            return p;
        }
        int types = trie.childStart[node + 1] - trie.childStart[node];
        int c = trie.child(node, token);
        long count = c < 0 ? 0 : trie.count[c];
        return (count + types * p) / (total + (double) types);
    }

    // ------------------------------------------------------------------ sizes

    /**
     * The vocabulary size.
     *
     * @return the number of token ids
     */
    public int vocabSize() {
        return vocabSize;
    }

    /**
     * The longest back-off context.
     *
     * @return maxOrder
     */
    public int maxOrder() {
        return maxOrder;
    }

    /**
     * The number of sequences counted.
     *
     * @return the sequence count
     */
    public long sequences() {
        return prefixes.count[0];
    }

    /**
     * The number of tokens counted.
     *
     * @return the total length of the sequences
     */
    public long tokens() {
        return tokens;
    }

    /**
     * The number of distinct prefixes seen, the empty one included (the nodes of the exact tree).
     *
     * @return the prefix trie's node count
     */
    public int prefixNodes() {
        return prefixes.size();
    }

    /**
     * The number of distinct back-off contexts and their continuations (n-grams of at most
     * {@code maxOrder + 1} tokens, and the empty one).
     *
     * @return the context trie's node count
     */
    public int contextNodes() {
        return contexts.size();
    }

    /**
     * The bytes the tree's arrays hold: {@value #BYTES_PER_NODE} per node of either trie, plus one
     * {@code int} per trie (array and object headers not counted).
     *
     * @return the payload in bytes
     */
    public long bytes() {
        return (long) BYTES_PER_NODE * (prefixes.size() + contexts.size()) + 8;
    }

    @Override
    public String toString() {
        return "CountTree[sequences=" + sequences() + ", tokens=" + tokens + ", vocabSize=" + vocabSize + ", maxOrder="
                + maxOrder + ", prefixNodes=" + prefixNodes() + ", contextNodes=" + contextNodes() + "]";
    }

    private void checkTokens(long[] ids, String name) {
        Preconditions.notNull(ids, name);
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocabSize) {
                throw new IllegalArgumentException(name + "[" + i + "] must be in [0, " + vocabSize + "), was " + ids[i]);
            }
        }
    }

    private void checkToken(long t, String name) {
        if (t < 0 || t >= vocabSize) {
            throw new IllegalArgumentException(name + " must be in [0, " + vocabSize + "), was " + t);
        }
    }

    private static String describe(long[] prefix) {
        if (prefix.length <= 16) {
            return Arrays.toString(prefix);
        }
        return Arrays.toString(Arrays.copyOf(prefix, 16)).replace("]", ", ... (" + prefix.length + " tokens)]");
    }

    // ------------------------------------------------------------------ nodes

    /**
     * A seen prefix: a node of the exact tree. Nodes are values: two are equal when they are the
     * same prefix of the same tree.
     */
    public final class Node {
        private final int id;
        private final int depth;

        private Node(int id, int depth) {
            this.id = id;
            this.depth = depth;
        }

        /**
         * The number of sequences that start with this prefix.
         *
         * @return the count, >= 1
         */
        public long count() {
            return prefixes.count[id];
        }

        /**
         * The prefix's length.
         *
         * @return the number of tokens from the sequence's start
         */
        public int depth() {
            return depth;
        }

        /**
         * The number of sequences that continue past this prefix (the sum of {@link #nextCounts()}).
         *
         * @return the continuing count
         */
        public long nextTotal() {
            return prefixes.childTotal[id];
        }

        /**
         * The node of this prefix followed by {@code token}.
         *
         * @param token the next token
         * @return the child, or empty if no sequence continues with it
         * @throws IllegalArgumentException if the token is out of range
         */
        public Optional<Node> child(long token) {
            checkToken(token, "token");
            int c = prefixes.child(id, (int) token);
            return c < 0 ? Optional.empty() : Optional.of(new Node(c, depth + 1));
        }

        /**
         * The counts of the tokens that follow this prefix.
         *
         * @return the counts by token id, ascending
         */
        public SortedMap<Long, Long> nextCounts() {
            SortedMap<Long, Long> m = new TreeMap<>();
            for (int c = prefixes.childStart[id]; c < prefixes.childStart[id + 1]; c++) {
                m.put((long) prefixes.token[c], prefixes.count[c]);
            }
            return Collections.unmodifiableSortedMap(m);
        }

        /**
         * The exact next-token distribution: {@link #nextCounts()} over {@link #nextTotal()}.
         *
         * @return probabilities, one per vocabulary entry, zero off the support
         * @throws IllegalArgumentException if every sequence ends at this prefix
         */
        public double[] distribution() {
            long total = prefixes.childTotal[id];
            if (total == 0) {
                throw new IllegalArgumentException("no sequence continues past this prefix of " + depth
                        + " tokens (all " + count() + " end there): its next-token distribution is undefined");
            }
            double[] p = new double[vocabSize];
            for (int c = prefixes.childStart[id]; c < prefixes.childStart[id + 1]; c++) {
                p[prefixes.token[c]] = (double) prefixes.count[c] / total;
            }
            return p;
        }

        private CountTree tree() {
            return CountTree.this;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Node n && n.id == id && n.tree() == CountTree.this;
        }

        @Override
        public int hashCode() {
            return id;
        }

        @Override
        public String toString() {
            return "CountTree.Node[depth=" + depth + ", count=" + count() + ", next=" + nextCounts() + "]";
        }
    }

    // ------------------------------------------------------------------ storage

    /** A frozen trie: nodes breadth first, the children of node {@code i} at {@code [childStart[i], childStart[i+1])}, by token. */
    private static final class Trie {
        final int[] token;
        final long[] count;
        final long[] childTotal;
        final int[] childStart;

        Trie(int[] token, long[] count, long[] childTotal, int[] childStart) {
            this.token = token;
            this.count = count;
            this.childTotal = childTotal;
            this.childStart = childStart;
        }

        int size() {
            return token.length;
        }

        /** The child of {@code node} along {@code t}, or -1. */
        int child(int node, int t) {
            int lo = childStart[node];
            int hi = childStart[node + 1] - 1;
            while (lo <= hi) {
                int mid = (lo + hi) >>> 1;
                int v = token[mid];
                if (v < t) {
                    lo = mid + 1;
                } else if (v > t) {
                    hi = mid - 1;
                } else {
                    return mid;
                }
            }
            return -1;
        }
    }

    /** A growing trie: parent and token per node, children found through an open-addressing hash of (parent, token). */
    private static final class MutableTrie {
        int size = 1;
        int[] parent = new int[1024];
        int[] token = new int[1024];
        long[] count = new long[1024];
        long[] keys;
        int[] values;
        int mask;

        MutableTrie() {
            parent[0] = -1;
            token[0] = -1;
            keys = new long[1 << 12];
            Arrays.fill(keys, -1L);
            values = new int[keys.length];
            mask = keys.length - 1;
        }

        int childOrAdd(int node, int t) {
            long key = ((long) node << 32) | (t & 0xFFFFFFFFL);
            int slot = slot(key);
            while (keys[slot] != -1L) {
                if (keys[slot] == key) {
                    return values[slot];
                }
                slot = (slot + 1) & mask;
            }
            if (size == Integer.MAX_VALUE - 8) {
                throw new IllegalStateException("the count tree exceeds " + size + " nodes");
            }
            int id = size++;
            if (id == parent.length) {
                int n = (int) Math.min(Integer.MAX_VALUE - 8L, 2L * parent.length);
                parent = Arrays.copyOf(parent, n);
                token = Arrays.copyOf(token, n);
                count = Arrays.copyOf(count, n);
            }
            parent[id] = node;
            token[id] = t;
            keys[slot] = key;
            values[slot] = id;
            if (2L * size > keys.length) {
                rehash();
            }
            return id;
        }

        private int slot(long key) {
            long h = key * 0x9E3779B97F4A7C15L;
            return (int) (h ^ (h >>> 32)) & mask;
        }

        private void rehash() {
            long[] oldKeys = keys;
            int[] oldValues = values;
            keys = new long[oldKeys.length * 2];
            Arrays.fill(keys, -1L);
            values = new int[keys.length];
            mask = keys.length - 1;
            for (int i = 0; i < oldKeys.length; i++) {
                if (oldKeys[i] != -1L) {
                    int s = slot(oldKeys[i]);
                    while (keys[s] != -1L) {
                        s = (s + 1) & mask;
                    }
                    keys[s] = oldKeys[i];
                    values[s] = oldValues[i];
                }
            }
        }

        /** Renumbers the nodes breadth first, children by token, into a {@link Trie}. */
        Trie freeze() {
            keys = null;
            values = null;
            int n = size;
            // group the children of each node (counting sort by parent), each group sorted by token
            int[] groupStart = new int[n + 1];
            for (int i = 1; i < n; i++) {
                groupStart[parent[i] + 1]++;
            }
            for (int i = 0; i < n; i++) {
                groupStart[i + 1] += groupStart[i];
            }
            long[] edges = new long[Math.max(0, n - 1)];
            int[] fill = Arrays.copyOf(groupStart, n);
            for (int i = 1; i < n; i++) {
                edges[fill[parent[i]]++] = ((long) token[i] << 32) | i;
            }
            for (int i = 0; i < n; i++) {
                Arrays.sort(edges, groupStart[i], groupStart[i + 1]);
            }
            int[] order = new int[n];
            int[] outToken = new int[n];
            long[] outCount = new long[n];
            long[] outTotal = new long[n];
            int[] childStart = new int[n + 1];
            order[0] = 0;
            outToken[0] = -1;
            int tail = 1;
            for (int head = 0; head < n; head++) {
                int old = order[head];
                outCount[head] = count[old];
                childStart[head] = tail;
                long total = 0;
                for (int e = groupStart[old]; e < groupStart[old + 1]; e++) {
                    int child = (int) edges[e];
                    order[tail] = child;
                    outToken[tail] = (int) (edges[e] >>> 32);
                    total += count[child];
                    tail++;
                }
                outTotal[head] = total;
            }
            childStart[n] = n;
            return new Trie(outToken, outCount, outTotal, childStart);
        }
    }
}
