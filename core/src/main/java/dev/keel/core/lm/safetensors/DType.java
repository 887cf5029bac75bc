package dev.keel.core.lm.safetensors;

import ai.djl.ndarray.types.DataType;

import java.util.Locale;

/** The element types of the safetensors format that Keel reads and writes. */
public enum DType {
    /** 64-bit IEEE 754 float. */
    F64(8, true),
    /** 32-bit IEEE 754 float. */
    F32(4, true),
    /** 16-bit IEEE 754 half-precision float. */
    F16(2, true),
    /** bfloat16: the upper 16 bits of a float32. */
    BF16(2, true),
    /** 64-bit signed integer. */
    I64(8, false),
    /** 32-bit signed integer. */
    I32(4, false),
    /** 16-bit signed integer. */
    I16(2, false),
    /** 8-bit signed integer. */
    I8(1, false),
    /** 8-bit unsigned integer. */
    U8(1, false),
    /** Boolean, one byte each (0 or 1). */
    BOOL(1, false);

    private final int byteSize;
    private final boolean floating;

    DType(int byteSize, boolean floating) {
        this.byteSize = byteSize;
        this.floating = floating;
    }

    /**
     * Bytes per element.
     *
     * @return the size of one element in bytes
     */
    public int byteSize() {
        return byteSize;
    }

    /**
     * Whether this is a floating-point type.
     *
     * @return whether this is a floating-point type
     */
    public boolean isFloating() {
        return floating;
    }

    /** Parses a header name such as {@code "F32"}; throws a {@link SafeTensorsException} for unknown ones. */
    static DType parse(String name, String tensor) throws SafeTensorsException {
        if (name != null) {
            for (DType d : values()) {
                if (d.name().equals(name)) {
                    return d;
                }
            }
        }
        throw new SafeTensorsException("tensor \"" + tensor + "\": unknown dtype \"" + name
                + "\", expected one of F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL");
    }

    /**
     * The matching DJL data type.
     *
     * @return the matching DJL data type
     */
    public DataType toDataType() {
        switch (this) {
            case F64: return DataType.FLOAT64;
            case F32: return DataType.FLOAT32;
            case F16: return DataType.FLOAT16;
            case BF16: return DataType.BFLOAT16;
            case I64: return DataType.INT64;
            case I32: return DataType.INT32;
            case I16: return DataType.INT16;
            case I8: return DataType.INT8;
            case U8: return DataType.UINT8;
            default: return DataType.BOOLEAN;
        }
    }

    /**
     * The safetensors type of a DJL data type.
     *
     * @param type the DJL data type
     * @return the safetensors type of a DJL data type
     */
    public static DType of(DataType type) {
        switch (type) {
            case FLOAT64: return F64;
            case FLOAT32: return F32;
            case FLOAT16: return F16;
            case BFLOAT16: return BF16;
            case INT64: return I64;
            case INT32: return I32;
            case INT16: return I16;
            case INT8: return I8;
            case UINT8: return U8;
            case BOOLEAN: return BOOL;
            default:
                throw new IllegalArgumentException("data type " + type.toString().toLowerCase(Locale.ROOT)
                        + " has no safetensors dtype");
        }
    }

    /**
     * Converts IEEE 754 half precision bits to a float.
     *
     * @param bits the 16 bits of a half-precision number
     * @return the same value as a float (infinities and NaN kept)
     */
    public static float halfToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            if (mant == 0) {
                return Float.intBitsToFloat(sign);
            }
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /**
     * Converts a float to IEEE 754 half precision bits, rounding to nearest even.
     *
     * @param value the value to convert
     * @return the 16 bits of the nearest half-precision number
     */
    public static short floatToHalf(float value) {
        int f = Float.floatToRawIntBits(value);
        int sign = (f >>> 16) & 0x8000;
        int exp = (f >>> 23) & 0xff;
        int mant = f & 0x7fffff;
        if (exp == 0xff) {
            return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 | (mant >>> 13) : 0));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        if (e <= 0) {
            if (e < -10) {
                return (short) sign;
            }
            int m = mant | 0x800000;
            int shift = 14 - e;
            int half = m >>> shift;
            int rem = m & ((1 << shift) - 1);
            int mid = 1 << (shift - 1);
            if (rem > mid || (rem == mid && (half & 1) != 0)) {
                half++;
            }
            return (short) (sign | half);
        }
        int half = (e << 10) | (mant >>> 13);
        int rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (half & 1) != 0)) {
            half++;
        }
        return (short) (sign | half);
    }

    /**
     * Converts bfloat16 bits to a float.
     *
     * @param bits the 16 bits of a bfloat16 number
     * @return the same value as a float
     */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /**
     * Converts a float to bfloat16 bits, rounding to nearest even (NaN stays NaN).
     *
     * @param value the value to convert
     * @return the 16 bits of the nearest bfloat16 number
     */
    public static short floatToBf16(float value) {
        int f = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((f >>> 16) | 0x40);
        }
        int rounding = 0x7fff + ((f >>> 16) & 1);
        return (short) ((f + rounding) >>> 16);
    }
}
