package dev.keel.core.lm.search;

import dev.keel.core.internal.Preconditions;

import java.util.List;

/**
 * What one {@link Mcts} search found and what it cost.
 *
 * @param answer            the best-valued finished reply the evaluation saw (the most visited path when none)
 * @param mostVisited       the path of most visited edges from the root, as far as it is expanded
 * @param simulations       simulations run, failed ones included
 * @param failedSimulations simulations whose evaluation threw or returned a non-finite value (not backed up)
 * @param failures          the first failure messages (at most 10)
 * @param forwardSteps      forward token-steps spent (expansions, rollouts, recomputations; prefill excluded)
 * @param recomputedSteps   of those, steps that rebuilt evicted states
 * @param evictions         states dropped to stay within the memory budget
 * @param peakStateBytes    the most bytes the cached states held at once
 * @param cachedNodes       nodes holding their state at the end
 * @param nodes             nodes in the tree, the root and terminal nodes included
 * @param qTable            the state × action table
 */
public record SearchResult(Answer answer, Answer mostVisited, int simulations, int failedSimulations,
                           List<String> failures, long forwardSteps, long recomputedSteps, long evictions,
                           long peakStateBytes, int cachedNodes, int nodes, QTable qTable) {

    /**
     * A result, checked.
     *
     * @param answer            the answer
     * @param mostVisited       the most visited path
     * @param simulations       simulations run
     * @param failedSimulations failed simulations
     * @param failures          failure messages
     * @param forwardSteps      forward token-steps
     * @param recomputedSteps   recomputed steps
     * @param evictions         evicted states
     * @param peakStateBytes    peak state bytes
     * @param cachedNodes       cached nodes
     * @param nodes             nodes
     * @param qTable            the Q table
     */
    public SearchResult {
        Preconditions.notNull(answer, "answer");
        Preconditions.notNull(mostVisited, "mostVisited");
        Preconditions.notNull(qTable, "qTable");
        failures = List.copyOf(Preconditions.noNulls(failures, "failures"));
    }
}
