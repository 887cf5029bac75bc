/**
 * Safety that survives fine-tuning: the eleven {@link dev.keel.safety.PolicyCategory policy
 * categories}, harmfulness judges ({@link dev.keel.safety.RubricJudge} over any chat model,
 * the offline {@link dev.keel.safety.RefusalJudge}), {@link dev.keel.safety.HarmfulnessReport
 * harmfulness reports}, the {@link dev.keel.safety.SafetyMixer safety-data mixer} and the
 * {@link dev.keel.safety.FineTuningSets fine-tuning set builders}, and the fine-tuning
 * {@link dev.keel.safety.SafetyExperiment experiment} with its {@link dev.keel.safety.SafetyTables
 * tables}; {@link dev.keel.safety.Safety} holds the entry points of {@code keel safety}.
 */
package dev.keel.safety;
