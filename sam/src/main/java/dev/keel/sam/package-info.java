/**
 * Sharpness-aware LoRA fine-tuning and the measurement of flatness.
 *
 * <ul>
 *   <li>{@link dev.keel.sam.Sam}: SAM, ASAM and LookSAM around a {@link dev.keel.sam.BaseOptimizer}
 *       (SGD or Keel's AdamW), usable alone or as the step strategy of Keel's trainer;</li>
 *   <li>{@link dev.keel.sam.LoraFineTuner}: LoRA fine-tuning with or without SAM, with a metrics history;</li>
 *   <li>{@link dev.keel.sam.LossLandscape}, {@link dev.keel.sam.FlatnessMetrics} and
 *       {@link dev.keel.sam.MaxSharpness}: loss surfaces along filter-normalised directions, their
 *       flatness metrics, PNG plots and CSV grids;</li>
 *   <li>{@link dev.keel.sam.WiseFt} and {@link dev.keel.sam.Rehearsal}: weight interpolation and
 *       replay of old-task data, the two classic companions against forgetting.</li>
 * </ul>
 *
 * <p>The forgetting experiment and the {@code keel sam} command line live in {@code keel-examples}.
 */
package dev.keel.sam;
