/**
 * Training language models: {@link dev.keel.core.lm.train.LmTrainer} (AdamW, warm-up + cosine/linear
 * schedules, gradient clipping and accumulation, padded batches with response-only loss, atomic
 * checkpoints and resume, NaN/Inf stop), its {@link dev.keel.core.lm.train.TrainingConfig}, progress
 * reporting ({@link dev.keel.core.lm.train.TrainingListener}), the
 * {@link dev.keel.core.lm.train.StepStrategy} hook through which an optimizer wrapper such as SAM takes
 * several gradient passes per step, and {@link dev.keel.core.internal.Gradients} helpers.
 */
package dev.keel.core.lm.train;
