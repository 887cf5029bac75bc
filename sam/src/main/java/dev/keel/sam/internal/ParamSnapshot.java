package dev.keel.sam.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Copies of parameter values in a manager of their own, to put back bit for bit; {@link #close()} frees them. */
public final class ParamSnapshot implements AutoCloseable {

    private final Map<String, Parameter> params;
    private final Map<String, NDArray> values = new LinkedHashMap<>();
    private final NDManager manager;

    private ParamSnapshot(Map<String, Parameter> params, NDManager manager) {
        this.params = new LinkedHashMap<>(params);
        this.manager = manager;
        for (Map.Entry<String, Parameter> e : this.params.entrySet()) {
            NDArray copy = e.getValue().getArray().duplicate();
            copy.attach(manager);
            values.put(e.getKey(), copy);
        }
    }

    /** Copies the current values of {@code params} (non-empty) into a sub-manager of the first one's manager. */
    public static ParamSnapshot of(Map<String, Parameter> params) {
        if (params.isEmpty()) {
            throw new IllegalArgumentException("no parameters to snapshot");
        }
        NDManager m = params.values().iterator().next().getArray().getManager().newSubManager();
        return new ParamSnapshot(params, m);
    }

    /** The copied values by name. */
    public Map<String, NDArray> values() {
        return Collections.unmodifiableMap(values);
    }

    public NDManager manager() {
        return manager;
    }

    /** Writes the copied values back into the parameters. */
    public void restore() {
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            e.getValue().getArray().set(new NDIndex("..."), values.get(e.getKey()));
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
