package dev.keel.core.lm.search;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MCTS on a toy with a known answer: tokens 0, 1, 2 (and 3 = stop), replies of two tokens, a fixed
 * prior that prefers the wrong first token and a reward table whose optimum is "2 1".
 */
class MctsTest {

    static final long[] PROMPT = {0};
    static final long STOP = 3;

    /** R(first, second): the best reply is 2 1 (1.0); first token 0 is worth at most 0.6, 1 at most 0.3. */
    static final double[][] REWARD = {{0.6, 0.1, 0.2}, {0.3, 0.0, 0.1}, {0.0, 1.0, 0.4}};

    /** The root prefers 0 (0.6), then 1 (0.3), then 2 (0.1); deeper nodes are uniform over 0..2; stop is never likely. */
    static double[] priors(long[] tokens) {
        if (tokens.length == 1) {
            return new double[] {0.6, 0.3, 0.1, 0.0};
        }
        return new double[] {1 / 3.0, 1 / 3.0, 1 / 3.0, 0.0};
    }

    static FakeStepModel model() {
        return new FakeStepModel(4, 64, MctsTest::priors);
    }

    static String text(long[] ids) {
        StringBuilder sb = new StringBuilder();
        for (long id : ids) {
            sb.append(sb.length() == 0 ? "" : " ").append(id);
        }
        return sb.toString();
    }

    static double reward(String text) {
        String[] p = text.split(" ");
        return REWARD[Integer.parseInt(p[0])][Integer.parseInt(p[1])];
    }

    static Mcts.Builder toy(StepModel m) {
        return Mcts.builder(m).evaluator(Evaluator.terminal(MctsTest::reward, 0)).decoder(MctsTest::text)
                .stopTokens(Set.of(STOP)).topK(3).maxDepth(2).cPuct(1.0);
    }

    @Test
    void mostVisitedFirstActionConvergesToTheOptimum() {
        long[] firstActions = new long[4];
        double[] shareOfTwo = new double[4];
        int[] sims = {4, 64, 1024, 4096};
        for (int i = 0; i < sims.length; i++) {
            SearchResult r = toy(model()).simulations(sims[i]).build().search(PROMPT);
            firstActions[i] = r.mostVisited().tokens()[0];
            shareOfTwo[i] = r.qTable().top(3).stream().filter(row -> row.token() == 2).mapToInt(QTable.Row::visits)
                    .sum() / (double) sims[i];
            if (i > 0) {
                assertTrue(shareOfTwo[i] >= shareOfTwo[i - 1], Arrays.toString(shareOfTwo));
            }
            if (sims[i] >= 1024) {
                assertArrayEquals(new long[] {2, 1}, r.mostVisited().tokens(), "at " + sims[i] + " simulations");
                assertEquals("2 1", r.answer().text());
                assertEquals(1.0, r.answer().value());
            }
        }
        // with very few simulations the prior's favourite is still ahead: the search, not the prior, finds 2
        assertEquals(0, firstActions[0]);
    }

    @Test
    void qConvergesToTheTrueValues() {
        try (SearchTree tree = toy(model()).simulations(20_000).build().start(PROMPT)) {
            tree.run();
            for (SearchTree.Edge first : tree.root().edges()) {
                int a = (int) first.token();
                // edges into terminal nodes: Q is exactly the reward
                for (SearchTree.Edge second : first.child().edges()) {
                    if (second.visits() > 0) {
                        assertEquals(REWARD[a][(int) second.token()], second.q(), 1e-12);
                    }
                }
            }
            SearchTree.Edge best = edge(tree.root(), 2);
            // under the search's own policy Q(root, 2) tends to V*(2) = max_b R(2, b) = 1
            assertEquals(1.0, best.q(), 0.02);
            // the other first actions converge from below to their own maxima
            assertTrue(edge(tree.root(), 0).q() <= 0.6 + 1e-12 && edge(tree.root(), 0).q() > 0.3);
        }
    }

    static SearchTree.Edge edge(SearchTree.Node n, long token) {
        return n.edges().stream().filter(e -> e.token() == token).findFirst().orElseThrow();
    }

    @Test
    void puctPicksWhatTheFormulaSays() {
        // hand-computed: c = 1, first-play value 0, priors 0.6 / 0.3 / 0.1
        assertEquals(0.6 * Math.sqrt(3) / 3 + 0.5, Mcts.puct(0.5, 0.6, 3, 2, 1.0), 1e-15);
        assertEquals(0.0, Mcts.puct(0.0, 0.9, 0, 0, 2.0));
        try (SearchTree tree = toy(model()).build().start(PROMPT)) {
            SearchTree.Node root = tree.root();
            List<SearchTree.Edge> edges = root.edges();
            assertEquals(List.of(0L, 1L, 2L), edges.stream().map(SearchTree.Edge::token).toList());
            assertEquals(0.6, edges.get(0).prior(), 1e-6);
            // N(s) = 0: every score is 0 + c·P·0 = 0, a tie, broken towards the larger prior
            assertEquals(0L, tree.select().get(0).token());
            // after 0 is valued 0: scores 0 + 0.6·1/2 = 0.30, 0 + 0.3·1/1 = 0.30, 0.1 → tie 0.30 / 0.30: larger prior, 0
            tree.backup(List.of(edges.get(0)), 0.0);
            assertEquals(0L, tree.select().get(0).token());
            // after a second 0 for token 0: N(s) = 2; 0.6·√2/3 = 0.283, 0.3·√2 = 0.424, 0.1·√2 = 0.141 → 1
            tree.backup(List.of(edges.get(0)), 0.0);
            assertEquals(1L, tree.select().get(0).token());
            // token 1 valued 0.05: N(s) = 3; 0 + 0.6·√3/3 = 0.346, 0.05 + 0.3·√3/2 = 0.310, 0.1·√3 = 0.173 → 0
            tree.backup(List.of(edges.get(1)), 0.05);
            assertEquals(0L, tree.select().get(0).token());
            // token 2 valued 1.0: N(s) = 4; 0.6·2/3 = 0.4, 0.05 + 0.3·2/2 = 0.35, 1 + 0.1·2/2 = 1.1 → 2
            tree.backup(List.of(edges.get(2)), 1.0);
            assertEquals(2L, tree.select().get(0).token());
            // a larger c favours the prior: c = 10 → 0: 4.0, 1: 3.05, 2: 2.0
            try (SearchTree t2 = toy(model()).cPuct(10).build().start(PROMPT)) {
                List<SearchTree.Edge> e2 = t2.root().edges();
                t2.backup(List.of(e2.get(0)), 0.0);
                t2.backup(List.of(e2.get(0)), 0.0);
                t2.backup(List.of(e2.get(1)), 0.05);
                t2.backup(List.of(e2.get(2)), 1.0);
                assertEquals(0L, t2.select().get(0).token());
            }
        }
    }

    @Test
    void backupAddsExactlyTheEvaluatedValueAlongThePath() {
        double[] next = {0.37};
        FakeStepModel m = model();
        Mcts mcts = Mcts.builder(m).evaluator(leaf -> next[0]).decoder(MctsTest::text).stopTokens(Set.of(STOP))
                .topK(3).maxDepth(3).build();
        try (SearchTree tree = mcts.start(PROMPT)) {
            for (int i = 0; i < 30; i++) {
                next[0] = 0.01 * i + 0.37;
                Map<SearchTree.Edge, double[]> before = snapshot(tree);
                List<SearchTree.Edge> path = tree.select();
                SearchTree.Node leaf = tree.expand(path);
                double v = tree.evaluate(leaf);
                // a terminal node is valued once and its value reused; any other leaf gets the evaluator's value
                assertTrue(leaf.isTerminal() || v == next[0], "value " + v);
                tree.backup(path, v);
                Map<SearchTree.Edge, double[]> after = snapshot(tree);
                for (Map.Entry<SearchTree.Edge, double[]> e : after.entrySet()) {
                    double[] b = before.getOrDefault(e.getKey(), new double[] {0, 0});
                    boolean on = path.contains(e.getKey());
                    assertEquals(b[0] + (on ? 1 : 0), e.getValue()[0]);
                    assertEquals(b[1] + (on ? v : 0), e.getValue()[1], 1e-12);
                }
            }
        }
    }

    static Map<SearchTree.Edge, double[]> snapshot(SearchTree tree) {
        Map<SearchTree.Edge, double[]> out = new java.util.IdentityHashMap<>();
        java.util.ArrayDeque<SearchTree.Node> q = new java.util.ArrayDeque<>(List.of(tree.root()));
        while (!q.isEmpty()) {
            for (SearchTree.Edge e : q.poll().edges()) {
                out.put(e, new double[] {e.visits(), e.valueSum()});
                if (e.child() != null) {
                    q.add(e.child());
                }
            }
        }
        return out;
    }

    /** Replies up to 4 tokens long, valued by sampled rollouts: the seed changes the tree, the same seed repeats it. */
    static Mcts sampled(StepModel m, long seed) {
        return Mcts.builder(m).evaluator(Evaluator.rollout(t -> t.length() / 10.0 + (t.contains("2 1") ? 1 : 0), 1.0))
                .decoder(MctsTest::text).stopTokens(Set.of(STOP)).topK(3).maxDepth(4).simulations(60).seed(seed)
                .build();
    }

    static double[] mixed(long[] tokens) {
        return new double[] {0.3, 0.3, 0.3, 0.1};
    }

    @Test
    void sameSeedSameTree() {
        String a = sampled(new FakeStepModel(4, 64, MctsTest::mixed), 7).search(PROMPT).qTable().toCsv();
        String b = sampled(new FakeStepModel(4, 64, MctsTest::mixed), 7).search(PROMPT).qTable().toCsv();
        String c = sampled(new FakeStepModel(4, 64, MctsTest::mixed), 8).search(PROMPT).qTable().toCsv();
        assertEquals(a, b);
        assertNotEquals(a, c);
    }

    @Test
    void evictionAndRecomputationGiveTheSameTree() {
        FakeStepModel roomy = new FakeStepModel(4, 64, MctsTest::mixed);
        FakeStepModel tight = new FakeStepModel(4, 64, MctsTest::mixed);
        SearchResult r1 = toyDeep(roomy).build().search(PROMPT);
        SearchResult r2 = toyDeep(tight).memoryBudgetBytes(3 * FakeStepModel.BYTES_PER_STATE).build().search(PROMPT);
        assertEquals(0, r1.evictions());
        assertEquals(0, r1.recomputedSteps());
        assertTrue(r2.evictions() > 0, "evictions " + r2.evictions());
        assertTrue(r2.recomputedSteps() > 0, "recomputed " + r2.recomputedSteps());
        assertEquals(r1.qTable().toCsv(), r2.qTable().toCsv());
        assertEquals(r1.forwardSteps() + r2.recomputedSteps(), r2.forwardSteps());
        assertEquals(tight.extends_, r2.forwardSteps());
        // the budget holds after each expansion up to the root and the current path (depth 4 + root)
        assertTrue(r2.peakStateBytes() <= 6 * FakeStepModel.BYTES_PER_STATE, "peak " + r2.peakStateBytes());
        assertEquals(0, tight.open, "every state is freed when the search ends");
    }

    static Mcts.Builder toyDeep(StepModel m) {
        return Mcts.builder(m).evaluator(Evaluator.terminal(t -> t.contains("2 1") ? 1 : 0.1, 0))
                .decoder(MctsTest::text).stopTokens(Set.of(STOP)).topK(3).maxDepth(4).simulations(200);
    }

    @Test
    void theTokenBudgetIsTheCost() {
        FakeStepModel m = new FakeStepModel(4, 64, MctsTest::mixed);
        SearchResult r = toyDeep(m).tokenBudget(17).simulations(100_000).build().search(PROMPT);
        assertEquals(17, r.forwardSteps());
        assertEquals(17, m.extends_);
        assertEquals(1, m.roots);
        // a node made terminal by the depth limit (or a stop token) costs nothing: more simulations than steps
        FakeStepModel m2 = model();
        SearchResult r2 = toy(m2).tokenBudget(3).simulations(100_000).build().search(PROMPT);
        assertEquals(3, r2.forwardSteps());
        assertEquals(3, m2.extends_);
        assertTrue(r2.simulations() > 3, "simulations " + r2.simulations());
    }

    @Test
    void badSettingsAreRefusedByName() {
        FakeStepModel m = model();
        assertEquals("topK must be >= 1, was 0",
                assertThrows(IllegalArgumentException.class, () -> Mcts.builder(m).topK(0)).getMessage());
        assertEquals("simulations must be >= 1, was 0",
                assertThrows(IllegalArgumentException.class, () -> Mcts.builder(m).simulations(0)).getMessage());
        assertEquals("tokenBudget must be >= 1, was 0",
                assertThrows(IllegalArgumentException.class, () -> Mcts.builder(m).tokenBudget(0)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Mcts.builder(m).temperature(0));
        assertThrows(IllegalArgumentException.class, () -> Mcts.builder(m).cPuct(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> Mcts.builder(m).maxDepth(0));
        assertThrows(IllegalArgumentException.class, () -> Mcts.builder(m).memoryBudgetBytes(-1));
        assertTrue(assertThrows(IllegalStateException.class, () -> Mcts.builder(m).build()).getMessage()
                .contains("evaluator"));
        try (SearchTree tree = toy(m).build().start(PROMPT)) {
            List<SearchTree.Edge> path = tree.select();
            assertEquals("value must be finite, was NaN",
                    assertThrows(IllegalArgumentException.class, () -> tree.backup(path, Double.NaN)).getMessage());
            assertEquals(0, path.get(0).visits());
        }
    }

    @Test
    void anEvaluatorThatThrowsOrReturnsNaNIsARecordedFailureAndTheTreeStaysClean() {
        for (Evaluator bad : List.<Evaluator>of(leaf -> {
            throw new IllegalStateException("judge offline");
        }, leaf -> Double.NaN, leaf -> Double.POSITIVE_INFINITY)) {
            FakeStepModel m = model();
            SearchResult r = Mcts.builder(m).evaluator(bad).decoder(MctsTest::text).topK(3).maxDepth(2)
                    .simulations(10).build().search(PROMPT);
            assertEquals(10, r.simulations());
            assertEquals(10, r.failedSimulations());
            assertTrue(!r.failures().isEmpty() && r.failures().get(0).startsWith("evaluator"), r.failures().toString());
            for (QTable.Row row : r.qTable().rows()) {
                assertEquals(0, row.visits());
                assertTrue(Double.isNaN(row.q()));
            }
            assertEquals(0, m.open);
        }
        // one bad value among good ones: the good ones are backed up, the bad one is not
        int[] calls = {0};
        SearchResult r = toy(model()).evaluator(leaf -> ++calls[0] == 3 ? Double.NaN : leaf.isTerminal() ? reward(leaf.text()) : 0)
                .simulations(50).build().search(PROMPT);
        assertEquals(1, r.failedSimulations());
        int rootVisits = r.qTable().top(10).stream().mapToInt(QTable.Row::visits).sum();
        assertEquals(49, rootVisits);
    }

    /** Pieces as SentencePiece's decoder joins them: "▁" is a space, a leading one is dropped. */
    static String pieces(long[] ids) {
        String[] piece = {"▁a", "▁", "b", "</s>"};
        StringBuilder sb = new StringBuilder();
        for (long id : ids) {
            sb.append(piece[(int) id]);
        }
        String t = sb.toString().replace('▁', ' ');
        return t.startsWith(" ") ? t.substring(1) : t;
    }

    @Test
    void qTableTokenTextIsWhatTheActionAppends() {
        SearchResult r = toy(model()).decoder(MctsTest::pieces).evaluator(Evaluator.terminal(t -> 0.5, 0))
                .simulations(30).build().search(PROMPT);
        Map<String, String> byPrefixAndToken = new java.util.HashMap<>();
        for (QTable.Row row : r.qTable().rows()) {
            byPrefixAndToken.put(Arrays.toString(row.prefixIds()) + "|" + row.token(), row.tokenText());
        }
        // alone, "▁" decodes to "": after "a" it is the space it adds, and "▁a" after "a" is " a"
        assertEquals("", pieces(new long[] {1}));
        assertEquals(" ", byPrefixAndToken.get("[0]|1"));
        assertEquals(" a", byPrefixAndToken.get("[0]|0"));
        assertEquals("b", byPrefixAndToken.get("[0]|2"));
        // after a bare "▁" (text "") the next word keeps the space the "▁" stands for
        assertEquals(" a", byPrefixAndToken.get("[1]|0"));
        // at the root the prefix is empty: the token's own decoding
        assertEquals("a", byPrefixAndToken.get("[]|0"));
        assertEquals("", byPrefixAndToken.get("[]|1"));
    }

    @Test
    void qTableExportsPrefixActionPriorVisitsAndQ() throws Exception {
        SearchResult r = toy(model()).simulations(40).build().search(PROMPT);
        String csv = r.qTable().toCsv();
        assertTrue(csv.startsWith("depth,prefix,prefix_ids,token,token_text,prior,visits,q\n"), csv);
        QTable.Row top = r.qTable().top(1).get(0);
        assertEquals(0, top.depth());
        assertEquals(40, r.qTable().top(3).stream().mapToInt(QTable.Row::visits).sum());
        com.fasterxml.jackson.databind.JsonNode json = dev.keel.core.internal.Json.parseObject(r.qTable().toJson());
        assertEquals(r.qTable().rows().size(), json.get("rows").size());
        assertEquals(top.visits(), json.get("rows").get(0).get("visits").asInt());
        assertEquals(top.token(), json.get("rows").get(0).get("token").asLong());
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("qtable");
        r.qTable().write(dir.resolve("q.csv"));
        r.qTable().write(dir.resolve("q.json"));
        assertEquals(csv, java.nio.file.Files.readString(dir.resolve("q.csv")));
        assertEquals(r.qTable().toJson(), java.nio.file.Files.readString(dir.resolve("q.json")));
    }

    @Test
    void aClosedTreeRefusesItsSteps() {
        SearchTree tree = toy(model()).build().start(PROMPT);
        tree.close();
        tree.close();
        assertThrows(IllegalStateException.class, tree::select);
        assertThrows(IllegalStateException.class, tree::simulate);
    }

    @Test
    void logLikelihoodEvaluatorIsTheGeometricMeanProbability() {
        Function<long[], double[]> p = t -> new double[] {0.5, 0.25, 0.25, 0.0};
        SearchResult r = Mcts.builder(new FakeStepModel(4, 64, p)).evaluator(Evaluator.logLikelihood())
                .decoder(MctsTest::text).topK(3).maxDepth(2).simulations(30).build().search(PROMPT);
        assertArrayEquals(new long[] {0, 0}, r.answer().tokens());
        assertEquals(0.5, r.answer().value(), 1e-6);
        assertNull(null);
        assertEquals("[0, 0]", Arrays.toString(r.answer().tokens()));
    }

    @Test
    void stopAtValueEndsTheSearchOnceTheAnswerIsFound() {
        FakeStepModel m = model();
        SearchResult r = toy(m).simulations(100_000).stopAtValue(1.0).build().search(PROMPT);
        assertEquals("2 1", r.answer().text());
        assertTrue(r.simulations() < 100_000, "simulations " + r.simulations());
        // the search stops in the simulation that found it: the last backed-up value is the answer's
        SearchResult full = toy(model()).simulations(r.simulations()).build().search(PROMPT);
        assertEquals(r.qTable().toCsv(), full.qTable().toCsv());
    }
}
