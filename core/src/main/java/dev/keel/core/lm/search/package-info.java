/**
 * Monte Carlo tree search over a language model's tokens: {@link dev.keel.core.lm.search.Mcts} (PUCT
 * selection over the model's top-k next tokens, expansion by one incremental forward step from the
 * parent's cached state, a pluggable {@link dev.keel.core.lm.search.Evaluator}, backup of the value
 * along the path), its tree {@link dev.keel.core.lm.search.SearchTree} with the four steps as four
 * methods and its {@link dev.keel.core.lm.search.QTable}; the model seen one token at a time,
 * {@link dev.keel.core.lm.search.StepModel} (over a {@code LlamaModel}:
 * {@link dev.keel.core.lm.search.LmStepModel}); and the decoders it is compared with at the same
 * cost in forward token-steps, {@link dev.keel.core.lm.search.Baselines} (greedy, best-of-N, beam); and
 * the enumerating tree itself, {@link dev.keel.core.lm.search.CountTree}: exact next-token counts per
 * prefix of a corpus, silent beyond them, with a Witten–Bell back-off defined everywhere.
 *
 * <pre>{@code
 * try (LmStepModel steps = new LmStepModel(model)) {
 *     Evaluator e = Evaluator.rollout(Verifier.exactAnswer("61"), 0);
 *     SearchResult r = Mcts.builder(steps).evaluator(e).decoder(tokenizer::decode)
 *             .stopTokens(Set.of(2L)).tokenBudget(64).simulations(1000).build().search(prompt);
 * }
 * }</pre>
 */
package dev.keel.core.lm.search;
