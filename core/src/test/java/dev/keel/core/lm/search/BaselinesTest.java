package dev.keel.core.lm.search;

import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Greedy, best-of-N and beam search on a fake model: their answers and their cost in forward token-steps. */
class BaselinesTest {

    /** Tokens 0..2 and stop 3: after the prompt 1 is likeliest (0.5), then 0 (0.4); after "0", stop is certain-ish. */
    static double[] probs(long[] t) {
        int gen = t.length - 1;
        if (gen == 0) {
            return new double[] {0.4, 0.5, 0.1, 0.0};
        }
        if (t[1] == 0) {
            return new double[] {0.01, 0.01, 0.01, 0.97};
        }
        // after "1": spread out, so that "1 x" sequences are each unlikely
        return gen >= 3 ? new double[] {0.1, 0.1, 0.1, 0.7} : new double[] {0.3, 0.3, 0.3, 0.1};
    }

    static Baselines baselines(FakeStepModel m, Evaluator e) {
        return new Baselines(m, e, MctsTest::text, Set.of(3L), 5);
    }

    @Test
    void greedyFollowsTheLikeliestTokenAndCostsOneStepPerToken() {
        FakeStepModel m = new FakeStepModel(4, 64, BaselinesTest::probs);
        Answer g = baselines(m, Evaluator.logLikelihood()).greedy(MctsTest.PROMPT);
        // 1 (0.5), then 0 (0.3, the lowest id of a three-way tie) twice, then stop (0.7)
        assertArrayEquals(new long[] {1, 0, 0}, g.tokens());
        assertTrue(g.terminal());
        assertEquals(3, g.forwardSteps());
        assertEquals(3, m.extends_);
    }

    @Test
    void beamFindsTheLikeliestReplyThatGreedyMisses() {
        FakeStepModel m = new FakeStepModel(4, 64, BaselinesTest::probs);
        Answer b = baselines(m, Evaluator.value((p, g, t, term) -> 0)).beam(MctsTest.PROMPT, 100, 2);
        // "0 <stop>" has probability 0.4 · 0.97 = 0.388, more than any "1 ..." reply
        assertArrayEquals(new long[] {0}, b.tokens());
        assertEquals(m.extends_, b.forwardSteps());
        assertTrue(b.forwardSteps() <= 100);
    }

    @Test
    void bestOfNSpendsItsBudgetAndPicksByTheEvaluator() {
        FakeStepModel m = new FakeStepModel(4, 64, BaselinesTest::probs);
        Verifier wants = Verifier.exactAnswer("1 2 2");
        Answer n = baselines(m, Evaluator.terminal(wants, 0)).bestOfN(MctsTest.PROMPT, 200, 1.0, 5);
        assertEquals(200, n.forwardSteps());
        assertEquals(200, m.extends_);
        assertEquals("1 2 2", n.text());
        assertEquals(1.0, n.value());
        Answer again = baselines(new FakeStepModel(4, 64, BaselinesTest::probs), Evaluator.terminal(wants, 0))
                .bestOfN(MctsTest.PROMPT, 200, 1.0, 5);
        assertEquals(n.text(), again.text());
    }

    @Test
    void badBudgetsAreRefused() {
        Baselines b = baselines(new FakeStepModel(4, 64, BaselinesTest::probs), Evaluator.logLikelihood());
        assertEquals("tokenBudget must be >= 1, was 0",
                assertThrows(IllegalArgumentException.class, () -> b.bestOfN(MctsTest.PROMPT, 0, 1, 1)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> b.beam(MctsTest.PROMPT, 0, 2));
        assertThrows(IllegalArgumentException.class, () -> b.beam(MctsTest.PROMPT, 10, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new Baselines(new FakeStepModel(4, 64, BaselinesTest::probs), Evaluator.logLikelihood(),
                        MctsTest::text, Set.of(), 0));
    }
}
