/** Device selection: GPU when DJL's PyTorch engine sees one, CPU otherwise, overridable. */
package dev.keel.core.device;
