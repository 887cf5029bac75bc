package dev.keel.core.lm.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.keel.core.internal.Preconditions;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One safetensors file, opened for reading. The header is read and checked when the file is
 * opened; tensor data is memory-mapped tensor by tensor when asked for, so files (and tensors) larger
 * than 2 GiB are read without loading the whole file.
 *
 * <p>{@link #open} rejects, with a {@link SafeTensorsException}: a file shorter than its 8-byte header
 * length, a header length beyond the file or above {@value #MAX_HEADER_BYTES} bytes, a header that is
 * not a UTF-8 JSON object (a duplicate key included), an unknown dtype (named with the file and the
 * tensor), a shape whose size does not match its byte range, and byte ranges that lie outside the
 * data section, overlap, or leave bytes of it to no tensor (a hole, or bytes after the last tensor:
 * the tensors must tile the data section, as the format's reference reader requires).
 *
 * <pre>{@code
 * try (SafeTensorsFile f = SafeTensorsFile.open(Path.of("model.safetensors"))) {
 *     float[] w = f.readFloats("model.norm.weight");
 * }
 * }</pre>
 */
public final class SafeTensorsFile implements TensorSource {

    /** The largest header accepted, in bytes (100 MB). */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    /** Bytes mapped at a time; tensors larger than this are read in several mappings (package-private for tests). */
    static volatile long mapChunkBytes = 1L << 30;

    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;
    private volatile boolean closed;

    private SafeTensorsFile(Path path, FileChannel channel, long dataStart, Map<String, TensorInfo> tensors,
                            Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /**
     * Opens and checks {@code path}.
     *
     * @param path the file to read
     * @return the opened file, its header checked
     * @throws IOException if the file cannot be read
     */
    public static SafeTensorsFile open(Path path) throws IOException {
        Preconditions.notNull(path, "path");
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            long size = ch.size();
            if (size < 8) {
                throw new SafeTensorsException(path + ": file is " + size + " bytes, too short for the 8-byte header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            if (headerLen < 0 || headerLen > MAX_HEADER_BYTES) {
                throw new SafeTensorsException(path + ": header length " + Long.toUnsignedString(headerLen)
                        + " exceeds the maximum of " + MAX_HEADER_BYTES + " bytes");
            }
            if (8 + headerLen > size) {
                throw new SafeTensorsException(path + ": header length " + headerLen + " reaches beyond the file ("
                        + size + " bytes)");
            }
            if (headerLen < 2) {
                throw new SafeTensorsException(path + ": header length " + headerLen + " is too short for a JSON object");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLen);
            readFully(ch, header, 8);
            header.flip();
            String json;
            try {
                CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(header);
                json = chars.toString();
            } catch (CharacterCodingException e) {
                throw new SafeTensorsException(path + ": header is not valid UTF-8", e);
            }
            long dataStart = 8 + headerLen;
            long dataSize = size - dataStart;
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, TensorInfo> tensors = parseHeader(path, json, dataSize, metadata);
            SafeTensorsFile f = new SafeTensorsFile(path, ch, dataStart, tensors, Collections.unmodifiableMap(metadata));
            ch = null;
            return f;
        } finally {
            if (ch != null) {
                ch.close();
            }
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new SafeTensorsException("unexpected end of file at byte " + pos);
            }
            pos += n;
        }
    }

    private static Map<String, TensorInfo> parseHeader(Path path, String json, long dataSize,
                                                       Map<String, String> metadata) throws SafeTensorsException {
        JsonNode root;
        try {
            root = STRICT.readTree(json);
        } catch (JsonProcessingException e) {
            throw new SafeTensorsException(path + ": header is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new SafeTensorsException(path + ": header must be a JSON object, was "
                    + (root == null ? "empty" : root.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)));
        }
        Map<String, TensorInfo> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            String name = e.getKey();
            JsonNode node = e.getValue();
            if ("__metadata__".equals(name)) {
                if (!node.isObject()) {
                    throw new SafeTensorsException(path + ": __metadata__ must be an object of strings");
                }
                for (Map.Entry<String, JsonNode> kv : node.properties()) {
                    if (!kv.getValue().isTextual()) {
                        throw new SafeTensorsException(path + ": __metadata__ value of \"" + kv.getKey()
                                + "\" must be a string, was " + kv.getValue());
                    }
                    metadata.put(kv.getKey(), kv.getValue().textValue());
                }
                continue;
            }
            out.put(name, parseEntry(path, name, node, dataSize));
        }
        List<TensorInfo> sorted = new ArrayList<>(out.values());
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        // as the format's reference reader: the tensors tile the data section, from byte 0 to its end,
        // without overlap or hole, so that no byte is read twice or left unexplained
        TensorInfo prev = null;
        long covered = 0;
        for (TensorInfo t : sorted) {
            if (t.begin() < covered) {
                throw new SafeTensorsException(path + ": tensors \"" + prev.name() + "\" [" + prev.begin() + ", "
                        + prev.end() + ") and \"" + t.name() + "\" [" + t.begin() + ", " + t.end() + ") overlap");
            }
            if (t.begin() > covered) {
                throw new SafeTensorsException(path + ": bytes [" + covered + ", " + t.begin() + ") of the data section belong to no tensor"
                        + (prev == null ? "" : " (between \"" + prev.name() + "\" and \"" + t.name() + "\")"));
            }
            covered = t.end();
            prev = t;
        }
        if (covered != dataSize) {
            throw new SafeTensorsException(path + ": the data section holds " + dataSize + " bytes but the tensors cover "
                    + covered + " (bytes [" + covered + ", " + dataSize + ") belong to no tensor)");
        }
        return Collections.unmodifiableMap(out);
    }

    private static TensorInfo parseEntry(Path path, String name, JsonNode node, long dataSize)
            throws SafeTensorsException {
        String where = path + ": tensor \"" + name + "\"";
        if (!node.isObject()) {
            throw new SafeTensorsException(where + " must be an object with dtype, shape and data_offsets");
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new SafeTensorsException(where + ": dtype must be a string, was " + dtypeNode);
        }
        DType dtype;
        try {
            dtype = DType.parse(dtypeNode.textValue(), name);
        } catch (SafeTensorsException e) {
            throw new SafeTensorsException(path + ": " + e.getMessage(), e);
        }
        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) {
            throw new SafeTensorsException(where + ": shape must be an array, was " + shapeNode);
        }
        long[] shape = new long[shapeNode.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = nonNegativeLong(shapeNode.get(i), where + ": shape[" + i + "]");
            try {
                elements = Math.multiplyExact(elements, shape[i]);
            } catch (ArithmeticException ex) {
                throw new SafeTensorsException(where + ": shape " + shapeNode + " has too many elements", ex);
            }
        }
        JsonNode offsets = node.get("data_offsets");
        if (offsets == null || !offsets.isArray() || offsets.size() != 2) {
            throw new SafeTensorsException(where + ": data_offsets must be an array of two integers, was " + offsets);
        }
        long begin = nonNegativeLong(offsets.get(0), where + ": data_offsets[0]");
        long end = nonNegativeLong(offsets.get(1), where + ": data_offsets[1]");
        if (end < begin) {
            throw new SafeTensorsException(where + ": data_offsets [" + begin + ", " + end + "] end before begin");
        }
        if (end > dataSize) {
            throw new SafeTensorsException(where + ": data_offsets [" + begin + ", " + end
                    + "] out of range, the data section holds " + dataSize + " bytes");
        }
        long expected;
        try {
            expected = Math.multiplyExact(elements, dtype.byteSize());
        } catch (ArithmeticException ex) {
            throw new SafeTensorsException(where + ": shape " + shapeNode + " has too many elements", ex);
        }
        if (expected != end - begin) {
            throw new SafeTensorsException(where + ": shape " + shapeNode + " of " + dtype + " needs " + expected
                    + " bytes but data_offsets [" + begin + ", " + end + "] hold " + (end - begin));
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static long nonNegativeLong(JsonNode n, String what) throws SafeTensorsException {
        if (n == null || !n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 0) {
            throw new SafeTensorsException(what + " must be a non-negative integer, was " + n);
        }
        return n.longValue();
    }

    /**
     * The file this was opened from.
     *
     * @return the file this was opened from
     */
    public Path path() {
        return path;
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    @Override
    public TensorInfo info(String name) throws SafeTensorsException {
        Preconditions.notNull(name, "name");
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new SafeTensorsException(path + ": no tensor named \"" + name + "\"");
        }
        return t;
    }

    /**
     * All header entries, in file order.
     *
     * @return all header entries, in file order
     */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public float[] readFloats(String name) throws IOException {
        TensorInfo t = info(name);
        float[] out = new float[checkedCount(t)];
        int[] pos = {0};
        forEachChunk(t, buf -> {
            switch (t.dtype()) {
                case F32:
                    int n = buf.remaining() / 4;
                    buf.asFloatBuffer().get(out, pos[0], n);
                    pos[0] += n;
                    break;
                case F64:
                    while (buf.hasRemaining()) {
                        out[pos[0]] = narrow(t, buf.getDouble(), pos[0]);
                        pos[0]++;
                    }
                    break;
                case F16:
                    while (buf.hasRemaining()) {
                        out[pos[0]++] = DType.halfToFloat(buf.getShort());
                    }
                    break;
                case BF16:
                    while (buf.hasRemaining()) {
                        out[pos[0]++] = DType.bf16ToFloat(buf.getShort());
                    }
                    break;
                default:
                    while (buf.hasRemaining()) {
                        out[pos[0]++] = readInteger(t, buf);
                    }
            }
        });
        return out;
    }

    @Override
    public void readFloats(String name, long offset, float[] dst, int count) throws IOException {
        TensorInfo t = info(name);
        Preconditions.notNull(dst, "dst");
        long n = t.elementCount();
        Preconditions.checkArgument(offset >= 0 && count >= 0 && offset + count <= n && count <= dst.length,
                "range [" + offset + ", " + (offset + count) + ") of \"" + name + "\" must lie within its " + n
                        + " elements and the " + dst.length + " of dst");
        if (closed) {
            throw new IllegalStateException(path + " is closed");
        }
        if (count == 0) {
            return;
        }
        int size = t.dtype().byteSize();
        ByteBuffer buf = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin() + offset * size,
                (long) count * size).order(ByteOrder.LITTLE_ENDIAN);
        switch (t.dtype()) {
            case F32:
                buf.asFloatBuffer().get(dst, 0, count);
                break;
            case F64:
                for (int i = 0; i < count; i++) {
                    dst[i] = narrow(t, buf.getDouble(), (int) Math.min(Integer.MAX_VALUE, offset + i));
                }
                break;
            case F16:
                for (int i = 0; i < count; i++) {
                    dst[i] = DType.halfToFloat(buf.getShort());
                }
                break;
            case BF16:
                for (int i = 0; i < count; i++) {
                    dst[i] = DType.bf16ToFloat(buf.getShort());
                }
                break;
            default:
                for (int i = 0; i < count; i++) {
                    dst[i] = readInteger(t, buf);
                }
        }
    }

    @Override
    public long[] readLongs(String name) throws IOException {
        TensorInfo t = info(name);
        if (t.dtype().isFloating()) {
            throw new SafeTensorsException(path + ": tensor \"" + name + "\" is " + t.dtype() + ", not an integer type");
        }
        long[] out = new long[checkedCount(t)];
        int[] pos = {0};
        forEachChunk(t, buf -> {
            while (buf.hasRemaining()) {
                out[pos[0]++] = readInteger(t, buf);
            }
        });
        return out;
    }

    private long readInteger(TensorInfo t, ByteBuffer buf) {
        switch (t.dtype()) {
            case I64: return buf.getLong();
            case I32: return buf.getInt();
            case I16: return buf.getShort();
            case I8: return buf.get();
            case U8:
                return buf.get() & 0xff;
            case BOOL:
                int b = buf.get() & 0xff;
                if (b > 1) {
                    throw new SafeTensorsException(path + ": tensor \"" + t.name() + "\" is BOOL but holds the byte " + b
                            + " (a boolean is 0 or 1)");
                }
                return b;
            default:
                throw new IllegalStateException("not an integer dtype: " + t.dtype());
        }
    }

    /** A double as a float, refused where a finite value would become infinite (it would not be the same weight). */
    private float narrow(TensorInfo t, double v, int index) {
        float f = (float) v;
        if (Float.isInfinite(f) && !Double.isInfinite(v)) {
            throw new SafeTensorsException(path + ": tensor \"" + t.name() + "\" element " + index + " (" + v
                    + ") is beyond the float range");
        }
        return f;
    }

    private int checkedCount(TensorInfo t) throws SafeTensorsException {
        long n = t.elementCount();
        if (n > Integer.MAX_VALUE - 8) {
            throw new SafeTensorsException(path + ": tensor \"" + t.name() + "\" has " + n
                    + " elements, too many for one Java array");
        }
        return (int) n;
    }

    private interface ChunkConsumer {
        void accept(ByteBuffer chunk);
    }

    private void forEachChunk(TensorInfo t, ChunkConsumer consumer) throws IOException {
        if (closed) {
            throw new IllegalStateException(path + " is closed");
        }
        long max = Math.max(mapChunkBytes, t.dtype().byteSize());
        long chunk = max - max % t.dtype().byteSize();
        long offset = 0;
        long length = t.byteLength();
        while (offset < length) {
            long n = Math.min(chunk, length - offset);
            ByteBuffer buf = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin() + offset, n)
                    .order(ByteOrder.LITTLE_ENDIAN);
            consumer.accept(buf);
            offset += n;
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            channel.close();
        } catch (IOException e) {
            // nothing to recover: the file was only read
        }
    }

    @Override
    public String toString() {
        return "SafeTensorsFile[" + path + ", " + tensors.size() + " tensors]";
    }
}
