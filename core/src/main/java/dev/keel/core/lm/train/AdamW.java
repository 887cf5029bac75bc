package dev.keel.core.lm.train;

import dev.keel.core.internal.Gradients;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.keel.core.internal.Preconditions;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter), as PyTorch's {@code AdamW}: for step
 * {@code t}, {@code w *= 1 - lr * wd}, then {@code w -= lr * m_hat / (sqrt(v_hat) + eps)}. Its moment
 * estimates live in their own manager; {@link #close()} frees them and is idempotent.
 */
public final class AdamW implements AutoCloseable {

    private final Map<String, Parameter> params;
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final double weightDecay;
    private final NDManager manager;
    private final Map<String, NDArray> m = new LinkedHashMap<>();
    private final Map<String, NDArray> v = new LinkedHashMap<>();
    private int steps;
    private boolean closed;

    /**
     * AdamW over {@code params}, with zeroed moments in a sub-manager of {@code parent}.
     *
     * @param params      the parameters it updates, by name
     * @param beta1       the decay of the first moment
     * @param beta2       the decay of the second moment
     * @param epsilon     the denominator guard
     * @param weightDecay the decoupled weight decay, 0 for none
     * @param parent      the manager whose sub-manager holds the moments
     */
    public AdamW(Map<String, Parameter> params, double beta1, double beta2, double epsilon, double weightDecay,
                 NDManager parent) {
        this.params = new LinkedHashMap<>(Preconditions.notNull(params, "params"));
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.weightDecay = weightDecay;
        this.manager = Preconditions.notNull(parent, "parent").newSubManager();
        for (Map.Entry<String, Parameter> e : this.params.entrySet()) {
            m.put(e.getKey(), manager.zeros(e.getValue().getArray().getShape()));
            v.put(e.getKey(), manager.zeros(e.getValue().getArray().getShape()));
        }
    }

    /**
     * Steps taken so far.
     *
     * @return the steps
     */
    public int steps() {
        return steps;
    }

    /**
     * Applies one update with the gradients now in the parameters.
     *
     * @param learningRate the learning rate, > 0
     */
    public void step(double learningRate) {
        Preconditions.checkState(!closed, "AdamW is closed");
        steps++;
        double bc1 = 1 - Math.pow(beta1, steps);
        double bc2 = 1 - Math.pow(beta2, steps);
        try (NDManager tmp = manager.newSubManager()) {
            for (Map.Entry<String, Parameter> e : params.entrySet()) {
                NDArray w = e.getValue().getArray();
                NDArray g = Gradients.copyOf(e.getValue());
                g.attach(tmp);
                NDArray mi = m.get(e.getKey());
                NDArray vi = v.get(e.getKey());
                NDArray gm = g.mul((float) (1 - beta1));
                mi.muli((float) beta1).addi(gm);
                NDArray gv = g.square().mul((float) (1 - beta2));
                vi.muli((float) beta2).addi(gv);
                if (weightDecay > 0) {
                    w.muli((float) (1 - learningRate * weightDecay));
                }
                // temporaries derived from the state arrays are moved into the step's manager
                NDArray vHat = vi.div((float) bc2);
                vHat.attach(tmp);
                NDArray denom = vHat.sqrt().add((float) epsilon);
                NDArray mHat = mi.mul((float) (learningRate / bc1));
                mHat.attach(tmp);
                NDArray update = mHat.div(denom);
                w.subi(update);
            }
        }
    }

    /**
     * The first and second moments by parameter name, for checkpoints.
     *
     * @return the first moments
     */
    public Map<String, NDArray> firstMoments() {
        return m;
    }

    /**
     * The second moments.
     *
     * @return the second moments
     */
    public Map<String, NDArray> secondMoments() {
        return v;
    }

    /** Restores the moments and the step count from a checkpoint. */
    void restore(int steps, Map<String, float[]> first, Map<String, float[]> second) {
        for (String name : params.keySet()) {
            Preconditions.checkArgument(first.containsKey(name) && second.containsKey(name),
                    "checkpoint has no optimizer state for " + name);
            m.get(name).set(java.nio.FloatBuffer.wrap(first.get(name)));
            v.get(name).set(java.nio.FloatBuffer.wrap(second.get(name)));
        }
        this.steps = steps;
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
