/**
 * Safety that survives fine-tuning: the eleven {@link dev.keel.safety.PolicyCategory policy
 * categories}, harmfulness judges ({@link dev.keel.safety.RubricJudge} over any chat model,
 * the offline {@link dev.keel.safety.RefusalJudge}), {@link dev.keel.safety.HarmfulnessReport
 * harmfulness reports}, the {@link dev.keel.safety.SafetyMixer safety-data mixer} and the
 * {@link dev.keel.safety.FineTuningSets fine-tuning set builders}. The fine-tuning experiment, its
 * tables and the {@code keel safety} command line live in {@code keel-examples}.
 */
package dev.keel.safety;
