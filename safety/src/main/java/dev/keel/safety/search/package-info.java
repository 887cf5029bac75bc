/**
 * Evaluators of {@code keel-core}'s Monte Carlo tree search ({@link dev.keel.core.lm.search.Mcts})
 * from the safety module: {@link dev.keel.safety.search.RefusalVerifier} values a finished reply to a
 * harmful instruction by a {@link dev.keel.safety.HarmfulnessJudge}, so that a search prefers refusing.
 */
package dev.keel.safety.search;
