/** The {@code keel} command line (picocli). */
package dev.keel.examples.cli;
