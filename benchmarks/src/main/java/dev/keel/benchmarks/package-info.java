/** JMH benchmarks of Keel, each with its peer measured in the same run. */
package dev.keel.benchmarks;
