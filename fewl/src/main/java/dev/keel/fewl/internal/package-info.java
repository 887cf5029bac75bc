/**
 * Implementation details of the FEWL module (similarity tables, reply parsing). Not API: may change
 * without notice; do not call from outside {@code dev.keel.fewl}.
 */
package dev.keel.fewl.internal;
