/**
 * Implementation details of the safety module (CSV, score parsing, category rules, stratified
 * allocation, charts, provenance files). Not for use outside {@code dev.keel.safety}; may change
 * without notice.
 */
package dev.keel.safety.internal;
