package dev.keel.core.lm.search;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import static dev.keel.core.lm.search.MctsTest.PROMPT;
import static dev.keel.core.lm.search.MctsTest.REWARD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The MCTS-Solver rule on {@link MctsTest}'s toy trees: 3 first tokens × 3 second tokens, depth 2
 * terminal, so 13 nodes in all (root, 3 inner nodes, 9 terminal replies).
 */
class MctsSolverTest {

    @Test
    void aSolvedTerminalIsNeverSelectedAgainAndEverySimulationAddsANode() {
        try (SearchTree tree = MctsTest.toy(MctsTest.model()).solver(true).simulations(1000).build().start(PROMPT)) {
            Map<SearchTree.Node, Boolean> seenTerminals = new IdentityHashMap<>();
            int sims = 0;
            while (!tree.root().isSolved()) {
                List<SearchTree.Edge> path = tree.select();
                SearchTree.Edge last = path.get(path.size() - 1);
                // selection ends at an edge not yet expanded: never at a known (solved) terminal node
                int n = sims;
                assertNull(last.child(), () -> "simulation " + n + " re-selected a known node");
                for (SearchTree.Edge e : path) {
                    assertTrue(e.child() == null || !e.child().isSolved(), "descended into a solved node");
                }
                SearchTree.Node leaf = tree.expand(path);
                tree.backup(path, tree.evaluate(leaf));
                sims++;
                if (leaf.isTerminal()) {
                    assertTrue(leaf.isSolved());
                    assertEquals(MctsTest.reward(MctsTest.text(leaf.generated())), leaf.solvedValue());
                    assertNull(seenTerminals.put(leaf, Boolean.TRUE));
                }
                assertTrue(sims <= 12, "more simulations than nodes to create");
            }
            assertEquals(12, sims);
            assertEquals(9, seenTerminals.size());
        }
    }

    @Test
    void exhaustingTheTreeSolvesTheRootWithTheExactMaximumAndStops() {
        FakeStepModel m = MctsTest.model();
        try (SearchTree tree = MctsTest.toy(m).solver(true).simulations(1000).build().start(PROMPT)) {
            tree.run();
            assertEquals(12, tree.simulations(), "stops once the root is solved, far below the cap of 1000");
            assertEquals(3, tree.forwardSteps(), "one forward step per inner node; terminal nodes are free");
            SearchTree.Node root = tree.root();
            assertTrue(root.isSolved());
            assertEquals(1.0, root.solvedValue());
            for (SearchTree.Edge first : root.edges()) {
                double rowMax = Double.NEGATIVE_INFINITY;
                for (double r : REWARD[(int) first.token()]) {
                    rowMax = Math.max(rowMax, r);
                }
                assertTrue(first.child().isSolved());
                assertEquals(rowMax, first.child().solvedValue());
            }
            SearchResult r = tree.result();
            assertEquals("2 1", r.answer().text());
            assertEquals(1.0, r.answer().value());
            assertEquals(13, r.nodes());
            IllegalStateException e = assertThrows(IllegalStateException.class, tree::select);
            assertEquals("the root is solved (value 1.0): nothing is left to search", e.getMessage());
            tree.run(); // a solved root: nothing to do, nothing changes
            assertEquals(12, tree.simulations());
        }
        // without the solver the same search runs to its cap, re-visiting the 9 known replies
        SearchResult plain = MctsTest.toy(MctsTest.model()).simulations(1000).build().search(PROMPT);
        assertEquals(1000, plain.simulations());
        assertEquals(13, plain.nodes());
    }

    @Test
    void aNodeIsSolvedOnlyWhenAllItsEdgesAreSolved() {
        try (SearchTree tree = MctsTest.toy(MctsTest.model()).solver(true).build().start(PROMPT)) {
            for (SearchTree.Edge e : tree.root().edges()) {
                List<SearchTree.Edge> path = List.of(e);
                tree.backup(path, tree.evaluate(tree.expand(path))); // the three inner nodes, valued 0
            }
            for (SearchTree.Edge e : tree.root().edges()) {
                assertFalse(e.child().isSolved());
                assertTrue(Double.isNaN(e.child().solvedValue()));
            }
            assertFalse(tree.root().isSolved());
            // solve two of node 2's three replies by hand: node 2 is still open
            SearchTree.Node two = MctsTest.edge(tree.root(), 2).child();
            for (long t : new long[] {0, 1}) {
                List<SearchTree.Edge> path = List.of(MctsTest.edge(tree.root(), 2), MctsTest.edge(two, t));
                SearchTree.Node leaf = tree.expand(path);
                tree.backup(path, tree.evaluate(leaf));
                assertTrue(leaf.isSolved());
            }
            assertFalse(two.isSolved());
            List<SearchTree.Edge> path = List.of(MctsTest.edge(tree.root(), 2), MctsTest.edge(two, 2));
            tree.backup(path, tree.evaluate(tree.expand(path)));
            assertTrue(two.isSolved());
            assertEquals(1.0, two.solvedValue());
            assertFalse(tree.root().isSolved());
            // selection now skips token 2 at the root even though its Q is the largest
            for (int i = 0; i < 5; i++) {
                assertNotEquals(2L, tree.select().get(0).token());
                tree.simulate();
            }
        }
    }

    @Test
    void aFailedEvaluationLeavesATerminalNodeUnsolved() {
        int[] calls = {0};
        Evaluator flaky = leaf -> leaf.isTerminal() && ++calls[0] == 1 ? Double.NaN
                : leaf.isTerminal() ? MctsTest.reward(leaf.text()) : 0;
        try (SearchTree tree = MctsTest.toy(MctsTest.model()).evaluator(flaky).solver(true).simulations(1000).build()
                .start(PROMPT)) {
            tree.run();
            assertEquals(1, tree.failedSimulations());
            // the failed reply was evaluated again later and solved: the root is solved with the true maximum
            assertTrue(tree.root().isSolved());
            assertEquals(1.0, tree.root().solvedValue());
            assertEquals(13, tree.simulations());
        }
    }

    @Test
    void sameSeedSameTreeWithTheSolver() {
        String a = sampledSolver(7).search(PROMPT).qTable().toCsv();
        String b = sampledSolver(7).search(PROMPT).qTable().toCsv();
        String c = sampledSolver(8).search(PROMPT).qTable().toCsv();
        assertEquals(a, b);
        assertNotEquals(a, c);
    }

    static Mcts sampledSolver(long seed) {
        return Mcts.builder(new FakeStepModel(4, 64, MctsTest::mixed))
                .evaluator(Evaluator.rollout(t -> t.length() / 10.0 + (t.contains("2 1") ? 1 : 0), 1.0))
                .decoder(MctsTest::text).stopTokens(java.util.Set.of(MctsTest.STOP)).topK(3).maxDepth(4)
                .simulations(60).seed(seed).solver(true).build();
    }

    /**
     * With the solver off (the default) the search is the one before the rule existed: these digests
     * are of Q tables the code produced before the solver was added (commit f2abfc1).
     */
    @Test
    void withTheSolverOffTheTreeIsTheOldOne() throws Exception {
        assertFalse(MctsTest.toy(MctsTest.model()).build().solver());
        assertEquals(OLD_TOY, sha(MctsTest.toy(MctsTest.model()).simulations(500).solver(false).build().search(PROMPT)));
        assertEquals(OLD_TOY, sha(MctsTest.toy(MctsTest.model()).simulations(500).build().search(PROMPT)));
        assertEquals(OLD_SAMPLED, sha(MctsTest.sampled(new FakeStepModel(4, 64, MctsTest::mixed), 7).search(PROMPT)));
        assertEquals(OLD_DEEP, sha(MctsTest.toyDeep(new FakeStepModel(4, 64, MctsTest::mixed)).build().search(PROMPT)));
    }

    static final String OLD_TOY = "fbcd752ca7dd316422002ff2c40682dd984f878b2848de49140fdc97ee5d45bd";
    static final String OLD_SAMPLED = "70f9c9bdf048e5a28ed36a0aad804123bb99037af0f3a057de12bb9cbabe5aaa";
    static final String OLD_DEEP = "32a2dca350a75cce0c308dd393831d9b6661a02d85e66e086f56e3c181212085";

    static String sha(SearchResult r) throws Exception {
        // the digests were taken when a row's token text was the token decoded alone; it is now the text the
        // action appends to its prefix, so the old column is rebuilt here: everything else is the tree itself
        QTable old = new QTable(r.qTable().rows().stream().map(row -> new QTable.Row(row.depth(), row.prefix(),
                row.prefixIds(), row.token(), MctsTest.text(new long[] {row.token()}), row.prior(), row.visits(), row.q()))
                .toList());
        String s = old.toCsv() + "|" + r.simulations() + "|" + r.forwardSteps() + "|" + r.answer().text() + "|"
                + r.answer().value() + "|" + r.mostVisited().text();
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }
}
