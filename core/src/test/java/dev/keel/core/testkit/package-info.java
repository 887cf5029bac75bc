/**
 * The test kit Keel's modules share through {@code keel-core}'s test jar: a loopback
 * OpenAI-compatible server, the tiny model fixtures and test embedders.
 */
package dev.keel.core.testkit;
