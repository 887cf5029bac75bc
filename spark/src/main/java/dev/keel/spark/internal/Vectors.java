package dev.keel.spark.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Float vectors as bytes (little-endian) for a Spark binary column. */
public final class Vectors {

    private Vectors() {
    }

    /**
     * The bytes of {@code v}.
     *
     * @param v the vector
     * @return 4 bytes a value
     */
    public static byte[] toBytes(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return b.array();
    }

    /**
     * The vector in {@code bytes}.
     *
     * @param bytes what {@link #toBytes} wrote
     * @return the vector
     */
    public static float[] fromBytes(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[bytes.length / 4];
        for (int i = 0; i < v.length; i++) {
            v[i] = b.getFloat();
        }
        return v;
    }
}
