/**
 * A {@code spark-submit}-ready driver for keel-spark: FEWL scores and harmfulness verdicts for
 * JSON Lines files on a cluster ({@link dev.keel.examples.spark.SparkJob}).
 */
package dev.keel.examples.spark;
