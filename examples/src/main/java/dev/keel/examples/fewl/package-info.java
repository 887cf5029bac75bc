/** The FEWL demo and the file-to-file entry points of {@code keel fewl}. */
package dev.keel.examples.fewl;
