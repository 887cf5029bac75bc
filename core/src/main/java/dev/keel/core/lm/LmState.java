package dev.keel.core.lm;

import ai.djl.ndarray.NDManager;

/**
 * What a {@link CausalLm} keeps of the tokens it has already seen, per sequence of a batch, so that
 * generation feeds only the new tokens: the keys and values of a Transformer ({@link KvCache}, growing
 * with the context) or the fixed-size recurrent state of an RWKV model. Made by
 * {@link CausalLm#newState}; holds its arrays in its own manager; {@link #close()} frees them and is
 * idempotent.
 */
public interface LmState extends AutoCloseable {

    /**
     * The number of positions seen so far (including padding the caller fed).
     *
     * @return the length
     */
    long length();

    /**
     * Keeps only some batch rows, and forgets the first {@code dropFront} positions of every row (for
     * batched generation: rows that finished leave the batch, and left padding that every remaining
     * row has is cut). A recurrent state has no positions to cut: it only shortens its length.
     *
     * @param rows      the batch rows to keep, in their new order, each in {@code [0, batch)}
     * @param dropFront how many leading positions to drop, in {@code [0, length)}
     * @throws IllegalArgumentException if {@code rows} is empty or {@code dropFront} is out of range
     * @throws IllegalStateException    if the state is closed
     */
    void retain(long[] rows, long dropFront);

    /**
     * An independent copy of this state (its own arrays in a sub-manager of {@code parent}), so that a
     * prefix's state can be extended along several branches, as tree search does; extending or
     * closing one never changes the other.
     *
     * @param parent the manager that owns the copy's arrays
     * @return the copy, which the caller closes
     * @throws IllegalStateException if this state is closed
     */
    LmState copy(NDManager parent);

    /**
     * The bytes the state's arrays take now (what one more sequence of this length costs).
     *
     * @return the bytes held
     */
    long bytes();

    /** Frees the state's arrays; idempotent. */
    @Override
    void close();
}
