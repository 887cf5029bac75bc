/**
 * What the Spark transforms share and users do not call: the per-executor resources (embedders,
 * judges, indexes, rate limiters), row conversion and vector encoding.
 */
package dev.keel.spark.internal;
