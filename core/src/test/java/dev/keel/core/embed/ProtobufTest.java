package dev.keel.core.embed;

import dev.keel.core.embed.Protobuf.Field;
import dev.keel.core.embed.Protobuf.Writer;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProtobufTest {

    @Property
    void varintsRoundTrip(@ForAll long value, @ForAll @IntRange(min = 1, max = 100_000) int number) {
        List<Field> fields = Protobuf.fields(new Writer().varint(number, value).toByteArray());
        assertThat(fields).hasSize(1);
        assertThat(fields.get(0).number()).isEqualTo(number);
        assertThat(fields.get(0).wireType()).isEqualTo(Protobuf.VARINT);
        assertThat(fields.get(0).value()).isEqualTo(value);
    }

    @Property
    void nestedMessagesAndFloatsRoundTrip(@ForAll String text, @ForAll float f, @ForAll @Size(max = 50) List<Long> packed) {
        byte[] encoded = new Writer()
                .message(3, new Writer().string(1, text).fixed32(2, f))
                .bytes(4, packed(packed))
                .toByteArray();
        List<Field> outer = Protobuf.fields(encoded);
        assertThat(outer).extracting(Field::number).containsExactly(3, 4);
        List<Field> inner = outer.get(0).message();
        assertThat(inner.get(0).string()).isEqualTo(text);
        assertThat(Float.floatToRawIntBits(inner.get(1).fixed32AsFloat())).isEqualTo(Float.floatToRawIntBits(f));
        assertThat(outer.get(1).varints()).containsExactlyElementsOf(packed);
    }

    @Test
    void copyWritesAFieldUnchanged() {
        byte[] original = new Writer().varint(1, 300).fixed32(2, 1.5f).string(3, "x").toByteArray();
        Writer copy = new Writer();
        for (Field f : Protobuf.fields(original)) {
            copy.copy(f);
        }
        assertThat(copy.toByteArray()).isEqualTo(original);
    }

    @Test
    void truncatedInputIsRefusedWithItsPosition() {
        byte[] encoded = new Writer().string(1, "hello").toByteArray();
        byte[] cut = java.util.Arrays.copyOf(encoded, encoded.length - 2);
        assertThatThrownBy(() -> Protobuf.fields(cut))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("runs past the end");
        assertThatThrownBy(() -> Protobuf.fields(new byte[] {(byte) 0x80}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("inside a varint");
        assertThatThrownBy(() -> Protobuf.fields(new byte[] {0x0B}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("wire type 3");
    }

    private static byte[] packed(List<Long> values) {
        // A packed repeated varint is the varints back to back; write each as field 0 and strip the tag.
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (long v : values) {
            byte[] one = new Writer().varint(1, v).toByteArray();
            out.write(one, 1, one.length - 1);
        }
        return out.toByteArray();
    }

    @Test
    void aFieldNumberBeyondProtobufsRangeIsRefusedNotTruncated() {
        // key = (2^32 + 1) << 3 | VARINT: the number truncated to an int would read as field 1
        long key = ((1L << 32) + 1) << 3;
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        long v = key;
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
        out.write(5);
        assertThatThrownBy(() -> Protobuf.fields(out.toByteArray())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("field number 4294967297 at byte 0 is outside 1..536870911");
        assertThatThrownBy(() -> Protobuf.fields(new byte[] {0, 1})).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("field number 0");
    }
}
