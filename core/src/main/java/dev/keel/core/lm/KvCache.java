package dev.keel.core.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.keel.core.internal.Preconditions;

/**
 * The keys and values of tokens already seen, per layer, so that generation feeds only the new
 * token. Holds its arrays in its own manager; {@link #close()} frees them and is idempotent.
 */
public final class KvCache implements AutoCloseable {

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
    public long length() {
        return length;
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

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        manager.close();
    }
}
