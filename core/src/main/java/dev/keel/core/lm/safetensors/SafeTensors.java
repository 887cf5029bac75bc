package dev.keel.core.lm.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.internal.AtomicFiles;
import dev.keel.core.internal.Json;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes safetensors files atomically (temporary file, then rename) and opens them for reading.
 *
 * <pre>{@code
 * SafeTensors.Writer w = SafeTensors.writer().metadata("format", "pt");
 * w.add("weight", DType.F32, new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6});
 * w.write(Path.of("out.safetensors"));
 * }</pre>
 */
public final class SafeTensors {

    private SafeTensors() {
    }

    /**
     * Opens a file, an index or a model directory; see {@link TensorSource#open}.
     *
     * @param path the file to read
     * @return a file, an index or a model directory; see {@link TensorSource#open}
     * @throws IOException if the file cannot be read
     */
    public static TensorSource open(Path path) throws IOException {
        return TensorSource.open(path);
    }

    /**
     * A new, empty writer.
     *
     * @return a new, empty writer
     */
    public static Writer writer() {
        return new Writer();
    }

    /**
     * Writes {@code tensors} (in iteration order) to {@code file} atomically, each floating-point array
     * as {@code floatType} and each integer array as I64, with {@code {"format": "pt"}} metadata.
     *
     * @param file the file to write (atomically)
     * @param floatType the dtype floating-point arrays are stored as (F64, F32, F16 or BF16)
     * @param tensors the tensors by name
     * @throws IOException if the file cannot be written
     */
    public static void write(Path file, Map<String, NDArray> tensors, DType floatType) throws IOException {
        write(file, tensors, floatType, Map.of());
    }

    /**
     * Like {@link #write(Path, Map, DType)}, with the values of some floating-point arrays multiplied by a
     * factor as they are written (for arrays stored scaled, such as a model's 16-bit weights).
     *
     * @param file the file to write (atomically)
     * @param tensors the tensors by name
     * @param floatType the dtype floating-point arrays are stored as (F64, F32, F16 or BF16)
     * @param scales factors by tensor name; a tensor not named is written as it is
     * @throws IOException if the file cannot be written
     */
    public static void write(Path file, Map<String, NDArray> tensors, DType floatType, Map<String, Float> scales)
            throws IOException {
        Preconditions.notNull(tensors, "tensors");
        Preconditions.notNull(scales, "scales");
        Writer w = writer().metadata("format", "pt");
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            w.add(e.getKey(), e.getValue(), floatType, scales.getOrDefault(e.getKey(), 1f));
        }
        w.write(file);
    }

    /**
     * Writes {@code tensors} as a sharded checkpoint in {@code dir}: shards
     * {@code <prefix>-00001-of-0000N.safetensors} of at most {@code maxShardBytes} of data each (a larger
     * tensor gets a shard of its own) and {@code <prefix>.safetensors.index.json} mapping each tensor to
     * its shard. Every file is written atomically, the index last.
     *
     * @param dir the directory the shards and the index are written to
     * @param floatType the dtype floating-point arrays are stored as (F64, F32, F16 or BF16)
     * @param maxShardBytes the most tensor bytes per shard; a larger tensor gets a shard of its own
     * @param prefix the shard file name prefix, e.g. {@code model}
     * @param tensors the tensors by name
     * @return the index file
     * @throws IOException if the file cannot be written
     */
    public static Path writeSharded(Path dir, String prefix, Map<String, NDArray> tensors, DType floatType,
                                    long maxShardBytes) throws IOException {
        return writeSharded(dir, prefix, tensors, floatType, maxShardBytes, Map.of());
    }

    /**
     * Like {@link #writeSharded(Path, String, Map, DType, long)}, with the values of some floating-point
     * arrays multiplied by a factor as they are written (for arrays stored scaled).
     *
     * @param dir the directory the shards and the index are written to
     * @param prefix the shard file name prefix, e.g. {@code model}
     * @param tensors the tensors by name
     * @param floatType the dtype floating-point arrays are stored as (F64, F32, F16 or BF16)
     * @param maxShardBytes the most tensor bytes per shard; a larger tensor gets a shard of its own
     * @param scales factors by tensor name; a tensor not named is written as it is
     * @return the index file
     * @throws IOException if the file cannot be written
     */
    public static Path writeSharded(Path dir, String prefix, Map<String, NDArray> tensors, DType floatType,
                                    long maxShardBytes, Map<String, Float> scales) throws IOException {
        Preconditions.notNull(scales, "scales");
        Preconditions.notNull(dir, "dir");
        Preconditions.notBlank(prefix, "prefix");
        Preconditions.notNull(tensors, "tensors");
        Preconditions.checkArgument(maxShardBytes > 0, "maxShardBytes must be > 0, was " + maxShardBytes);
        List<List<String>> shards = new ArrayList<>();
        List<String> current = new ArrayList<>();
        long size = 0;
        long total = 0;
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            long bytes = e.getValue().size() * (e.getValue().getDataType().isFloating() ? floatType.byteSize() : 8);
            if (!current.isEmpty() && size + bytes > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                size = 0;
            }
            current.add(e.getKey());
            size += bytes;
            total += bytes;
        }
        if (!current.isEmpty()) {
            shards.add(current);
        }
        java.nio.file.Files.createDirectories(dir);
        ObjectNode index = Json.mapper().createObjectNode();
        index.putObject("metadata").put("total_size", total);
        ObjectNode map = index.putObject("weight_map");
        for (int i = 0; i < shards.size(); i++) {
            String file = String.format(java.util.Locale.ROOT, "%s-%05d-of-%05d.safetensors", prefix, i + 1, shards.size());
            Writer w = writer().metadata("format", "pt");
            for (String name : shards.get(i)) {
                w.add(name, tensors.get(name), floatType, scales.getOrDefault(name, 1f));
                map.put(name, file);
            }
            w.write(dir.resolve(file));
        }
        Path indexFile = dir.resolve(prefix + ".safetensors.index.json");
        AtomicFiles.writeString(indexFile, Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(index));
        return indexFile;
    }

    /** Collects named tensors, then writes them in the order they were added. */
    public static final class Writer {
        private final Map<String, String> metadata = new LinkedHashMap<>();
        private final List<Entry> entries = new ArrayList<>();
        private final Map<String, Boolean> names = new LinkedHashMap<>();

        private Writer() {
        }

        /**
         * Adds one string to the header's {@code __metadata__}.
         *
         * @param key the metadata key
         * @param value its value
         * @return this writer
         */
        public Writer metadata(String key, String value) {
            metadata.put(Preconditions.notNull(key, "key"), Preconditions.notNull(value, "value"));
            return this;
        }

        /**
         * Adds a floating-point tensor stored as {@code dtype} (F64, F32, F16 or BF16).
         *
         * @param dtype F64, F32, F16 or BF16
         * @param name the tensor name
         * @param shape the tensor's shape
         * @param values the elements, row-major; as many as the shape holds
         * @return this writer
         */
        public Writer add(String name, DType dtype, long[] shape, float[] values) {
            checkName(name);
            Preconditions.notNull(values, "values");
            Preconditions.checkArgument(dtype != null && dtype.isFloating(),
                    "dtype of \"" + name + "\" must be a floating-point type, was " + dtype);
            checkShape(name, shape, values.length);
            float[] copy = values.clone();
            entries.add(new Entry(name, dtype, shape.clone(), (long) copy.length * dtype.byteSize(),
                    out -> writeFloats(out, copy, dtype)));
            return this;
        }

        /**
         * Adds an integer tensor stored as I64 or I32.
         *
         * @param dtype I64 or I32
         * @param name the tensor name
         * @param shape the tensor's shape
         * @param values the elements, row-major; as many as the shape holds
         * @return this writer
         */
        public Writer add(String name, DType dtype, long[] shape, long[] values) {
            checkName(name);
            Preconditions.notNull(values, "values");
            Preconditions.checkArgument(dtype == DType.I64 || dtype == DType.I32,
                    "dtype of \"" + name + "\" must be I64 or I32, was " + dtype);
            checkShape(name, shape, values.length);
            ByteBuffer b = ByteBuffer.allocate(values.length * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
            for (long v : values) {
                if (dtype == DType.I64) {
                    b.putLong(v);
                } else {
                    Preconditions.checkArgument(v == (int) v, "value " + v + " of \"" + name + "\" does not fit I32");
                    b.putInt((int) v);
                }
            }
            byte[] bytes = b.array();
            entries.add(new Entry(name, dtype, shape.clone(), bytes.length, out -> out.write(bytes)));
            return this;
        }

        /**
         * Adds an NDArray: floating-point arrays are stored as {@code floatType}, integer and boolean
         * arrays as I64. Floating-point values are read when {@link #write} runs (one tensor at a
         * time, so a checkpoint is never held twice in memory): the array must stay open until then.
         *
         * @param array the array to store (its values are copied now)
         * @param floatType the dtype floating-point arrays are stored as (F64, F32, F16 or BF16)
         * @param name the tensor name
         * @return this writer
         */
        public Writer add(String name, NDArray array, DType floatType) {
            return add(name, array, floatType, 1f);
        }

        /**
         * Adds an NDArray whose floating-point values are multiplied by {@code scale} as they are written
         * (for an array stored scaled); integer and boolean arrays are stored as I64 and take no scale.
         *
         * @param name the tensor name
         * @param array the array to store (it must stay open until {@link #write} runs)
         * @param floatType the dtype floating-point arrays are stored as (F64, F32, F16 or BF16)
         * @param scale the factor applied to each floating-point value (1 for none)
         * @return this writer
         * @throws IllegalArgumentException if {@code scale} is not finite or an integer array has a scale other than 1
         */
        public Writer add(String name, NDArray array, DType floatType, float scale) {
            Preconditions.notNull(array, "array");
            Preconditions.checkArgument(Float.isFinite(scale), "scale of \"" + name + "\" must be finite, was " + scale);
            Preconditions.checkArgument(array.getDataType().isFloating() || scale == 1f,
                    "scale of integer tensor \"" + name + "\" must be 1, was " + scale);
            long[] shape = array.getShape().getShape();
            if (array.getDataType().isFloating()) {
                checkName(name);
                Preconditions.checkArgument(floatType != null && floatType.isFloating(),
                        "dtype of \"" + name + "\" must be a floating-point type, was " + floatType);
                long bytes = array.size() * floatType.byteSize();
                entries.add(new Entry(name, floatType, shape, bytes, out -> {
                    float[] values;
                    if (array.getDataType() == DataType.FLOAT32) {
                        values = array.toFloatArray();
                    } else {
                        try (NDArray f32 = array.toType(DataType.FLOAT32, true)) {
                            values = f32.toFloatArray();
                        }
                    }
                    if (scale != 1f) {
                        for (int i = 0; i < values.length; i++) {
                            values[i] *= scale;
                        }
                    }
                    writeFloats(out, values, floatType);
                }));
                return this;
            }
            try (NDArray i64 = array.toType(DataType.INT64, true)) {
                return add(name, DType.I64, shape, i64.toLongArray());
            }
        }

        private static void writeFloats(OutputStream out, float[] values, DType dtype) throws IOException {
            ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : values) {
                if (b.remaining() < 8) {
                    out.write(b.array(), 0, b.position());
                    b.clear();
                }
                switch (dtype) {
                    case F64: b.putDouble(v); break;
                    case F32: b.putFloat(v); break;
                    case F16: b.putShort(DType.floatToHalf(v)); break;
                    default: b.putShort(DType.floatToBf16(v)); break;
                }
            }
            out.write(b.array(), 0, b.position());
        }

        private void checkName(String name) {
            Preconditions.notBlank(name, "name");
            Preconditions.checkArgument(!"__metadata__".equals(name), "a tensor must not be named __metadata__");
            Preconditions.checkArgument(names.put(name, Boolean.TRUE) == null, "duplicate tensor name \"" + name + "\"");
        }

        private static void checkShape(String name, long[] shape, int count) {
            Preconditions.notNull(shape, "shape");
            long n = 1;
            for (long d : shape) {
                Preconditions.checkArgument(d >= 0, "shape of \"" + name + "\" must not be negative: "
                        + Arrays.toString(shape));
                n *= d;
            }
            Preconditions.checkArgument(n == count, "shape " + Arrays.toString(shape) + " of \"" + name
                    + "\" needs " + n + " values, got " + count);
        }

        /**
         * Writes the file atomically.
         *
         * @param file the file to write (atomically)
         * @throws IOException if the file cannot be written
         */
        public void write(Path file) throws IOException {
            Preconditions.notNull(file, "file");
            ObjectNode header = Json.mapper().createObjectNode();
            if (!metadata.isEmpty()) {
                ObjectNode meta = header.putObject("__metadata__");
                metadata.forEach(meta::put);
            }
            long offset = 0;
            for (Entry e : entries) {
                ObjectNode t = header.putObject(e.name);
                t.put("dtype", e.dtype.name());
                ArrayNode s = t.putArray("shape");
                for (long d : e.shape) {
                    s.add(d);
                }
                ArrayNode o = t.putArray("data_offsets");
                o.add(offset);
                offset += e.byteLength;
                o.add(offset);
            }
            byte[] json = Json.toLine(header).getBytes(StandardCharsets.UTF_8);
            int padded = (json.length + 7) / 8 * 8;
            byte[] headerBytes = Arrays.copyOf(json, padded);
            Arrays.fill(headerBytes, json.length, padded, (byte) ' ');
            AtomicFiles.write(file, (OutputStream out) -> {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
                out.write(len.array());
                out.write(headerBytes);
                for (Entry e : entries) {
                    e.data.writeTo(out);
                }
            });
        }
    }

    private interface Data {
        void writeTo(OutputStream out) throws IOException;
    }

    private static final class Entry {
        final String name;
        final DType dtype;
        final long[] shape;
        final long byteLength;
        final Data data;

        Entry(String name, DType dtype, long[] shape, long byteLength, Data data) {
            this.name = name;
            this.dtype = dtype;
            this.shape = shape;
            this.byteLength = byteLength;
            this.data = data;
        }
    }
}
