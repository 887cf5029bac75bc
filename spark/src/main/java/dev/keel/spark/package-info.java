/**
 * FEWL scoring ({@link dev.keel.spark.FewlSpark}) and harmfulness judging
 * ({@link dev.keel.spark.JudgeSpark}) as transforms over Apache Spark {@code Dataset}s. Spark is a
 * {@code provided} dependency: the user's cluster brings it.
 */
package dev.keel.spark;
