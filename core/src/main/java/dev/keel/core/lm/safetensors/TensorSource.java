package dev.keel.core.lm.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.keel.core.internal.Preconditions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * Named tensors that can be read one at a time: a single safetensors file or a sharded checkpoint.
 *
 * <pre>{@code
 * try (TensorSource weights = TensorSource.open(modelDir);
 *      NDManager manager = NDManager.newBaseManager()) {
 *     NDArray embed = weights.load(manager, "model.embed_tokens.weight");
 * }
 * }</pre>
 */
public interface TensorSource extends AutoCloseable {

    /**
     * The tensor names, in file order.
     *
     * @return the tensor names, in file order
     */
    Set<String> names();

    /**
     * Whether a tensor of that name exists.
     *
     * @param name the tensor name
     * @return whether a tensor of that name exists
     */
    default boolean contains(String name) {
        return names().contains(name);
    }

    /**
     * The header entry of a tensor; throws a {@link SafeTensorsException} naming it if absent.
     *
     * @param name the tensor name
     * @return the header entry of a tensor; throws a {@link SafeTensorsException} naming it if absent
     */
    TensorInfo info(String name) throws SafeTensorsException;

    /**
     * The free-form string metadata of the header ({@code __metadata__}); empty if none.
     *
     * @return the free-form string metadata of the header ({@code __metadata__}); empty if none
     */
    Map<String, String> metadata();

    /**
     * Reads a tensor of any dtype, converted to floats (row-major).
     *
     * @param name the tensor name
     * @return the elements as floats, row-major
     * @throws IOException if the file cannot be read
     */
    float[] readFloats(String name) throws IOException;

    /**
     * Reads {@code count} elements of a tensor, starting at element {@code offset} (row-major), converted
     * to floats, into {@code dst[0 .. count)}; lets a large tensor be read in pieces without a second
     * whole copy of it on the heap. This default reads the whole tensor; the files of this package read
     * only the range.
     *
     * @param name the tensor name
     * @param offset the first element to read
     * @param dst where the floats go
     * @param count how many elements to read
     * @throws IOException if the file cannot be read
     * @throws IllegalArgumentException if the range lies outside the tensor or {@code dst}
     */
    default void readFloats(String name, long offset, float[] dst, int count) throws IOException {
        Preconditions.notNull(dst, "dst");
        long n = info(name).elementCount();
        Preconditions.checkArgument(offset >= 0 && count >= 0 && offset + count <= n && count <= dst.length,
                "range [" + offset + ", " + (offset + count) + ") of \"" + name + "\" must lie within its " + n
                        + " elements and the " + dst.length + " of dst");
        System.arraycopy(readFloats(name), (int) offset, dst, 0, count);
    }

    /**
     * Reads an integer or boolean tensor as longs; throws for floating-point tensors.
     *
     * @param name the tensor name
     * @return the elements as longs, row-major
     * @throws IOException if the file cannot be read
     */
    long[] readLongs(String name) throws IOException;

    /**
     * Loads a tensor as an {@link NDArray} attached to {@code manager}: floating-point tensors as
     * float32, integer tensors as int64.
     *
     * @param manager the manager that will own the array
     * @param name the tensor name
     * @return a tensor as an {@link NDArray} attached to {@code manager}: floating-point tensors as float32, integer tensors as int64
     * @throws IOException if the file cannot be read
     */
    default NDArray load(NDManager manager, String name) throws IOException {
        Preconditions.notNull(manager, "manager");
        TensorInfo info = info(name);
        if (info.dtype().isFloating()) {
            return manager.create(readFloats(name), info.djlShape());
        }
        return manager.create(readLongs(name), info.djlShape());
    }

    /** Releases the open files; idempotent. */
    @Override
    void close();

    /**
     * Opens a safetensors file, a sharded checkpoint's {@code *.index.json}, or a directory holding
     * {@code model.safetensors} or {@code model.safetensors.index.json}.
     *
     * @param path the file to read
     * @return a safetensors file, a sharded checkpoint's {@code *.index.json}, or a directory holding {@code model.safetensors} or {@code model.safetensors.index.json}
     * @throws IOException if the file cannot be read
     */
    static TensorSource open(Path path) throws IOException {
        Preconditions.notNull(path, "path");
        if (Files.isDirectory(path)) {
            Path index = path.resolve("model.safetensors.index.json");
            if (Files.exists(index)) {
                return ShardedSafeTensors.open(index);
            }
            Path single = path.resolve("model.safetensors");
            if (Files.exists(single)) {
                return SafeTensorsFile.open(single);
            }
            throw new SafeTensorsException("directory " + path
                    + " holds neither model.safetensors nor model.safetensors.index.json");
        }
        if (path.getFileName() != null && path.getFileName().toString().endsWith(".json")) {
            return ShardedSafeTensors.open(path);
        }
        return SafeTensorsFile.open(path);
    }
}
