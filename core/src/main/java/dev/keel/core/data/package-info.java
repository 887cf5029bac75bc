/**
 * Datasets: the bundled public data ({@link dev.keel.core.data.TruthfulQa}), RFC 4180 CSV, and the
 * {@link dev.keel.core.data.DatasetException} that names the file and line of a bad record.
 */
package dev.keel.core.data;
