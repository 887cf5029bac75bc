package dev.keel.core.lm.safetensors;

import ai.djl.ndarray.types.Shape;

import java.util.Arrays;

/**
 * One tensor's entry in a safetensors header.
 *
 * @param name  the tensor's name
 * @param dtype its element type
 * @param shape its dimensions (empty for a scalar)
 * @param begin first byte, relative to the start of the data section
 * @param end   one past the last byte, relative to the start of the data section
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {

    /**
     * Keeps a copy of {@code shape}, so that the entry cannot change afterwards.
     *
     * @param name  the tensor's name
     * @param dtype its element type
     * @param shape its dimensions (empty for a scalar)
     * @param begin first byte, relative to the start of the data section
     * @param end   one past the last byte, relative to the start of the data section
     */
    public TensorInfo {
        shape = shape.clone();
    }

    /**
     * The tensor's dimensions.
     *
     * @return a copy of the dimensions (empty for a scalar)
     */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /**
     * The number of elements (1 for a scalar).
     *
     * @return the number of elements (1 for a scalar)
     */
    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /**
     * The number of bytes of data.
     *
     * @return the number of bytes of data
     */
    public long byteLength() {
        return end - begin;
    }

    /**
     * The shape as a DJL {@link Shape}.
     *
     * @return the shape as a DJL {@link Shape}
     */
    public Shape djlShape() {
        return new Shape(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && t.name.equals(name) && t.dtype == dtype && Arrays.equals(t.shape, shape)
                && t.begin == begin && t.end == end;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + "[" + dtype + " " + Arrays.toString(shape) + " @" + begin + ".." + end + "]";
    }
}
