/**
 * Experiments with Monte Carlo tree search over keel-tiny's tokens ({@code dev.keel.core.lm.search}):
 * the tasks with programmatic answers ({@link dev.keel.examples.search.SearchTask}), the benchmark
 * of MCTS against greedy, best-of-N and beam search at equal forward token-steps
 * ({@link dev.keel.examples.search.SearchBench}), and the enumerating tree next to the trained model
 * ({@link dev.keel.examples.search.EnumeratingTree}: a count tree over keel-tiny's training records, KL on
 * seen prefixes, perplexity with back-off on held-out ones).
 */
package dev.keel.examples.search;
