package dev.keel.core.lm.rwkv;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.lm.LmState;

/**
 * The recurrent state of an {@link RwkvModel} for a batch of sequences: per block, the last
 * token-shift inputs of time mixing and channel mixing ({@code [B, 1, hidden]}) and the wkv numerator,
 * denominator and running maximum in log space ({@code [B, 1, attention_hidden]}). Its size does not
 * grow with the context. Made by {@link RwkvModel#newState}; empty until the first forward; holds its
 * arrays in its own manager, freed by the idempotent {@link #close()}.
 */
public final class RwkvState implements LmState {

    /** The slots of a block's state. */
    static final int ATT_SHIFT = 0;
    static final int NUM = 1;
    static final int DEN = 2;
    static final int MAX = 3;
    static final int FFN_SHIFT = 4;
    static final int SLOTS = 5;

    private final NDManager manager;
    private final NDArray[][] arrays;
    private long length;
    private long batch = -1;
    private boolean closed;

    RwkvState(NDManager parent, int layers) {
        Preconditions.notNull(parent, "parent");
        Preconditions.checkPositive(layers, "layers");
        this.manager = parent.newSubManager();
        this.arrays = new NDArray[layers][SLOTS];
    }

    /**
     * The number of positions fed so far.
     *
     * @return the length
     */
    @Override
    public long length() {
        return length;
    }

    /**
     * The batch size the state holds, or -1 while it is empty.
     *
     * @return the batch size or -1
     */
    public long batchSize() {
        return batch;
    }

    /**
     * The bytes the state's arrays take now (0 while empty); the same at any length.
     *
     * @return the bytes held
     */
    @Override
    public long bytes() {
        long n = 0;
        for (NDArray[] layer : arrays) {
            for (NDArray a : layer) {
                if (a != null) {
                    n += a.size() * a.getDataType().getNumOfBytes();
                }
            }
        }
        return n;
    }

    boolean isEmpty() {
        return batch < 0;
    }

    /** A copy of a slot in {@code scope} (so that what is computed from it is not charged to the state). */
    NDArray read(int layer, int slot, NDManager scope) {
        checkOpen();
        NDArray copy = arrays[layer][slot].duplicate();
        copy.attach(scope);
        return copy;
    }

    /** Replaces a slot; the state takes ownership of {@code value}. */
    void write(int layer, int slot, NDArray value) {
        checkOpen();
        NDArray old = arrays[layer][slot];
        value.attach(manager);
        arrays[layer][slot] = value;
        if (old != null && old != value) {
            old.close();
        }
    }

    /** Called once every block has written its state for {@code tokens} new positions of {@code rows} rows. */
    void advance(long rows, long tokens) {
        batch = rows;
        length += tokens;
    }

    /**
     * Keeps only some batch rows; a recurrent state has no positions to cut, so {@code dropFront} only
     * shortens {@link #length()}.
     *
     * @param rows      the batch rows to keep, in their new order, each in {@code [0, batch)}
     * @param dropFront how many leading positions to forget, in {@code [0, length)}
     * @throws IllegalArgumentException if {@code rows} is empty, a row is out of range or {@code dropFront} is
     * @throws IllegalStateException    if the state is closed
     */
    @Override
    public void retain(long[] rows, long dropFront) {
        checkOpen();
        Preconditions.notNull(rows, "rows");
        Preconditions.checkArgument(rows.length > 0, "rows must not be empty");
        Preconditions.checkArgument(dropFront >= 0 && (dropFront < length || length == 0 && dropFront == 0),
                "dropFront must be in [0, " + length + "), was " + dropFront);
        for (long r : rows) {
            Preconditions.checkArgument(r >= 0 && (batch < 0 || r < batch),
                    "row " + r + " is outside the batch [0, " + batch + ")");
        }
        if (batch >= 0) {
            for (NDArray[] layer : arrays) {
                for (int s = 0; s < SLOTS; s++) {
                    NDArray kept;
                    try (NDManager scope = manager.newSubManager()) {
                        NDArray picked = layer[s].get(new NDIndex("{}", scope.create(rows)));
                        picked.attach(scope);
                        kept = picked.duplicate();
                        kept.attach(manager);
                    }
                    layer[s].close();
                    layer[s] = kept;
                }
            }
            batch = rows.length;
        }
        length -= dropFront;
    }

    /**
     * An independent copy of this state (same batch and length, its own arrays in a sub-manager of
     * {@code parent}); extending or closing one never changes the other.
     *
     * @param parent the manager that owns the copy's arrays
     * @return the copy, which the caller closes
     * @throws IllegalStateException if this state is closed
     */
    @Override
    public RwkvState copy(NDManager parent) {
        checkOpen();
        RwkvState c = new RwkvState(parent, arrays.length);
        for (int layer = 0; layer < arrays.length; layer++) {
            for (int slot = 0; slot < SLOTS; slot++) {
                if (arrays[layer][slot] != null) {
                    NDArray a = arrays[layer][slot].duplicate();
                    a.attach(c.manager);
                    c.arrays[layer][slot] = a;
                }
            }
        }
        c.batch = batch;
        c.length = length;
        return c;
    }

    private void checkOpen() {
        Preconditions.checkState(!closed, "RwkvState is closed");
    }

    /** Frees the state's arrays; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        manager.close();
    }

    @Override
    public String toString() {
        return "RwkvState[batch " + batch + ", length " + length + ", " + bytes() + " bytes]";
    }
}
