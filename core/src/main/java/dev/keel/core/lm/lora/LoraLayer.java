package dev.keel.core.lm.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import dev.keel.core.internal.Preconditions;

/**
 * The LoRA update of one linear layer: {@code delta(x) = scaling * B (A dropout(x))}, with
 * {@code A: [r, in]} and {@code B: [out, r]}. Created by {@link LoraAdapter}.
 */
public final class LoraLayer {

    private final String module;
    private final Parameter a;
    private final Parameter b;
    private final float scaling;
    private final float dropout;
    private final NDArray scalingScalar;
    private boolean merged;

    LoraLayer(String module, Parameter a, Parameter b, float scaling, float dropout) {
        this.module = module;
        this.a = a;
        this.b = b;
        this.scaling = scaling;
        this.dropout = dropout;
        // lives with lora_B: autograd keeps the multiplier of the update for the backward pass
        this.scalingScalar = b.getArray().getManager().create(scaling);
        long[] as = a.getArray().getShape().getShape();
        long[] bs = b.getArray().getShape().getShape();
        Preconditions.checkArgument(as.length == 2 && bs.length == 2 && as[0] == bs[1],
                module + ": lora_A " + a.getArray().getShape() + " and lora_B " + b.getArray().getShape()
                        + " must be [r, in] and [out, r]");
    }

    /**
     * The module path of the wrapped layer.
     *
     * @return the module
     */
    public String module() {
        return module;
    }

    /**
     * {@code lora_A}, shape {@code [r, in]}.
     *
     * @return the a
     */
    public Parameter a() {
        return a;
    }

    /**
     * {@code lora_B}, shape {@code [out, r]}.
     *
     * @return the b
     */
    public Parameter b() {
        return b;
    }

    /**
     * The rank {@code r}.
     *
     * @return the rank
     */
    public int rank() {
        return (int) a.getArray().getShape().get(0);
    }

    /**
     * Input features of the wrapped layer.
     *
     * @return the in features
     */
    public int inFeatures() {
        return (int) a.getArray().getShape().get(1);
    }

    /**
     * Output features of the wrapped layer.
     *
     * @return the out features
     */
    public int outFeatures() {
        return (int) b.getArray().getShape().get(0);
    }

    /**
     * The factor applied to {@code B A x}.
     *
     * @return the scaling
     */
    public float scaling() {
        return scaling;
    }

    /**
     * Whether the update is currently folded into the base weight.
     *
     * @return whether the update is folded into the base weights
     */
    public boolean isMerged() {
        return merged;
    }

    void setMerged(boolean merged) {
        this.merged = merged;
    }

    /** {@code scaling * B A}, shape {@code [out, in]}, in {@code B}'s manager. */
    NDArray deltaWeight() {
        NDArray ba = b.getArray().matMul(a.getArray());
        NDArray scaled = ba.mul(scaling);
        ba.close();
        return scaled;
    }

    /**
     * The update for input {@code x} ({@code [..., in]}), in {@code x}'s manager.
     *
     * @param x the input
     * @param training the training settings
     * @return the delta
     */
    public NDArray delta(NDArray x, boolean training) {
        NDArray in = training && dropout > 0 ? Dropout.dropout(x, dropout, true).singletonOrThrow() : x;
        NDArray h = Linear.linear(in, a.getArray()).singletonOrThrow();
        NDArray o = Linear.linear(h, b.getArray()).singletonOrThrow();
        NDArray scaled = o.mul(scalingScalar);
        h.close();
        o.close();
        if (in != x) {
            in.close();
        }
        return scaled;
    }

    @Override
    public String toString() {
        return "LoRA[r=" + rank() + ", scaling=" + scaling + (merged ? ", merged" : "") + "]";
    }
}
