package dev.keel.core.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import dev.keel.core.lm.lora.LoraLayer;

/**
 * A linear projection {@code y = x W^T} (plus a bias {@code b} where the architecture has one, e.g.
 * Qwen2's q/k/v projections) of the decoder, named by its Hugging Face module
 * path (e.g. {@code model.layers.0.self_attn.q_proj}), optionally with a LoRA update attached.
 *
 * <p>The weight may be stored in another dtype than the input's (a 16-bit checkpoint kept compact, see
 * {@link CompactWeights}), as {@code weight = array * scale}: the layer then casts the stored array to
 * the input's dtype for the product, {@value #CAST_CHUNK} elements (rows) at a time, so that no copy of
 * the whole weight in the compute dtype is kept, and multiplies the product by the scale.
 */
public final class LinearLayer {

    private final String name;
    private final Parameter weight;
    private final Parameter bias;
    private final int inFeatures;
    private final int outFeatures;
    private final NDArray scale;
    private LoraLayer lora;

    /** Elements of a stored weight cast to the compute dtype at a time. */
    public static final int CAST_CHUNK = 1 << 24;

    public LinearLayer(String name, Parameter weight) {
        this(name, weight, null);
    }

    /** A layer with a bias ({@code [out]}), or none when {@code bias} is {@code null}. */
    public LinearLayer(String name, Parameter weight, Parameter bias) {
        this(name, weight, bias, null);
    }

    /**
     * A layer whose weight is {@code weight * scale} ({@code scale} a scalar array that lives as long as
     * the weight, or {@code null} for 1), with a bias ({@code [out]}, in the compute dtype) or none.
     */
    public LinearLayer(String name, Parameter weight, Parameter bias, NDArray scale) {
        this.name = name;
        this.weight = weight;
        this.bias = bias;
        this.scale = scale;
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

    /** The factor the stored weight array is multiplied by, or {@code null} for 1. */
    public NDArray scale() {
        return scale;
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
        NDArray w = weight.getArray();
        NDArray y;
        if (w.getDataType() == x.getDataType() && scale == null) {
            y = bias == null ? Linear.linear(x, w).singletonOrThrow()
                    : Linear.linear(x, w, bias.getArray()).singletonOrThrow();
        } else {
            y = w.getDataType() == x.getDataType() ? Linear.linear(x, w).singletonOrThrow() : castProduct(x, w);
            if (scale != null) {
                NDArray scaled = y.mul(scale);
                y.close();
                y = scaled;
            }
            if (bias != null) {
                NDArray biased = y.add(bias.getArray());
                y.close();
                y = biased;
            }
        }
        if (lora != null && !lora.isMerged()) {
            NDArray delta = lora.delta(x, training);
            NDArray sum = y.add(delta);
            y.close();
            delta.close();
            return sum;
        }
        return y;
    }

    /** {@code x W^T} with W cast to x's dtype, in row blocks of at most {@link #CAST_CHUNK} elements. */
    private static NDArray castProduct(NDArray x, NDArray w) {
        long rows = w.getShape().get(0);
        long cols = w.getShape().get(1);
        long block = Math.max(1, CAST_CHUNK / cols);
        if (block >= rows) {
            try (NDArray wc = w.toType(x.getDataType(), false)) {
                return Linear.linear(x, wc).singletonOrThrow();
            }
        }
        NDList parts = new NDList();
        try {
            for (long r = 0; r < rows; r += block) {
                long end = Math.min(rows, r + block);
                try (NDArray view = w.get(new NDIndex(r + ":" + end));
                     NDArray wc = view.toType(x.getDataType(), false)) {
                    parts.add(Linear.linear(x, wc).singletonOrThrow());
                }
            }
            return NDArrays.concat(parts, -1);
        } finally {
            parts.close();
        }
    }

    @Override
    public String toString() {
        return "LinearLayer[" + name + ", " + inFeatures + " -> " + outFeatures + (bias != null ? ", bias" : "") + (lora != null ? ", " + lora : "") + "]";
    }
}
