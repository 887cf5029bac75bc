/** Runnable examples; each {@code main} calls a public static method that a test also calls. */
package dev.keel.examples;
