package dev.keel.core.lm;

import ai.djl.ndarray.types.DataType;
import dev.keel.core.internal.Preconditions;

/**
 * How {@link LlamaModel#load(java.nio.file.Path, ai.djl.Device, LoadOptions)} keeps the weights and in
 * which dtype the model computes.
 *
 * <ul>
 *   <li>{@link Weights#AS_STORED} (the default): the weight matrices of a 16-bit checkpoint stay 16-bit on
 *       the device, so a 0.6 B-parameter BF16 model takes about 1.2 GB rather than 2.4 GB. F16 tensors stay
 *       F16. DJL 0.36's PyTorch engine has no bfloat16 type, so a BF16 matrix is kept as F16 holding its
 *       values times a power of two (exact: the load checks every element, and a matrix that cannot be
 *       held exactly that way is kept in F32). Norm weights and biases are small and kept in F32; F32 and
 *       F64 checkpoints are F32. A compact model's base weights cannot be trained
 *       ({@link LlamaModel#setBaseTrainable(boolean)} refuses), LoRA adapters can.</li>
 *   <li>{@link Weights#F32}: every weight is expanded to F32 on load (what Keel did before), for full
 *       fine-tuning of a 16-bit checkpoint.</li>
 * </ul>
 *
 * <p>The compute dtype is {@link DataType#FLOAT32} (the default; 16-bit weights are cast block by block as
 * each product runs, never all at once) or {@link DataType#FLOAT16} (activations and products in half
 * precision, norms and softmax in F32; for GPUs: on a CPU without half-precision arithmetic it is much
 * slower than F32). Bfloat16 compute is refused: DJL 0.36 cannot hold a bfloat16 array.
 *
 * <pre>{@code
 * LoadOptions options = LoadOptions.builder().weights(LoadOptions.Weights.AS_STORED)
 *         .computeType(DataType.FLOAT32).build();
 * try (LlamaModel model = LlamaModel.load(dir, Device.cpu(), options)) { ... }
 * }</pre>
 */
public final class LoadOptions {

    /** How the weights are kept on the device. */
    public enum Weights {
        /** 16-bit weight matrices stay 16-bit (BF16 as exactly scaled F16); the rest F32. */
        AS_STORED,
        /** Every weight expanded to F32. */
        F32
    }

    private static final LoadOptions DEFAULTS = builder().build();

    private final Weights weights;
    private final DataType computeType;

    private LoadOptions(Builder b) {
        this.weights = b.weights;
        this.computeType = b.computeType;
    }

    /**
     * The defaults: weights as stored, F32 compute.
     *
     * @return the default options
     */
    public static LoadOptions defaults() {
        return DEFAULTS;
    }

    /**
     * A builder starting from the defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * How the weights are kept.
     *
     * @return the weight storage
     */
    public Weights weights() {
        return weights;
    }

    /**
     * The dtype activations and products are computed in.
     *
     * @return {@link DataType#FLOAT32} or {@link DataType#FLOAT16}
     */
    public DataType computeType() {
        return computeType;
    }

    @Override
    public String toString() {
        return "LoadOptions[weights=" + weights + ", computeType=" + computeType + "]";
    }

    /** Builds {@link LoadOptions}; each value is checked as it is set. */
    public static final class Builder {
        private Weights weights = Weights.AS_STORED;
        private DataType computeType = DataType.FLOAT32;

        private Builder() {
        }

        /**
         * How the weights are kept (default {@link Weights#AS_STORED}).
         *
         * @param weights the weight storage
         * @return this builder
         */
        public Builder weights(Weights weights) {
            this.weights = Preconditions.notNull(weights, "weights");
            return this;
        }

        /**
         * The compute dtype (default {@link DataType#FLOAT32}).
         *
         * @param computeType {@link DataType#FLOAT32} or {@link DataType#FLOAT16}
         * @return this builder
         * @throws IllegalArgumentException for any other type (bfloat16 included: DJL 0.36's PyTorch engine
         *                                  cannot hold a bfloat16 array)
         */
        public Builder computeType(DataType computeType) {
            Preconditions.notNull(computeType, "computeType");
            Preconditions.checkArgument(computeType == DataType.FLOAT32 || computeType == DataType.FLOAT16,
                    "computeType must be float32 or float16, was " + computeType
                            + (computeType == DataType.BFLOAT16 ? " (DJL 0.36's PyTorch engine has no bfloat16)" : ""));
            this.computeType = computeType;
            return this;
        }

        /**
         * The options.
         *
         * @return the options
         */
        public LoadOptions build() {
            return new LoadOptions(this);
        }
    }
}
