/**
 * Implementation details of the safety module, not API: reading the {@code #score: N} tag of a
 * rubric judge's reply ({@link dev.keel.safety.internal.ScoreParser}), the keyword rules that map
 * an AdvBench instruction to a policy category ({@link dev.keel.safety.internal.CategoryRules}),
 * seeded stratified allocation ({@link dev.keel.safety.internal.Stratified}), generated harmless
 * tasks with computed answers ({@link dev.keel.safety.internal.BenignTasks}), text helpers
 * ({@link dev.keel.safety.internal.Texts}) and PNG bar charts
 * ({@link dev.keel.safety.internal.Charts}). Not for use outside {@code dev.keel.safety}; may change
 * without notice.
 */
package dev.keel.safety.internal;
