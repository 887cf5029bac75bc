/** The forgetting experiment (Tables of the SAM reproduction) and the entry points of {@code keel sam}. */
package dev.keel.examples.sam;
