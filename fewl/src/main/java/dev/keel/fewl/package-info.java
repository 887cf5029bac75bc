/**
 * FEWL: scoring an answer's truthfulness without gold answers, from the answers of reference LLMs.
 *
 * <p>{@link dev.keel.fewl.Fewl#score Fewl.score} is the one-liner; {@link dev.keel.fewl.Fewl#builder()}
 * builds a {@link dev.keel.fewl.FewlScorer} with expertise weights (from intentionally wrong and
 * corrected answers), the laziness penalty over neighbour questions, and ablation switches.
 * {@link dev.keel.fewl.FDivergence} and {@link dev.keel.fewl.VariationalFewl} give the variational
 * f-divergence form; {@link dev.keel.fewl.HallucinationBenchmark} measures how well a score separates
 * truthful from hallucinated answers. The {@code keel fewl} command line and the demo live in
 * {@code keel-examples}.
 */
package dev.keel.fewl;
