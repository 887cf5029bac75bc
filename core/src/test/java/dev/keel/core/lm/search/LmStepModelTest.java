package dev.keel.core.lm.search;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.rwkv.RwkvConfig;
import dev.keel.core.lm.rwkv.RwkvModel;
import dev.keel.core.testkit.TinyFixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Expansion through the KV cache gives the log-probabilities of a full forward over the prefix. */
class LmStepModelTest {

    static LlamaModel model;

    @BeforeAll
    static void load() {
        model = TinyFixtures.tinyModel(7);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** log_softmax of the last position of a full forward over {@code ids}, without a cache. */
    static float[] full(long[] ids) {
        try (NDManager sm = model.manager().newSubManager()) {
            NDArray logits = model.forward(sm.create(ids).reshape(1, ids.length));
            return LmStepModel.logSoftmax(logits.get(new NDIndex("0, -1, :")).toFloatArray());
        }
    }

    static long[] concat(long[] a, long... b) {
        long[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void extendingThroughTheCacheEqualsAFullForwardOfThePrefix() {
        long[] prompt = {5, 17, 33, 8};
        try (LmStepModel steps = new LmStepModel(model);
             StepModel.State root = steps.root(prompt)) {
            assertEquals(4, root.length());
            assertTrue(TinyFixtures.maxAbsDiff(full(prompt), root.logProbs()) < 1e-5);
            // two branches from the same parent, then a grandchild of the first: the parent is not changed
            try (StepModel.State a = steps.extend(root, 40);
                 StepModel.State b = steps.extend(root, 41);
                 StepModel.State aa = steps.extend(a, 90)) {
                double da = TinyFixtures.maxAbsDiff(full(concat(prompt, 40)), a.logProbs());
                double db = TinyFixtures.maxAbsDiff(full(concat(prompt, 41)), b.logProbs());
                double daa = TinyFixtures.maxAbsDiff(full(concat(prompt, 40, 90)), aa.logProbs());
                assertTrue(da < 1e-5 && db < 1e-5 && daa < 1e-5, da + " " + db + " " + daa);
                StepModel.State again = steps.extend(root, 40);
                assertTrue(TinyFixtures.maxAbsDiff(a.logProbs(), again.logProbs()) < 1e-6);
                // bytes: 2 layers × K and V × 2 kv heads × 8 head dims × 5 positions × 4 bytes, plus 97 floats
                assertEquals(2L * 2 * 2 * 8 * 5 * 4 + 97 * 4, a.bytes());
                again.close();
                again.close();
                assertEquals(0, again.bytes());
                assertThrows(IllegalStateException.class, () -> steps.extend(again, 1));
            }
        }
    }

    @Test
    void badTokensAndPromptsAreRefusedByName() {
        try (LmStepModel steps = new LmStepModel(model);
             StepModel.State root = steps.root(new long[] {1, 2})) {
            assertEquals("token must be in [0, 97), was 97",
                    assertThrows(IllegalArgumentException.class, () -> steps.extend(root, 97)).getMessage());
            assertThrows(IllegalArgumentException.class, () -> steps.root(new long[0]));
            assertThrows(IllegalArgumentException.class, () -> steps.root(new long[65]));
        }
    }

    @Test
    void mctsOnARealModelRespectsItsBudgetAndValuesWithTheModelsOwnLikelihood() {
        long[] prompt = {3, 9, 27};
        try (LmStepModel steps = new LmStepModel(model)) {
            SearchResult r = Mcts.builder(steps).evaluator(Evaluator.logLikelihood()).stopTokens(Set.of(2L)).topK(4)
                    .maxDepth(6).tokenBudget(40).simulations(10_000).seed(1).build().search(prompt);
            assertEquals(40, r.forwardSteps());
            assertTrue(r.nodes() > 40);
            Baselines b = new Baselines(steps, Evaluator.logLikelihood(), Arrays::toString, Set.of(2L), 6);
            Answer g = b.greedy(prompt);
            assertEquals(5, g.forwardSteps());
            assertEquals(6, g.tokens().length);
            // the values the search backed up are the model's own: recompute the answer's likelihood by full forwards
            long[] ans = r.answer().tokens();
            double ll = 0;
            long[] prefix = prompt;
            for (long t : ans) {
                ll += full(prefix)[(int) t];
                prefix = concat(prefix, t);
            }
            assertEquals(Math.exp(ll / Math.max(1, ans.length)), r.answer().value(), 1e-5);
            // with a small memory budget the tree is the same, recomputing what it evicted
            SearchResult small = Mcts.builder(steps).evaluator(Evaluator.logLikelihood()).stopTokens(Set.of(2L)).topK(4)
                    .maxDepth(6).simulations(60).memoryBudgetBytes(8_000).seed(1).build().search(prompt);
            SearchResult large = Mcts.builder(steps).evaluator(Evaluator.logLikelihood()).stopTokens(Set.of(2L)).topK(4)
                    .maxDepth(6).simulations(60).seed(1).build().search(prompt);
            assertTrue(small.evictions() > 0 && small.recomputedSteps() > 0, small.evictions() + " evictions");
            assertEquals(large.forwardSteps() + small.recomputedSteps(), small.forwardSteps());
            String a = large.qTable().toCsv();
            String c = small.qTable().toCsv();
            assertEquals(a.lines().count(), c.lines().count());
            for (int i = 0; i < 4; i++) {
                QTable.Row x = large.qTable().rows().get(i);
                QTable.Row y = small.qTable().rows().get(i);
                assertEquals(x.token(), y.token());
                assertEquals(x.visits(), y.visits());
                assertEquals(x.q(), y.q(), 1e-5);
            }
        }
    }

    @Test
    void anRwkvModelExpandsThroughACopyOfItsRecurrentState() {
        RwkvConfig c = RwkvConfig.builder().vocabSize(30).hiddenSize(16).attentionHiddenSize(12).intermediateSize(40)
                .numHiddenLayers(3).eosTokenId(1).build();
        try (NDManager root = NDManager.newBaseManager(ai.djl.Device.cpu());
             RwkvModel rwkv = RwkvModel.random(c, 11, root);
             LmStepModel steps = new LmStepModel(rwkv);
             StepModel.State r = steps.root(new long[] {3, 9, 4})) {
            java.util.function.Function<long[], float[]> full = ids -> {
                try (NDManager sm = rwkv.manager().newSubManager()) {
                    NDArray logits = rwkv.forward(sm.create(ids).reshape(1, ids.length), null, null, false);
                    return LmStepModel.logSoftmax(logits.get(new NDIndex("0, -1, :")).toFloatArray());
                }
            };
            assertTrue(TinyFixtures.maxAbsDiff(full.apply(new long[] {3, 9, 4}), r.logProbs()) < 1e-5);
            try (StepModel.State a = steps.extend(r, 7);
                 StepModel.State b = steps.extend(r, 8);
                 StepModel.State aa = steps.extend(a, 2)) {
                double da = TinyFixtures.maxAbsDiff(full.apply(new long[] {3, 9, 4, 7}), a.logProbs());
                double db = TinyFixtures.maxAbsDiff(full.apply(new long[] {3, 9, 4, 8}), b.logProbs());
                double daa = TinyFixtures.maxAbsDiff(full.apply(new long[] {3, 9, 4, 7, 2}), aa.logProbs());
                assertTrue(da < 1e-5 && db < 1e-5 && daa < 1e-5, da + " " + db + " " + daa);
                // a recurrent state is the same size at any length
                assertEquals(a.bytes(), aa.bytes());
                assertEquals(5, aa.length());
            }
        }
    }
}
