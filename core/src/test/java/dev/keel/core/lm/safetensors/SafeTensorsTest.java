package dev.keel.core.lm.safetensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SafeTensorsTest {

    @TempDir
    Path dir;

    static Path resource(Path dir, String name) throws IOException {
        Path out = dir.resolve(name);
        try (InputStream in = SafeTensorsTest.class.getResourceAsStream("/testvectors/tiny-llama-a/" + name)) {
            assertThat(in).as(name).isNotNull();
            Files.copy(in, out);
        }
        return out;
    }

    @Test
    void readsTheTestVectorCheckpoint() throws IOException {
        Path model = resource(dir, "model.safetensors");
        try (SafeTensorsFile f = SafeTensorsFile.open(model)) {
            assertThat(f.names()).hasSize(21).startsWith("model.embed_tokens.weight").endsWith("lm_head.weight");
            assertThat(f.metadata()).containsEntry("format", "pt");
            TensorInfo q = f.info("model.layers.0.self_attn.k_proj.weight");
            assertThat(q.dtype()).isEqualTo(DType.F32);
            assertThat(q.shape()).containsExactly(16, 48);
            assertThat(f.readFloats("model.norm.weight")).hasSize(48);
        }
        Path expected = resource(dir, "expected.safetensors");
        try (TensorSource s = TensorSource.open(expected)) {
            float[] logits = s.readFloats("logits");
            assertThat(logits).hasSize(2 * 11 * 97);
            assertThat(logits[0]).isCloseTo(-0.38383692502975464f, org.assertj.core.data.Offset.offset(1e-7f));
        }
    }

    @Test
    void roundTripsEveryWritableDtype() throws IOException {
        float[] values = {0f, 1f, -2.5f, 3.140625f, 65504f, -0.0001f};
        Path file = dir.resolve("a.safetensors");
        SafeTensors.writer().metadata("format", "pt")
                .add("f32", DType.F32, new long[] {2, 3}, values)
                .add("f16", DType.F16, new long[] {6}, values)
                .add("bf16", DType.BF16, new long[] {3, 2}, values)
                .add("f64", DType.F64, new long[] {6}, values)
                .add("i64", DType.I64, new long[] {3}, new long[] {-1, 0, Long.MAX_VALUE})
                .add("i32", DType.I32, new long[] {2}, new long[] {7, -7})
                .add("scalar", DType.F32, new long[0], new float[] {42f})
                .add("empty", DType.F32, new long[] {0, 4}, new float[0])
                .write(file);
        try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
            assertThat(f.readFloats("f32")).containsExactly(values);
            assertThat(f.readFloats("f64")).containsExactly(values);
            float[] half = f.readFloats("f16");
            float[] bf = f.readFloats("bf16");
            for (int i = 0; i < values.length; i++) {
                assertThat(half[i]).isCloseTo(values[i], org.assertj.core.data.Percentage.withPercentage(0.1));
                assertThat(bf[i]).isCloseTo(values[i], org.assertj.core.data.Percentage.withPercentage(0.8));
            }
            assertThat(f.readLongs("i64")).containsExactly(-1, 0, Long.MAX_VALUE);
            assertThat(f.readLongs("i32")).containsExactly(7, -7);
            assertThat(f.readFloats("scalar")).containsExactly(42f);
            assertThat(f.info("empty").shape()).containsExactly(0, 4);
            assertThat(f.readFloats("empty")).isEmpty();
            assertThatThrownBy(() -> f.readLongs("f32")).isInstanceOf(SafeTensorsException.class).hasMessageContaining("F32");
            assertThatThrownBy(() -> f.info("nope")).isInstanceOf(SafeTensorsException.class).hasMessageContaining("\"nope\"");
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] len = in.readNBytes(8);
            assertThat(ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong() % 8).isZero();
        }
    }

    @Test
    void readsTensorsLargerThanOneMappingInChunks() throws IOException {
        Path model = resource(dir, "model.safetensors");
        float[] whole;
        try (SafeTensorsFile f = SafeTensorsFile.open(model)) {
            whole = f.readFloats("model.embed_tokens.weight");
        }
        long saved = SafeTensorsFile.mapChunkBytes;
        SafeTensorsFile.mapChunkBytes = 1000;
        try (SafeTensorsFile f = SafeTensorsFile.open(model)) {
            assertThat(f.readFloats("model.embed_tokens.weight")).containsExactly(whole);
        } finally {
            SafeTensorsFile.mapChunkBytes = saved;
        }
    }

    @Test
    void halfPrecisionConversionsAreExactWhereRepresentable() {
        for (float v : new float[] {0f, -0f, 1f, -1f, 0.5f, 65504f, 6.1035156e-05f, 5.9604645e-08f}) {
            assertThat(DType.halfToFloat(DType.floatToHalf(v))).isEqualTo(v);
        }
        assertThat(DType.halfToFloat(DType.floatToHalf(1e6f))).isInfinite();
        assertThat(DType.halfToFloat(DType.floatToHalf(Float.NaN))).isNaN();
        assertThat(DType.bf16ToFloat(DType.floatToBf16(1.5f))).isEqualTo(1.5f);
        assertThat(DType.bf16ToFloat(DType.floatToBf16(Float.NaN))).isNaN();
    }

    @Test
    void writerRejectsBadInput() {
        SafeTensors.Writer w = SafeTensors.writer().add("a", DType.F32, new long[] {1}, new float[] {1});
        assertThatThrownBy(() -> w.add("a", DType.F32, new long[] {1}, new float[] {1}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("duplicate tensor name \"a\"");
        assertThatThrownBy(() -> w.add("b", DType.F32, new long[] {2, 2}, new float[] {1}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[2, 2]").hasMessageContaining("got 1");
        assertThatThrownBy(() -> w.add("c", DType.I64, new long[] {1}, new float[] {1}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("I64");
        assertThatThrownBy(() -> w.add("d", DType.I32, new long[] {1}, new long[] {1L << 40}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("I32");
    }

    // ---- malformed files --------------------------------------------------------------------------

    private Path raw(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path p = Files.createTempFile(dir, "bad", ".safetensors");
        Files.write(p, b.array());
        return p;
    }

    private void assertRejected(Path p, String... fragments) {
        assertThatThrownBy(() -> {
            try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
                for (String n : f.names()) {
                    f.readFloats(n);
                }
            }
        }).isInstanceOf(SafeTensorsException.class).message().contains(List.of(fragments));
    }

    @Test
    void rejectsFileShorterThanHeaderLength() throws IOException {
        Path p = dir.resolve("short.safetensors");
        Files.write(p, new byte[] {1, 2, 3});
        assertRejected(p, "3 bytes", "too short");
    }

    @Test
    void rejectsHeaderLengthBeyondFile() throws IOException {
        Path p = dir.resolve("beyond.safetensors");
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000);
        Files.write(p, b.array());
        assertRejected(p, "header length 1000", "beyond the file (16 bytes)");
    }

    @Test
    void rejectsOversizedHeader() throws IOException {
        Path p = dir.resolve("huge.safetensors");
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(200_000_000L);
        Files.write(p, b.array());
        assertRejected(p, "200000000", "maximum of 100000000");
        ByteBuffer neg = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L);
        Files.write(p, neg.array());
        assertRejected(p, "18446744073709551615");
    }

    @Test
    void rejectsNonJsonHeader() throws IOException {
        assertRejected(raw("{not json}", 0), "not valid JSON");
        assertRejected(raw("[1, 2]  ", 0), "must be a JSON object", "array");
        assertRejected(raw("{\"a\": 1} {}", 0), "not valid JSON");
        byte[] bad = {(byte) 0xff, (byte) 0xfe, '{', '}'};
        Path p = dir.resolve("utf.safetensors");
        Files.write(p, ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(4).put(bad).array());
        assertRejected(p, "not valid UTF-8");
    }

    @Test
    void rejectsUnknownDtype() throws IOException {
        Path p = raw("{\"t\":{\"dtype\":\"F8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1);
        // file, tensor and dtype
        assertRejected(p, p.toString(), "\"t\"", "unknown dtype \"F8\"");
    }

    @Test
    void valuesAreReadExactlyOrRefused() throws IOException {
        // a BOOL byte other than 0 or 1 is not a boolean
        Path bool = raw("{\"m\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2);
        byte[] b = Files.readAllBytes(bool);
        b[b.length - 1] = 2;
        Files.write(bool, b);
        try (SafeTensorsFile f = SafeTensorsFile.open(bool)) {
            assertThatThrownBy(() -> f.readLongs("m")).isInstanceOf(SafeTensorsException.class)
                    .hasMessageContaining(bool.toString()).hasMessageContaining("\"m\" is BOOL but holds the byte 2");
        }
        // an F64 beyond the float range does not silently become infinity
        Path wide = raw("{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8);
        byte[] w = Files.readAllBytes(wide);
        ByteBuffer.wrap(w, w.length - 8, 8).order(ByteOrder.LITTLE_ENDIAN).putDouble(1e300);
        Files.write(wide, w);
        try (SafeTensorsFile f = SafeTensorsFile.open(wide)) {
            assertThatThrownBy(() -> f.readFloats("w")).isInstanceOf(SafeTensorsException.class)
                    .hasMessageContaining("\"w\" element 0 (1.0E300) is beyond the float range");
            float[] dst = new float[1];
            assertThatThrownBy(() -> f.readFloats("w", 0, dst, 1)).isInstanceOf(SafeTensorsException.class);
        }
    }

    @Test
    void rejectsBytesThatBelongToNoTensor() throws IOException {
        // the tensors must tile the data section, as the reference reader requires
        assertRejected(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8),
                "bytes [0, 4) of the data section belong to no tensor");
        assertRejected(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12), "bytes [4, 8)", "\"a\" and \"b\"");
        assertRejected(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 9),
                "holds 9 bytes but the tensors cover 4");
        // zero-size tensors anywhere in the tiling are fine
        Path ok = raw("{\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
        try (SafeTensorsFile f = SafeTensorsFile.open(ok)) {
            assertThat(f.names()).containsExactlyInAnyOrder("a", "z");
        }
    }

    @Test
    void shardPathsAreComparedNormalisedAndThroughLinks() throws IOException {
        Path model = Files.createDirectories(dir.resolve("m/model"));
        SafeTensors.writer().add("a", DType.F32, new long[] {2}, new float[] {1, 2}).write(model.resolve("s-1.safetensors"));
        Files.writeString(model.resolve("model.safetensors.index.json"),
                "{\"weight_map\":{\"a\":\"./s-1.safetensors\"}}");
        // the index named through "./" and "../": the same directory, accepted
        for (Path index : List.of(dir.resolve("m/./model/model.safetensors.index.json"),
                dir.resolve("m/model/../model/model.safetensors.index.json"))) {
            try (ShardedSafeTensors s = ShardedSafeTensors.open(index)) {
                assertThat(s.readFloats("a")).containsExactly(1, 2);
            }
        }
        // a real escape is still refused
        SafeTensors.writer().add("b", DType.F32, new long[] {1}, new float[] {3}).write(dir.resolve("m/outside.safetensors"));
        Files.writeString(model.resolve("escape.index.json"), "{\"weight_map\":{\"b\":\"../outside.safetensors\"}}");
        assertThatThrownBy(() -> ShardedSafeTensors.open(dir.resolve("m/./model/escape.index.json")))
                .isInstanceOf(SafeTensorsException.class).hasMessageContaining("\"../outside.safetensors\" lies outside");
        // and so is a link inside the directory that points out of it
        Files.createSymbolicLink(model.resolve("link.safetensors"), dir.resolve("m/outside.safetensors"));
        Files.writeString(model.resolve("link.index.json"), "{\"weight_map\":{\"b\":\"link.safetensors\"}}");
        assertThatThrownBy(() -> ShardedSafeTensors.open(model.resolve("link.index.json")))
                .isInstanceOf(SafeTensorsException.class).hasMessageContaining("is a link to").hasMessageContaining("outside");
        // a tensor a shard holds but the index does not list is refused, not left unread
        SafeTensors.writer().add("a", DType.F32, new long[] {1}, new float[] {1})
                .add("extra", DType.F32, new long[] {1}, new float[] {2}).write(model.resolve("s-2.safetensors"));
        Files.writeString(model.resolve("partial.index.json"), "{\"weight_map\":{\"a\":\"s-2.safetensors\"}}");
        assertThatThrownBy(() -> ShardedSafeTensors.open(model.resolve("partial.index.json")))
                .isInstanceOf(SafeTensorsException.class).hasMessageContaining("holds tensor \"extra\", which weight_map does not list");
        // a duplicate key in the index is refused (it kept the last before)
        Files.writeString(model.resolve("dup.index.json"), "{\"weight_map\":{\"a\":\"s-1.safetensors\",\"a\":\"s-1.safetensors\"}}");
        assertThatThrownBy(() -> ShardedSafeTensors.open(model.resolve("dup.index.json")))
                .isInstanceOf(SafeTensorsException.class).hasMessageContaining("Duplicate field 'a'");
    }

    @Test
    void rejectsShapeSizeMismatch() throws IOException {
        assertRejected(raw("{\"t\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 20),
                "\"t\"", "[2,3]", "needs 24 bytes", "hold 20");
        assertRejected(raw("{\"t\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4), "shape[0]", "-1");
        assertRejected(raw("{\"t\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],"
                + "\"data_offsets\":[0,4]}}", 4), "too many elements");
    }

    @Test
    void rejectsOffsetsOutOfRange() throws IOException {
        assertRejected(raw("{\"t\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8),
                "\"t\"", "[0, 16] out of range", "holds 8 bytes");
        assertRejected(raw("{\"t\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}", 8), "end before begin");
        assertRejected(raw("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 8), "two integers");
    }

    @Test
    void rejectsOverlappingOffsets() throws IOException {
        assertRejected(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "\"a\"", "\"b\"", "overlap");
    }

    @Test
    void rejectsDuplicateNamesAndBadMetadata() throws IOException {
        assertRejected(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "Duplicate field 'a'");
        assertRejected(raw("{\"__metadata__\":{\"k\":1}}", 0), "__metadata__", "\"k\"");
    }

    @Test
    void loadsShardedCheckpoints() throws IOException {
        SafeTensors.writer().add("a", DType.F32, new long[] {2}, new float[] {1, 2}).write(dir.resolve("s-1.safetensors"));
        SafeTensors.writer().add("b", DType.BF16, new long[] {1}, new float[] {3}).write(dir.resolve("s-2.safetensors"));
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"metadata\":{\"total_size\":10},\"weight_map\":{\"a\":\"s-1.safetensors\",\"b\":\"s-2.safetensors\"}}");
        try (TensorSource s = TensorSource.open(dir)) {
            assertThat(s).isInstanceOf(ShardedSafeTensors.class);
            assertThat(((ShardedSafeTensors) s).shardCount()).isEqualTo(2);
            assertThat(s.names()).containsExactly("a", "b");
            assertThat(s.readFloats("a")).containsExactly(1, 2);
            assertThat(s.readFloats("b")).containsExactly(3);
            assertThat(s.metadata()).containsEntry("total_size", "10");
            s.close();
        }
        Files.writeString(dir.resolve("bad.index.json"), "{\"weight_map\":{\"a\":\"s-2.safetensors\"}}");
        assertThatThrownBy(() -> ShardedSafeTensors.open(dir.resolve("bad.index.json")))
                .isInstanceOf(SafeTensorsException.class).hasMessageContaining("\"a\"").hasMessageContaining("s-2");
        Files.writeString(dir.resolve("missing.index.json"), "{\"weight_map\":{\"a\":\"nope.safetensors\"}}");
        assertThatThrownBy(() -> ShardedSafeTensors.open(dir.resolve("missing.index.json")))
                .isInstanceOf(SafeTensorsException.class).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> TensorSource.open(dir.resolve("sub")))
                .isInstanceOf(IOException.class);
    }

    @Test
    void writesAtomicallyOverAnExistingFile() throws IOException {
        Path file = dir.resolve("x.safetensors");
        SafeTensors.writer().add("a", DType.F32, new long[] {1}, new float[] {1}).write(file);
        SafeTensors.writer().add("b", DType.F32, new long[] {1}, new float[] {2}).write(file);
        try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
            assertThat(f.names()).containsExactly("b");
        }
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("x.safetensors");
        }
    }
}
