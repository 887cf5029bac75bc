/** The fine-tuning safety experiment with its tables, and the file-to-file entry points of {@code keel safety}. */
package dev.keel.examples.safety;
