/**
 * The bundled AdvBench harmful behaviours (MIT licence), each with a policy category and a fixed
 * train / held-out evaluation split.
 */
package dev.keel.safety.data;
