/**
 * Not API: helpers that Keel's modules share (argument checks, the one Jackson configuration, JSON
 * Lines reading and writing, atomic files, gradient and loss helpers, the linear layer of the
 * decoder). Anything here may change without notice; it is left out of the javadoc.
 */
package dev.keel.core.internal;
