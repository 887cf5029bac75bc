package dev.keel.core.lm.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.internal.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A checkpoint split over several safetensors files, described by a Hugging Face
 * {@code model.safetensors.index.json} ({@code {"metadata": {...}, "weight_map": {tensor: file}}}).
 * Each shard is opened (and its header checked) once; tensors are read from the shard the index
 * names, which must hold them.
 */
public final class ShardedSafeTensors implements TensorSource {

    private final Path index;
    private final Map<String, SafeTensorsFile> byTensor;
    private final Map<Path, SafeTensorsFile> shards;
    private final Map<String, String> metadata;
    private boolean closed;

    private ShardedSafeTensors(Path index, Map<String, SafeTensorsFile> byTensor, Map<Path, SafeTensorsFile> shards,
                               Map<String, String> metadata) {
        this.index = index;
        this.byTensor = byTensor;
        this.shards = shards;
        this.metadata = metadata;
    }

    /**
     * Opens the index file and every shard it names.
     *
     * @param indexFile the {@code *.safetensors.index.json} file; the shards it names are opened next to it
     * @return the index file and every shard it names
     * @throws IOException if the file cannot be read
     */
    public static ShardedSafeTensors open(Path indexFile) throws IOException {
        Preconditions.notNull(indexFile, "indexFile");
        JsonNode root;
        try {
            root = Json.readFile(indexFile);
        } catch (IOException e) {
            throw new SafeTensorsException(e.getMessage(), e);
        }
        JsonNode weightMap = root == null ? null : root.get("weight_map");
        if (weightMap == null || !weightMap.isObject()) {
            throw new SafeTensorsException(indexFile + ": weight_map must be an object of tensor name to file name");
        }
        // both sides normalised ("./" and "../" in the path given), then both resolved through links,
        // so that a shard is refused only where it really lies outside the index's directory
        Path dir = indexFile.toAbsolutePath().normalize().getParent();
        Path realDir = dir.toRealPath();
        Map<Path, SafeTensorsFile> shards = new LinkedHashMap<>();
        Map<String, SafeTensorsFile> byTensor = new LinkedHashMap<>();
        boolean ok = false;
        try {
            for (Map.Entry<String, JsonNode> e : weightMap.properties()) {
                if (!e.getValue().isTextual()) {
                    throw new SafeTensorsException(indexFile + ": weight_map entry \"" + e.getKey()
                            + "\" must name a file, was " + e.getValue());
                }
                String file = e.getValue().textValue();
                Path shardPath;
                try {
                    shardPath = dir.resolve(file).normalize();
                } catch (java.nio.file.InvalidPathException ex) {
                    throw new SafeTensorsException(indexFile + ": shard \"" + file + "\" is not a file name: " + ex.getMessage(), ex);
                }
                if (!shardPath.startsWith(dir)) {
                    throw new SafeTensorsException(indexFile + ": shard \"" + file + "\" lies outside " + dir);
                }
                if (!Files.isRegularFile(shardPath)) {
                    throw new SafeTensorsException(indexFile + ": shard \"" + file + "\" does not exist");
                }
                Path real = shardPath.toRealPath();
                if (!real.startsWith(realDir)) {
                    throw new SafeTensorsException(indexFile + ": shard \"" + file + "\" is a link to " + real
                            + ", outside " + realDir);
                }
                SafeTensorsFile shard = shards.get(real);
                if (shard == null) {
                    shard = SafeTensorsFile.open(shardPath);
                    shards.put(real, shard);
                }
                if (!shard.contains(e.getKey())) {
                    throw new SafeTensorsException(indexFile + ": tensor \"" + e.getKey() + "\" is mapped to \""
                            + file + "\" which does not hold it");
                }
                byTensor.put(e.getKey(), shard);
            }
            for (SafeTensorsFile shard : shards.values()) {
                for (String name : shard.names()) {
                    if (byTensor.get(name) != shard) {
                        throw new SafeTensorsException(indexFile + ": shard " + shard.path().getFileName() + " holds tensor \""
                                + name + "\", which weight_map " + (byTensor.containsKey(name) ? "maps to another shard" : "does not list"));
                    }
                }
            }
            Map<String, String> metadata = new LinkedHashMap<>();
            JsonNode meta = root.get("metadata");
            if (meta != null && meta.isObject()) {
                meta.properties().forEach(kv -> metadata.put(kv.getKey(),
                        kv.getValue().isTextual() ? kv.getValue().textValue() : kv.getValue().toString()));
            }
            ok = true;
            return new ShardedSafeTensors(indexFile, Collections.unmodifiableMap(byTensor),
                    shards, Collections.unmodifiableMap(metadata));
        } finally {
            if (!ok) {
                shards.values().forEach(SafeTensorsFile::close);
            }
        }
    }

    @Override
    public Set<String> names() {
        return byTensor.keySet();
    }

    @Override
    public TensorInfo info(String name) throws SafeTensorsException {
        return shard(name).info(name);
    }

    private SafeTensorsFile shard(String name) throws SafeTensorsException {
        Preconditions.notNull(name, "name");
        SafeTensorsFile f = byTensor.get(name);
        if (f == null) {
            throw new SafeTensorsException(index + ": no tensor named \"" + name + "\"");
        }
        return f;
    }

    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public float[] readFloats(String name) throws IOException {
        return shard(name).readFloats(name);
    }

    @Override
    public void readFloats(String name, long offset, float[] dst, int count) throws IOException {
        shard(name).readFloats(name, offset, dst, count);
    }

    @Override
    public long[] readLongs(String name) throws IOException {
        return shard(name).readLongs(name);
    }

    /**
     * The number of shard files.
     *
     * @return the number of shard files
     */
    public int shardCount() {
        return shards.size();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        shards.values().forEach(SafeTensorsFile::close);
    }
}
