package dev.keel.core.lm.search;

import dev.keel.core.internal.Preconditions;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * One search tree of {@link Mcts}: its four steps as four methods ({@link #select()},
 * {@link #expand(List)}, {@link #evaluate(Node)}, {@link #backup(List, double)}), {@link #simulate()}
 * chaining them, and {@link #run()} repeating them within the budgets. The tree owns its nodes' model
 * states; {@link #close()} frees them and is idempotent.
 *
 * <p>A step that fails leaves the tree as it was: a model error in expansion adds no node; an
 * evaluator that throws or returns a non-finite value makes the simulation a recorded failure
 * ({@link #failedSimulations()}) without backup; {@link #backup} refuses a non-finite value.
 */
public final class SearchTree implements AutoCloseable {

    private final Mcts mcts;
    private final StepModel model;
    private final long[] prompt;
    private final Node root;
    private final SplittableRandom random;
    private final LinkedHashMap<Node, Boolean> cached = new LinkedHashMap<>(16, 0.75f, true);
    private final List<String> failures = new ArrayList<>();
    private long stateBytes;
    private long peakStateBytes;
    private long forwardSteps;
    private long recomputedSteps;
    private long evictions;
    private int simulations;
    private int failedSimulations;
    private int nodes = 1;
    private long[] bestTokens;
    private boolean bestTerminal;
    private double bestValue = Double.NEGATIVE_INFINITY;
    private boolean closed;

    SearchTree(Mcts mcts, long[] prompt) {
        this.mcts = mcts;
        this.model = mcts.model();
        Preconditions.notNull(prompt, "prompt");
        this.prompt = prompt.clone();
        this.random = new SplittableRandom(mcts.seed());
        StepModel.State s = model.root(this.prompt);
        this.root = new Node(null, null, new long[0], false, 0);
        root.state = s;
        try {
            root.edges = edges(root, s.logProbs());
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        hold(root);
    }

    // ------------------------------------------------------------------------------------------ nodes

    /** A prefix: the tokens after the prompt, its edges once expanded, and its cached state. */
    public static final class Node {
        private final Node parent;
        private final Edge in;
        private final long[] generated;
        private final boolean terminal;
        private final double logLikelihood;
        private Edge[] edges;
        private StepModel.State state;
        private double terminalValue = Double.NaN;
        private boolean solved;
        private double solvedValue = Double.NaN;

        private Node(Node parent, Edge in, long[] generated, boolean terminal, double logLikelihood) {
            this.parent = parent;
            this.in = in;
            this.generated = generated;
            this.terminal = terminal;
            this.logLikelihood = logLikelihood;
        }

        /**
         * The node above, null for the root.
         *
         * @return the parent
         */
        public Node parent() {
            return parent;
        }

        /**
         * The tokens after the prompt (a stop token that ended them excluded).
         *
         * @return a copy of the generated tokens
         */
        public long[] generated() {
            return generated.clone();
        }

        /**
         * Whether the prefix is finished (stop token, maximum depth or context length).
         *
         * @return whether terminal
         */
        public boolean isTerminal() {
            return terminal;
        }

        /**
         * Whether the node has its edges (expanded non-terminal nodes).
         *
         * @return whether expanded
         */
        public boolean isExpanded() {
            return edges != null;
        }

        /**
         * Whether the node holds its model state now (not evicted).
         *
         * @return whether cached
         */
        public boolean isCached() {
            return state != null;
        }

        /**
         * The edges, in decreasing prior; empty for a terminal or unexpanded node.
         *
         * @return the edges
         */
        public List<Edge> edges() {
            return edges == null ? List.of() : Collections.unmodifiableList(Arrays.asList(edges));
        }

        /**
         * N(s): the sum of the edges' visit counts.
         *
         * @return the node's visits
         */
        public int visits() {
            int n = 0;
            if (edges != null) {
                for (Edge e : edges) {
                    n += e.visits;
                }
            }
            return n;
        }

        /**
         * Whether the node is solved by the MCTS-Solver rule ({@link Mcts.Builder#solver}): a
         * terminal node whose value is known, or an expanded node whose edges all lead to solved
         * children. Always false with the solver off.
         *
         * @return whether solved
         */
        public boolean isSolved() {
            return solved;
        }

        /**
         * The exact value of a solved node: a terminal node's value, else the largest value among
         * its children.
         *
         * @return the value, NaN while unsolved
         */
        public double solvedValue() {
            return solvedValue;
        }

        /**
         * The edge that leads here, null for the root.
         *
         * @return the incoming edge
         */
        public Edge incoming() {
            return in;
        }
    }

    /** An action of a node: its token, prior, visit count N, value sum W and child once created. */
    public static final class Edge {
        private final Node from;
        private final long token;
        private final double prior;
        private final double logProb;
        private int visits;
        private double valueSum;
        private Node child;

        private Edge(Node from, long token, double prior, double logProb) {
            this.from = from;
            this.token = token;
            this.prior = prior;
            this.logProb = logProb;
        }

        /**
         * The node this edge leaves.
         *
         * @return the parent node
         */
        public Node from() {
            return from;
        }

        /**
         * The action's token id.
         *
         * @return the token
         */
        public long token() {
            return token;
        }

        /**
         * P(s, a).
         *
         * @return the prior
         */
        public double prior() {
            return prior;
        }

        /**
         * The token's natural-log probability at temperature 1.
         *
         * @return log p(a | s)
         */
        public double logProb() {
            return logProb;
        }

        /**
         * N(s, a).
         *
         * @return the visit count
         */
        public int visits() {
            return visits;
        }

        /**
         * W(s, a).
         *
         * @return the sum of the values backed up through this edge
         */
        public double valueSum() {
            return valueSum;
        }

        /**
         * Q(s, a) = W / N.
         *
         * @return the mean value, NaN while unvisited
         */
        public double q() {
            return visits == 0 ? Double.NaN : valueSum / visits;
        }

        /**
         * The node this edge leads to, null until expanded.
         *
         * @return the child
         */
        public Node child() {
            return child;
        }
    }

    /**
     * The root (the empty prefix after the prompt).
     *
     * @return the root node
     */
    public Node root() {
        return root;
    }

    // ------------------------------------------------------------------------------------------ the four steps

    /**
     * Selection: from the root, follow the edge of largest PUCT score (see {@link Mcts}) while its
     * child is an expanded, non-terminal node. With the solver on, edges into solved children are
     * skipped.
     *
     * @return the path of edges, root first; its last edge leads to an unexpanded or terminal node
     * @throws IllegalStateException if the tree is closed, or if the solver is on and the root is
     *                               solved (nothing is left to search)
     */
    public List<Edge> select() {
        checkOpen();
        if (root.solved) {
            throw new IllegalStateException("the root is solved (value " + root.solvedValue
                    + "): nothing is left to search");
        }
        List<Edge> path = new ArrayList<>();
        Node node = root;
        while (true) {
            Edge e = bestEdge(node);
            path.add(e);
            if (e.child == null || e.child.terminal) {
                return path;
            }
            node = e.child;
        }
    }

    /**
     * The edge of largest PUCT score; ties to the larger prior, then the lower token id (edge order).
     * With the solver on, edges into solved children are skipped (an unsolved node has at least one
     * other).
     */
    Edge bestEdge(Node node) {
        int parentVisits = node.visits();
        boolean skipSolved = mcts.solver();
        Edge best = null;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (Edge e : node.edges) {
            if (skipSolved && e.child != null && e.child.solved) {
                continue;
            }
            double q = e.visits == 0 ? mcts.firstPlayValue() : e.valueSum / e.visits;
            double s = Mcts.puct(q, e.prior, parentVisits, e.visits, mcts.cPuct());
            if (best == null || s > bestScore) {
                best = e;
                bestScore = s;
            }
        }
        return best;
    }

    /**
     * Expansion: creates the child of the path's last edge if it has none. A stop token, the maximum
     * depth or the context length makes a terminal child without a forward step; otherwise the child's
     * state is one forward step from its parent's (recomputed first if it was evicted) and its edges
     * are its top-k next tokens. A child that exists already is returned as it is.
     *
     * @param path a path from {@link #select()}
     * @return the child node
     * @throws IllegalArgumentException if the path is empty
     * @throws IllegalStateException    if the tree is closed
     */
    public Node expand(List<Edge> path) {
        checkOpen();
        Preconditions.notEmpty(path, "path");
        Edge e = path.get(path.size() - 1);
        if (e.child != null) {
            return e.child;
        }
        Node parent = e.from;
        boolean stop = mcts.stopTokens().contains(e.token);
        long[] gen = stop ? parent.generated : append(parent.generated, e.token);
        double ll = parent.logLikelihood + (stop ? 0 : e.logProb);
        boolean terminal = stop || gen.length >= mcts.maxDepth() || prompt.length + gen.length >= model.contextLength();
        if (terminal) {
            Node child = new Node(parent, e, gen, true, ll);
            e.child = child;
            nodes++;
            return child;
        }
        StepModel.State ps = stateOf(parent);
        StepModel.State s = model.extend(ps, e.token);
        forwardSteps++;
        Node child = new Node(parent, e, gen, false, ll);
        child.state = s;
        try {
            child.edges = edges(child, s.logProbs());
        } catch (RuntimeException ex) {
            s.close();
            throw ex;
        }
        e.child = child;
        nodes++;
        hold(child);
        evict(child);
        return child;
    }

    /**
     * Evaluation: the evaluator's value of {@code leaf} (a terminal node's value is computed once and
     * reused). A rollout's finished continuation, and a terminal leaf, become candidate answers.
     *
     * @param leaf a node of this tree
     * @return the value, or NaN when the evaluator threw or returned a non-finite value (the failure is
     *         recorded in {@link #failures()})
     * @throws IllegalStateException if the tree is closed
     */
    public double evaluate(Node leaf) {
        checkOpen();
        Preconditions.notNull(leaf, "leaf");
        if (leaf.terminal && !Double.isNaN(leaf.terminalValue)) {
            return leaf.terminalValue;
        }
        LeafView view = new LeafView(leaf.generated, leaf.terminal, leaf.logLikelihood, leaf);
        double v;
        try {
            v = mcts.evaluator().evaluate(view);
        } catch (RuntimeException ex) {
            fail("evaluator threw " + ex);
            return Double.NaN;
        }
        if (!Double.isFinite(v)) {
            fail("evaluator returned " + v + " for \"" + decode(leaf.generated) + "\"");
            return Double.NaN;
        }
        if (leaf.terminal) {
            leaf.terminalValue = v;
            candidate(leaf.generated, true, v);
        } else if (view.completion != null) {
            candidate(view.completion.generated, view.completion.terminal, v);
        }
        return v;
    }

    /**
     * Backup: adds 1 to N and {@code value} to W of every edge on {@code path}. With the solver on it
     * also backs up proofs: a terminal leaf (the path's last child) whose value the evaluation knows
     * becomes solved, and so does each ancestor, bottom up, all of whose edges now lead to solved
     * children (with the largest child value).
     *
     * @param path  the edges of one simulation
     * @param value the evaluated value
     * @throws IllegalArgumentException if {@code value} is not finite or the path is empty
     * @throws IllegalStateException    if the tree is closed
     */
    public void backup(List<Edge> path, double value) {
        checkOpen();
        Preconditions.notEmpty(path, "path");
        Preconditions.checkArgument(Double.isFinite(value), "value must be finite, was " + value);
        for (Edge e : path) {
            e.visits++;
            e.valueSum += value;
        }
        if (mcts.solver()) {
            prove(path.get(path.size() - 1).child);
        }
    }

    /** Marks a terminal node of known value solved, then every ancestor whose children are all solved. */
    private void prove(Node leaf) {
        if (leaf == null || !leaf.terminal || leaf.solved || Double.isNaN(leaf.terminalValue)) {
            return;
        }
        leaf.solved = true;
        leaf.solvedValue = leaf.terminalValue;
        for (Node n = leaf.parent; n != null; n = n.parent) {
            double max = Double.NEGATIVE_INFINITY;
            for (Edge e : n.edges) {
                if (e.child == null || !e.child.solved) {
                    return;
                }
                max = Math.max(max, e.child.solvedValue);
            }
            n.solved = true;
            n.solvedValue = max;
        }
    }

    /**
     * One simulation: select, expand, evaluate, and back up unless the evaluation failed.
     *
     * @return whether the simulation succeeded (false: a recorded failure, the tree unchanged but for
     *         a new node)
     * @throws IllegalStateException if the tree is closed
     */
    public boolean simulate() {
        checkOpen();
        simulations++;
        List<Edge> path = select();
        Node leaf = expand(path);
        double v = evaluate(leaf);
        if (Double.isNaN(v)) {
            failedSimulations++;
            return false;
        }
        backup(path, v);
        return true;
    }

    /**
     * Simulates until the simulation budget or the forward token-step budget is spent, a finished
     * reply worth {@link Mcts#stopAtValue()} has been seen, or (solver on) the root is solved.
     *
     * @throws IllegalStateException if the tree is closed
     */
    public void run() {
        checkOpen();
        while (!root.solved && simulations < mcts.simulations() && forwardSteps < mcts.tokenBudget()
                && !(bestTokens != null && bestTerminal && bestValue >= mcts.stopAtValue())) {
            simulate();
        }
    }

    // ------------------------------------------------------------------------------------------ results

    /**
     * The answer (the best-valued finished reply the evaluation saw, the first one on a tie; the most
     * visited path when it saw none), the most visited path, the costs and the Q table.
     *
     * @return the result so far
     */
    public SearchResult result() {
        checkOpen();
        Answer visited = mostVisited();
        Answer answer = bestTokens == null ? new Answer("mcts", visited.tokens(), visited.text(), visited.terminal(),
                visited.value(), forwardSteps)
                : new Answer("mcts", bestTokens, decode(bestTokens), bestTerminal, bestValue, forwardSteps);
        return new SearchResult(answer, visited, simulations, failedSimulations, List.copyOf(failures), forwardSteps,
                recomputedSteps, evictions, peakStateBytes, cached.size(), nodes, qTable());
    }

    /** Follows the most visited edges (ties: larger Q, then larger prior) from the root. */
    private Answer mostVisited() {
        Node node = root;
        double value = Double.NaN;
        while (node.edges != null) {
            Edge best = null;
            for (Edge e : node.edges) {
                if (e.visits == 0) {
                    continue;
                }
                if (best == null || e.visits > best.visits || e.visits == best.visits && e.q() > best.q()) {
                    best = e;
                }
            }
            if (best == null || best.child == null) {
                break;
            }
            value = best.q();
            node = best.child;
        }
        return new Answer("mcts-visits", node.generated, decode(node.generated), node.terminal, value, forwardSteps);
    }

    /**
     * The state × action table of every expanded node, breadth first.
     *
     * @return the Q table
     */
    public QTable qTable() {
        List<QTable.Row> rows = new ArrayList<>();
        Deque<Node> queue = new ArrayDeque<>();
        queue.add(root);
        while (!queue.isEmpty()) {
            Node n = queue.poll();
            if (n.edges == null) {
                continue;
            }
            Edge[] sorted = n.edges.clone();
            Arrays.sort(sorted, Comparator.comparingInt((Edge e) -> -e.visits).thenComparing(e -> -e.prior));
            String prefix = decode(n.generated);
            for (Edge e : sorted) {
                rows.add(new QTable.Row(n.generated.length, prefix, n.generated, e.token, appended(n.generated, prefix, e.token),
                        e.prior, e.visits, e.q()));
                if (e.child != null) {
                    queue.add(e.child);
                }
            }
        }
        return new QTable(rows);
    }

    /** The text {@code token} appends to the prefix {@code ids} (whose text is {@code prefix}). */
    private String appended(long[] ids, String prefix, long token) {
        long[] extended = Arrays.copyOf(ids, ids.length + 1);
        extended[ids.length] = token;
        String whole = decode(extended);
        return whole.startsWith(prefix) ? whole.substring(prefix.length()) : decode(new long[] {token});
    }

    /**
     * Simulations run so far.
     *
     * @return the count, failed ones included
     */
    public int simulations() {
        return simulations;
    }

    /**
     * Simulations whose evaluation failed.
     *
     * @return the count
     */
    public int failedSimulations() {
        return failedSimulations;
    }

    /**
     * The first failure messages (at most 10).
     *
     * @return the messages
     */
    public List<String> failures() {
        return List.copyOf(failures);
    }

    /**
     * Forward token-steps spent (expansions, rollouts and recomputations).
     *
     * @return the count
     */
    public long forwardSteps() {
        return forwardSteps;
    }

    /**
     * The bytes the cached states hold now.
     *
     * @return bytes
     */
    public long stateBytes() {
        return stateBytes;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Node n : cached.keySet()) {
            n.state.close();
            n.state = null;
        }
        cached.clear();
        stateBytes = 0;
    }

    // ------------------------------------------------------------------------------------------ internals

    private Edge[] edges(Node node, float[] logProbs) {
        int k = Math.min(mcts.topK(), logProbs.length);
        int[] top = topK(logProbs, k);
        double t = mcts.temperature();
        double max = Double.NEGATIVE_INFINITY;
        for (int id : top) {
            max = Math.max(max, logProbs[id] / t);
        }
        double[] w = new double[k];
        double sum = 0;
        for (int i = 0; i < k; i++) {
            w[i] = Math.exp(logProbs[top[i]] / t - max);
            sum += w[i];
        }
        Preconditions.checkState(sum > 0 && Double.isFinite(sum), "the model's log-probabilities are not finite");
        Edge[] out = new Edge[k];
        for (int i = 0; i < k; i++) {
            out[i] = new Edge(node, top[i], w[i] / sum, logProbs[top[i]]);
        }
        return out;
    }

    /** The k largest entries, largest first, lower id first on a tie. */
    static int[] topK(float[] v, int k) {
        if (v.length > 4 * k) {
            // partial selection: keep a sorted window of the best k
            int[] best = new int[k];
            int size = 0;
            for (int i = 0; i < v.length; i++) {
                if (size < k || better(v, i, best[size - 1])) {
                    int pos = size < k ? size++ : k - 1;
                    while (pos > 0 && better(v, i, best[pos - 1])) {
                        best[pos] = best[pos - 1];
                        pos--;
                    }
                    best[pos] = i;
                }
            }
            return best;
        }
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < v.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> better(v, a, b) ? -1 : better(v, b, a) ? 1 : 0);
        int[] out = new int[k];
        for (int i = 0; i < k; i++) {
            out[i] = idx[i];
        }
        return out;
    }

    private static boolean better(float[] v, int a, int b) {
        return v[a] > v[b] || v[a] == v[b] && a < b;
    }

    private static long[] append(long[] a, long t) {
        long[] out = Arrays.copyOf(a, a.length + 1);
        out[a.length] = t;
        return out;
    }

    private String decode(long[] ids) {
        return mcts.decoder().apply(ids);
    }

    private void fail(String message) {
        if (failures.size() < 10) {
            failures.add(message);
        }
    }

    private void candidate(long[] tokens, boolean terminal, double value) {
        if (value > bestValue || bestTokens == null) {
            bestValue = value;
            bestTokens = tokens.clone();
            bestTerminal = terminal;
        }
    }

    private void hold(Node n) {
        cached.put(n, Boolean.TRUE);
        stateBytes += n.state.bytes();
        peakStateBytes = Math.max(peakStateBytes, stateBytes);
    }

    /** The node's state, recomputed from the nearest cached ancestor if it was evicted. */
    private StepModel.State stateOf(Node node) {
        if (node.state != null) {
            cached.get(node); // touch: most recently used
            return node.state;
        }
        Deque<Node> chain = new ArrayDeque<>();
        Node a = node;
        while (a.state == null) {
            chain.push(a);
            a = a.parent;
        }
        cached.get(a);
        StepModel.State s = a.state;
        while (!chain.isEmpty()) {
            Node n = chain.pop();
            s = model.extend(s, n.in.token);
            forwardSteps++;
            recomputedSteps++;
            n.state = s;
            hold(n);
        }
        evict(node);
        return node.state;
    }

    /** Drops least recently used states above the budget, keeping the root and {@code keep}'s ancestors. */
    private void evict(Node keep) {
        if (stateBytes <= mcts.memoryBudgetBytes()) {
            return;
        }
        Set<Node> path = new HashSet<>();
        for (Node n = keep; n != null; n = n.parent) {
            path.add(n);
        }
        Iterator<Node> it = cached.keySet().iterator();
        while (stateBytes > mcts.memoryBudgetBytes() && it.hasNext()) {
            Node n = it.next();
            if (path.contains(n)) {
                continue;
            }
            stateBytes -= n.state.bytes();
            n.state.close();
            n.state = null;
            it.remove();
            evictions++;
        }
    }

    private void checkOpen() {
        Preconditions.checkState(!closed, "SearchTree is closed");
    }

    /** A leaf as an evaluator sees it; {@code complete} runs forward steps charged to this tree. */
    private final class LeafView implements Leaf {
        private final long[] generated;
        private final boolean terminal;
        private final double logLikelihood;
        private final Node node;
        private LeafView completion;

        LeafView(long[] generated, boolean terminal, double logLikelihood, Node node) {
            this.generated = generated;
            this.terminal = terminal;
            this.logLikelihood = logLikelihood;
            this.node = node;
        }

        @Override
        public long[] prompt() {
            return prompt.clone();
        }

        @Override
        public long[] generated() {
            return generated.clone();
        }

        @Override
        public String text() {
            return decode(generated);
        }

        @Override
        public boolean isTerminal() {
            return terminal;
        }

        @Override
        public double logLikelihood() {
            return logLikelihood;
        }

        @Override
        public Leaf complete(double temperature) {
            Preconditions.checkArgument(temperature >= 0 && Double.isFinite(temperature),
                    "temperature must be >= 0 and finite, was " + temperature);
            if (terminal) {
                return this;
            }
            Preconditions.checkState(node != null, "this leaf cannot be continued");
            StepModel.State start = stateOf(node);
            StepModel.State cur = start;
            long[] gen = generated;
            double ll = logLikelihood;
            boolean done = false;
            try {
                while (true) {
                    float[] lp = cur.logProbs();
                    int next = temperature == 0 ? argmax(lp) : sample(lp, temperature);
                    if (mcts.stopTokens().contains((long) next)) {
                        done = true;
                        break;
                    }
                    gen = append(gen, next);
                    ll += lp[next];
                    if (gen.length >= mcts.maxDepth() || prompt.length + gen.length >= model.contextLength()) {
                        done = true;
                        break;
                    }
                    if (forwardSteps >= mcts.tokenBudget()) {
                        break;
                    }
                    StepModel.State nx = model.extend(cur, next);
                    forwardSteps++;
                    if (cur != start) {
                        cur.close();
                    }
                    cur = nx;
                }
            } finally {
                if (cur != start) {
                    cur.close();
                }
            }
            completion = new LeafView(gen, done, ll, null);
            return completion;
        }

        private int argmax(float[] lp) {
            int best = 0;
            for (int i = 1; i < lp.length; i++) {
                if (lp[i] > lp[best]) {
                    best = i;
                }
            }
            return best;
        }

        private int sample(float[] lp, double t) {
            return Baselines.sample(lp, t, random);
        }
    }
}
