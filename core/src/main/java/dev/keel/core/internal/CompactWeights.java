package dev.keel.core.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.keel.core.lm.safetensors.DType;
import dev.keel.core.lm.safetensors.TensorInfo;
import dev.keel.core.lm.safetensors.TensorSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Loads a 16-bit (F16 or BF16) weight matrix into a 16-bit array on the device without an F32 copy of
 * the whole. DJL 0.36's PyTorch engine has no bfloat16 (creating or casting to one aborts the JVM), so
 * a BF16 tensor is kept as F16 holding {@code w * 2^k}, with {@code k} the largest power of two that
 * keeps the largest magnitude within F16's range: every BF16 value with magnitude at least
 * {@code 2^-(24 + k - 7)} is then exact, and the load checks that every element is
 * (the tensor is refused as compact, and the caller keeps it in F32, when one is not). F16 tensors are
 * scaled the same way (k = 0 when their values already use the range). The weight is
 * {@code array * scale} with {@code scale = 2^-k}.
 *
 * <p>For half-precision compute the matrix is instead rounded to F16 as it is ({@code exact = false},
 * scale 1, any floating-point source dtype), and a value beyond F16's range is refused.
 */
public final class CompactWeights {

    /** Elements converted at a time (host buffers of this many floats and halves). */
    private static final int CHUNK = 1 << 22;

    /** The largest finite F16 value. */
    private static final float HALF_MAX = 65504f;

    /** A stored array and the factor that turns its values into the weight. */
    public record Stored(NDArray array, float scale) {
    }

    private CompactWeights() {
    }

    /**
     * Loads {@code name} as an F16 array in {@code manager}: exactly, scaled by a power of two, or
     * {@code null} (nothing left allocated) when some element is not exactly representable that way; or,
     * when not {@code exact}, rounded to F16 with scale 1.
     *
     * @param source the checkpoint
     * @param name the tensor, at least 2-D (F16 or BF16 when {@code exact})
     * @param manager the manager that owns the array
     * @param exact whether every element must be kept exactly (scaled), else rounded
     * @return the array and its scale, or {@code null}
     * @throws IOException if the file cannot be read, or a value is beyond F16's range when not {@code exact}
     */
    public static Stored load(TensorSource source, String name, NDManager manager, boolean exact) throws IOException {
        TensorInfo info = source.info(name);
        Preconditions.checkArgument(!exact || info.dtype() == DType.F16 || info.dtype() == DType.BF16,
                "tensor \"" + name + "\" must be F16 or BF16 to be kept compact, was " + info.dtype());
        long[] shape = info.shape();
        Preconditions.checkArgument(shape.length >= 2 && shape[0] > 0, "tensor \"" + name
                + "\" must be a non-empty matrix to be kept compact, shape " + java.util.Arrays.toString(shape));
        long n = info.elementCount();
        long rows = shape[0];
        long cols = n / rows;
        int chunkRows = (int) Math.max(1, Math.min(rows, CHUNK / Math.max(1, cols)));
        float[] buf = new float[Math.toIntExact(chunkRows * cols)];
        // pass 1: the largest finite magnitude fixes the power of two
        float max = 0f;
        for (long r = 0; r < rows; r += chunkRows) {
            int count = (int) (Math.min(chunkRows, rows - r) * cols);
            source.readFloats(name, r * cols, buf, count);
            for (int i = 0; i < count; i++) {
                float a = Math.abs(buf[i]);
                if (a > max && a != Float.POSITIVE_INFINITY) {
                    max = a;
                }
            }
        }
        int k = max == 0f ? 0 : 15 - Math.getExponent(max);
        while (k > -126 && Math.scalb(max, k) > HALF_MAX) {
            k--;
        }
        if (!exact) {
            if (max > HALF_MAX) {
                throw new IOException("tensor \"" + name + "\" holds a value of magnitude " + max
                        + ", beyond float16's range (65504); use float32 compute");
            }
            k = 0;
        }
        // pass 2: convert, checking each element comes back exactly
        ByteBuffer halves = ByteBuffer.allocateDirect(buf.length * 2).order(ByteOrder.nativeOrder());
        NDArray out = manager.zeros(new Shape(shape), DataType.FLOAT16);
        boolean ok = false;
        try {
            for (long r = 0; r < rows; r += chunkRows) {
                int rowCount = (int) Math.min(chunkRows, rows - r);
                int count = (int) (rowCount * cols);
                source.readFloats(name, r * cols, buf, count);
                halves.clear();
                for (int i = 0; i < count; i++) {
                    float v = Math.scalb(buf[i], k);
                    short h = DType.floatToHalf(v);
                    float back = DType.halfToFloat(h);
                    if (exact && back != v && !(Float.isNaN(v) && Float.isNaN(back))) {
                        return null;
                    }
                    halves.putShort(h);
                }
                halves.flip();
                long[] chunkShape = shape.clone();
                chunkShape[0] = rowCount;
                try (NDArray chunk = manager.create(halves, new Shape(chunkShape), DataType.FLOAT16)) {
                    out.set(new NDIndex(r + ":" + (r + rowCount)), chunk);
                }
            }
            ok = true;
            return new Stored(out, Math.scalb(1f, -k));
        } finally {
            if (!ok) {
                out.close();
            }
        }
    }
}
