package dev.keel.core.embed;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The few pieces of the protocol-buffer wire format that {@link BertFusion} needs to read an ONNX
 * model and write a new one: fields of a message as (number, wire type, value or byte range), and a
 * writer for varints, length-delimited fields and nested messages. Not a general protobuf library:
 * groups (wire types 3 and 4) are rejected.
 */
final class Protobuf {

    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LEN = 2;
    static final int FIXED32 = 5;

    private Protobuf() {
    }

    /** One field of a message: for {@link #LEN} fields the bytes {@code [offset, offset + length)} of the buffer. */
    record Field(int number, int wireType, long value, byte[] buf, int offset, int length) {

        byte[] bytes() {
            byte[] out = new byte[length];
            System.arraycopy(buf, offset, out, 0, length);
            return out;
        }

        String string() {
            return new String(buf, offset, length, StandardCharsets.UTF_8);
        }

        List<Field> message() {
            return fields(buf, offset, length);
        }

        /** A packed repeated varint field (or a single unpacked value). */
        List<Long> varints() {
            List<Long> out = new ArrayList<>();
            if (wireType == VARINT) {
                out.add(value);
                return out;
            }
            int[] pos = {offset};
            int end = offset + length;
            while (pos[0] < end) {
                out.add(readVarint(buf, pos, end));
            }
            return out;
        }

        float fixed32AsFloat() {
            return Float.intBitsToFloat((int) value);
        }
    }

    /** The largest field number protobuf allows (2^29 - 1). */
    static final long MAX_FIELD_NUMBER = (1L << 29) - 1;

    static List<Field> fields(byte[] buf) {
        return fields(buf, 0, buf.length);
    }

    static List<Field> fields(byte[] buf, int offset, int length) {
        List<Field> out = new ArrayList<>();
        int end = offset + length;
        int[] pos = {offset};
        while (pos[0] < end) {
            int at = pos[0];
            long key = readVarint(buf, pos, end);
            if (key >>> 3 > MAX_FIELD_NUMBER || key >>> 3 == 0) {
                throw new IllegalArgumentException("protobuf field number " + Long.toUnsignedString(key >>> 3) + " at byte " + at
                        + " is outside 1.." + MAX_FIELD_NUMBER);
            }
            int number = (int) (key >>> 3);
            int wire = (int) (key & 7);
            switch (wire) {
                case VARINT -> out.add(new Field(number, wire, readVarint(buf, pos, end), buf, 0, 0));
                case FIXED64 -> {
                    need(pos[0], 8, end);
                    long v = 0;
                    for (int i = 7; i >= 0; i--) {
                        v = (v << 8) | (buf[pos[0] + i] & 0xFFL);
                    }
                    pos[0] += 8;
                    out.add(new Field(number, wire, v, buf, 0, 0));
                }
                case FIXED32 -> {
                    need(pos[0], 4, end);
                    long v = (buf[pos[0]] & 0xFFL) | (buf[pos[0] + 1] & 0xFFL) << 8
                            | (buf[pos[0] + 2] & 0xFFL) << 16 | (buf[pos[0] + 3] & 0xFFL) << 24;
                    pos[0] += 4;
                    out.add(new Field(number, wire, v, buf, 0, 0));
                }
                case LEN -> {
                    long len = readVarint(buf, pos, end);
                    if (len < 0 || len > end - pos[0]) {
                        throw new IllegalArgumentException("protobuf field " + number + " of length " + len
                                + " runs past the end of its message at byte " + pos[0]);
                    }
                    out.add(new Field(number, wire, 0, buf, pos[0], (int) len));
                    pos[0] += (int) len;
                }
                default -> throw new IllegalArgumentException("unsupported protobuf wire type " + wire
                        + " for field " + number + " at byte " + pos[0]);
            }
        }
        return out;
    }

    private static void need(int pos, int n, int end) {
        if (end - pos < n) {
            throw new IllegalArgumentException("protobuf message ends inside a fixed-size field at byte " + pos);
        }
    }

    static long readVarint(byte[] buf, int[] pos, int end) {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos[0] >= end) {
                throw new IllegalArgumentException("protobuf message ends inside a varint at byte " + pos[0]);
            }
            byte b = buf[pos[0]++];
            result |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return result;
            }
        }
        throw new IllegalArgumentException("protobuf varint longer than 10 bytes at byte " + pos[0]);
    }

    /** Writes one message; nested messages are written into their own {@code Writer} and added as bytes. */
    static final class Writer {
        private final ByteArrayOutputStream out;

        Writer() {
            this(256);
        }

        Writer(int capacity) {
            out = new ByteArrayOutputStream(capacity);
        }

        Writer varint(int number, long value) {
            tag(number, VARINT);
            rawVarint(value);
            return this;
        }

        Writer fixed32(int number, float value) {
            tag(number, FIXED32);
            int bits = Float.floatToRawIntBits(value);
            for (int i = 0; i < 4; i++) {
                out.write(bits >>> (8 * i));
            }
            return this;
        }

        Writer bytes(int number, byte[] value) {
            return bytes(number, value, 0, value.length);
        }

        Writer bytes(int number, byte[] value, int offset, int length) {
            tag(number, LEN);
            rawVarint(length);
            out.write(value, offset, length);
            return this;
        }

        Writer string(int number, String value) {
            return bytes(number, value.getBytes(StandardCharsets.UTF_8));
        }

        Writer message(int number, Writer message) {
            tag(number, LEN);
            rawVarint(message.out.size());
            try {
                message.out.writeTo(out);   // no intermediate copy: a model's graph is most of its bytes
            } catch (IOException e) {
                throw new UncheckedIOException(e);   // a ByteArrayOutputStream does not fail
            }
            return this;
        }

        /** Writes a field read from another message unchanged. */
        Writer copy(Field f) {
            switch (f.wireType()) {
                case VARINT -> varint(f.number(), f.value());
                case LEN -> bytes(f.number(), f.buf(), f.offset(), f.length());
                case FIXED32 -> {
                    tag(f.number(), FIXED32);
                    for (int i = 0; i < 4; i++) {
                        out.write((int) (f.value() >>> (8 * i)));
                    }
                }
                case FIXED64 -> {
                    tag(f.number(), FIXED64);
                    for (int i = 0; i < 8; i++) {
                        out.write((int) (f.value() >>> (8 * i)));
                    }
                }
                default -> throw new IllegalArgumentException("unsupported wire type " + f.wireType());
            }
            return this;
        }

        byte[] toByteArray() {
            return out.toByteArray();
        }

        private void tag(int number, int wire) {
            rawVarint(((long) number << 3) | wire);
        }

        private void rawVarint(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        }
    }
}
