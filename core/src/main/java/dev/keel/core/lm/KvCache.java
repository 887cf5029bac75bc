package dev.keel.core.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.keel.core.internal.Preconditions;

/**
 * The keys and values of tokens already seen, per layer, so that generation feeds only the new
 * token. Holds its arrays in its own manager; {@link #close()} frees them and is idempotent.
 */
public final class KvCache implements LmState {

    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private long length;
    private boolean closed;

    /**
     * A cache for a model with {@code layers} layers, its arrays in a sub-manager of {@code parent}.
     *
     * @param parent the manager that owns the new arrays
     * @param layers the number of decoder layers
     */
    public KvCache(NDManager parent, int layers) {
        Preconditions.notNull(parent, "parent");
        Preconditions.checkPositive(layers, "layers");
        this.manager = parent.newSubManager();
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
    }

    /**
     * The number of cached positions.
     *
     * @return the length
     */
    @Override
    public long length() {
        return length;
    }

    /**
     * An independent copy of this cache (same length, its own arrays in a sub-manager of
     * {@code parent}), so that a prefix's cache can be extended along several branches, as tree
     * search does; extending or closing one never changes the other.
     *
     * @param parent the manager that owns the copy's arrays
     * @return the copy, which the caller closes
     * @throws IllegalStateException if this cache is closed
     */
    @Override
    public KvCache copy(NDManager parent) {
        Preconditions.checkState(!closed, "KvCache is closed");
        Preconditions.notNull(parent, "parent");
        KvCache c = new KvCache(parent, keys.length);
        for (int layer = 0; layer < keys.length; layer++) {
            if (keys[layer] != null) {
                c.keys[layer] = keys[layer].duplicate();
                c.values[layer] = values[layer].duplicate();
                c.keys[layer].attach(c.manager);
                c.values[layer].attach(c.manager);
            }
        }
        c.length = length;
        return c;
    }

    /**
     * The bytes the cached keys and values hold (0 once closed).
     *
     * @return the size of every cached array, in bytes
     */
    @Override
    public long bytes() {
        if (closed) {
            return 0;
        }
        long total = 0;
        for (int layer = 0; layer < keys.length; layer++) {
            if (keys[layer] != null) {
                total += keys[layer].size() * keys[layer].getDataType().getNumOfBytes();
                total += values[layer].size() * values[layer].getDataType().getNumOfBytes();
            }
        }
        return total;
    }

    /** Appends this layer's new keys/values ({@code [B, kvHeads, T, headDim]}) and returns the whole. */
    NDArray[] append(int layer, NDArray k, NDArray v) {
        Preconditions.checkState(!closed, "KvCache is closed");
        NDArray nk = keys[layer] == null ? k.duplicate() : keys[layer].concat(k, 2);
        NDArray nv = values[layer] == null ? v.duplicate() : values[layer].concat(v, 2);
        nk.attach(manager);
        nv.attach(manager);
        if (keys[layer] != null) {
            keys[layer].close();
            values[layer].close();
        }
        keys[layer] = nk;
        values[layer] = nv;
        return new NDArray[] {nk, nv};
    }

    /** Called once all layers have appended {@code tokens} positions. */
    void advance(long tokens) {
        length += tokens;
    }

    /**
     * Keeps only some batch rows, and drops the first {@code dropFront} positions of every row (for
     * batched generation: rows that finished leave the batch, and left padding that every remaining
     * row has is cut). The caller keeps its attention mask in step.
     *
     * @param rows      the batch rows to keep, in their new order, each in {@code [0, batch)}
     * @param dropFront how many leading positions to drop, in {@code [0, length)}
     * @throws IllegalArgumentException if {@code rows} is empty or {@code dropFront} is out of range
     * @throws IllegalStateException    if the cache is closed
     */
    @Override
    public void retain(long[] rows, long dropFront) {
        Preconditions.checkState(!closed, "KvCache is closed");
        Preconditions.notNull(rows, "rows");
        Preconditions.checkArgument(rows.length > 0, "rows must not be empty");
        Preconditions.checkArgument(dropFront >= 0 && (dropFront < length || length == 0 && dropFront == 0),
                "dropFront must be in [0, " + length + "), was " + dropFront);
        for (int layer = 0; layer < keys.length; layer++) {
            if (keys[layer] == null) {
                continue;
            }
            keys[layer] = select(keys[layer], rows, dropFront);
            values[layer] = select(values[layer], rows, dropFront);
        }
        length -= dropFront;
    }

    private NDArray select(NDArray a, long[] rows, long dropFront) {
        NDArray kept;
        try (NDManager scope = manager.newSubManager()) {
            NDArray index = scope.create(rows);
            NDArray picked = a.get(new ai.djl.ndarray.index.NDIndex("{}", index));
            picked.attach(scope);
            NDArray cut = dropFront == 0 ? picked
                    : picked.get(new ai.djl.ndarray.index.NDIndex(":, :, " + dropFront + ":, :"));
            kept = cut.duplicate();
            kept.attach(manager);
        }
        a.close();
        return kept;
    }

    /** Frees the cached arrays; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        manager.close();
    }
}
