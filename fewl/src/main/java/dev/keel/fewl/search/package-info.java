/**
 * Evaluators of {@code keel-core}'s Monte Carlo tree search ({@link dev.keel.core.lm.search.Mcts})
 * from the FEWL module: {@link dev.keel.fewl.search.FewlVerifier} values a finished reply by its FEWL
 * agreement with reference LLMs' answers, so that a search prefers the reply the references support.
 */
package dev.keel.fewl.search;
