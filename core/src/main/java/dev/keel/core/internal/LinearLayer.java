package dev.keel.core.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import dev.keel.core.lm.lora.LoraLayer;

/**
 * A linear projection {@code y = x W^T} (plus a bias {@code b} where the architecture has one, e.g.
 * Qwen2's q/k/v projections) of the decoder, named by its Hugging Face module
 * path (e.g. {@code model.layers.0.self_attn.q_proj}), optionally with a LoRA update attached.
 */
public final class LinearLayer {

    private final String name;
    private final Parameter weight;
    private final Parameter bias;
    private final int inFeatures;
    private final int outFeatures;
    private LoraLayer lora;

    public LinearLayer(String name, Parameter weight) {
        this(name, weight, null);
    }

    /** A layer with a bias ({@code [out]}), or none when {@code bias} is {@code null}. */
    public LinearLayer(String name, Parameter weight, Parameter bias) {
        this.name = name;
        this.weight = weight;
        this.bias = bias;
        long[] s = weight.getArray().getShape().getShape();
        this.outFeatures = (int) s[0];
        this.inFeatures = (int) s[1];
    }

    /** The module path, e.g. {@code model.layers.0.mlp.down_proj}. */
    public String name() {
        return name;
    }

    /** The weight, shape {@code [out, in]}. */
    public Parameter weight() {
        return weight;
    }

    /** The bias, shape {@code [out]}, or {@code null} for a bias-free layer. */
    public Parameter bias() {
        return bias;
    }

    /** Input features ({@code in}). */
    public int inFeatures() {
        return inFeatures;
    }

    /** Output features ({@code out}). */
    public int outFeatures() {
        return outFeatures;
    }

    /** The attached LoRA update, or {@code null}. */
    public LoraLayer lora() {
        return lora;
    }

    /** Attaches ({@code lora != null}) or detaches ({@code null}) a LoRA update; used by LoRA adapters. */
    public void setLora(LoraLayer lora) {
        if (lora != null) {
            Preconditions.checkState(this.lora == null, name + " already has a LoRA adapter");
            Preconditions.checkArgument(lora.inFeatures() == inFeatures && lora.outFeatures() == outFeatures,
                    "LoRA for " + name + " maps " + lora.inFeatures() + " -> " + lora.outFeatures()
                            + " features, the layer maps " + inFeatures + " -> " + outFeatures);
        }
        this.lora = lora;
    }

    /** Applies the layer to {@code x} ({@code [..., in]}); the result lives in {@code x}'s manager. */
    public NDArray forward(NDArray x, boolean training) {
        NDArray y = bias == null ? Linear.linear(x, weight.getArray()).singletonOrThrow()
                : Linear.linear(x, weight.getArray(), bias.getArray()).singletonOrThrow();
        if (lora != null && !lora.isMerged()) {
            NDArray delta = lora.delta(x, training);
            NDArray sum = y.add(delta);
            y.close();
            delta.close();
            return sum;
        }
        return y;
    }

    @Override
    public String toString() {
        return "LinearLayer[" + name + ", " + inFeatures + " -> " + outFeatures + (bias != null ? ", bias" : "") + (lora != null ? ", " + lora : "") + "]";
    }
}
