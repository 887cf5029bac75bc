package dev.keel.core.testkit;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.core.internal.Json;
import dev.keel.core.lm.LlamaConfig;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.safetensors.SafeTensorsFile;
import dev.keel.core.lm.train.TrainingExample;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Test fixtures: the tiny-llama-a vectors (copied from the shared test vectors) and tiny random models. */
public final class TinyFixtures {

    private TinyFixtures() {
    }

    private static final java.util.Map<String, Path> EXTRACTED = new java.util.concurrent.ConcurrentHashMap<>();
    private static final List<String> VECTOR_FILES = List.of("adapter_config.json", "adapter_model.safetensors", "config.json",
            "expected.safetensors", "model.safetensors", "vectors.json");

    /**
     * A test resource of the kit as a file: the file itself where the kit is a directory on the class
     * path, a copy in a temporary directory (made once per JVM, deleted at exit) where it is a jar.
     *
     * @param name the resource's path, without a leading slash (e.g. {@code tokenizers/tiny-word-97.json})
     * @return a readable file holding the resource
     */
    public static Path resource(String name) {
        return EXTRACTED.computeIfAbsent(name, TinyFixtures::extract);
    }

    private static Path extractedRoot;

    private static synchronized Path extractRoot() throws java.io.IOException {
        if (extractedRoot == null) {
            extractedRoot = java.nio.file.Files.createTempDirectory("keel-testkit");
            extractedRoot.toFile().deleteOnExit();
        }
        return extractedRoot;
    }

    private static Path extract(String name) {
        java.net.URL url = TinyFixtures.class.getResource("/" + name);
        if (url == null) {
            throw new IllegalStateException("test resource " + name + " is not on the class path");
        }
        try {
            if ("file".equals(url.getProtocol())) {
                return Path.of(url.toURI());
            }
            // one directory for the whole kit, so that files of one fixture (a model directory) stay together
            Path root = extractRoot();
            Path out = root.resolve(name);
            Path d = root;
            for (Path part : root.relativize(out.getParent())) {
                d = d.resolve(part);
                if (!java.nio.file.Files.isDirectory(d)) {
                    try {
                        java.nio.file.Files.createDirectory(d);
                        d.toFile().deleteOnExit(); // registered before its files, so deleted after them
                    } catch (java.nio.file.FileAlreadyExistsException e) {
                        // made at the same moment for another resource of the kit
                    }
                }
            }
            try (java.io.InputStream in = url.openStream()) {
                java.nio.file.Files.copy(in, out);
            }
            out.toFile().deleteOnExit();
            return out;
        } catch (URISyntaxException | java.io.IOException e) {
            throw new IllegalStateException("cannot read test resource " + name + ": " + e.getMessage(), e);
        }
    }

    /** The word-level tokenizer with 97 tokens that the tiny models use. */
    public static Path tinyTokenizer() {
        return resource("tokenizers/tiny-word-97.json");
    }

    private static Path qwen3Dir;

    /**
     * A directory holding Qwen3's real {@code tokenizer.json} (uncompressed once per JVM from the
     * committed {@code tokenizers/qwen3/tokenizer.json.gz}, deleted at exit) and its
     * {@code tokenizer_config.json}; Apache-2.0, see {@code tokenizers/qwen3/README.md}.
     *
     * @return the directory
     */
    public static synchronized Path qwen3TokenizerDir() {
        if (qwen3Dir == null) {
            try {
                Path dir = Files.createTempDirectory("keel-qwen3-tokenizer");
                dir.toFile().deleteOnExit();
                Path json = dir.resolve("tokenizer.json");
                try (java.io.InputStream in = new java.util.zip.GZIPInputStream(
                        Files.newInputStream(resource("tokenizers/qwen3/tokenizer.json.gz")))) {
                    Files.copy(in, json);
                }
                json.toFile().deleteOnExit();
                Path config = dir.resolve("tokenizer_config.json");
                Files.copy(resource("tokenizers/qwen3/tokenizer_config.json"), config);
                config.toFile().deleteOnExit();
                qwen3Dir = dir;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot unpack the Qwen3 tokenizer fixture", e);
            }
        }
        return qwen3Dir;
    }

    /**
     * Qwen3's real {@code tokenizer.json}, see {@link #qwen3TokenizerDir()}.
     *
     * @return the file
     */
    public static Path qwen3Tokenizer() {
        return qwen3TokenizerDir().resolve("tokenizer.json");
    }

    /** The tiny-llama-a directory: config.json, model.safetensors, the adapter and the expected values. */
    public static Path vectorsDir() {
        Path dir = null;
        for (String f : VECTOR_FILES) {
            dir = resource("testvectors/tiny-llama-a/" + f).getParent();
        }
        return dir;
    }

    /**
     * The directory of one architecture's test vectors ({@code qwen2-a}, {@code llama3-a}, {@code qwen3-a},
     * {@code mistral-a}): config.json, model.safetensors, vectors.json and expected.safetensors.
     *
     * @param variant the folder's name under {@code testvectors/}
     * @return the directory
     */
    public static Path vectorsDir(String variant) {
        Path dir = null;
        for (String f : List.of("config.json", "model.safetensors", "vectors.json", "expected.safetensors")) {
            dir = resource("testvectors/" + variant + "/" + f).getParent();
        }
        return dir;
    }

    /**
     * The {@code input_ids} of a vectors directory's {@code vectors.json} as an int64 array.
     *
     * @param dir the vectors directory
     * @param manager where the array is made
     * @return the token ids, [rows, length]
     */
    public static NDArray inputIds(Path dir, NDManager manager) {
        try {
            JsonNode ids = Json.mapper().readTree(Files.readString(dir.resolve("vectors.json"))).get("input_ids");
            long[][] out = new long[ids.size()][];
            for (int i = 0; i < ids.size(); i++) {
                out[i] = new long[ids.get(i).size()];
                for (int j = 0; j < out[i].length; j++) {
                    out[i][j] = ids.get(i).get(j).longValue();
                }
            }
            return manager.create(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The tiny-llama-a model of the vectors, on the CPU.
     *
     * @return the loaded model; the caller closes it
     */
    public static LlamaModel vectorsModel() {
        try {
            return LlamaModel.load(vectorsDir(), Device.cpu());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The vectors' {@code input_ids} as a [2, 11] int64 array.
     *
     * @param manager where the array is made
     * @return the token ids
     */
    public static NDArray vectorsInputIds(NDManager manager) {
        return inputIds(vectorsDir(), manager);
    }

    /**
     * The tiny-llama-a model shared by the tests of one class: loaded before the first, closed after
     * the last. Register it with {@code @RegisterExtension static final TinyFixtures.VectorsModel
     * MODEL = new TinyFixtures.VectorsModel();}.
     */
    public static final class VectorsModel implements BeforeAllCallback, AfterAllCallback {
        private LlamaModel model;

        /**
         * The model, while the test class runs.
         *
         * @return the model
         */
        public LlamaModel get() {
            if (model == null) {
                throw new IllegalStateException("the vectors model is loaded before all tests of the class");
            }
            return model;
        }

        @Override
        public void beforeAll(ExtensionContext context) {
            model = vectorsModel();
        }

        @Override
        public void afterAll(ExtensionContext context) {
            model.close();
            model = null;
        }
    }

    public static JsonNode vectors() {
        try {
            return Json.mapper().readTree(Files.readString(vectorsDir().resolve("vectors.json")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The two input rows of the vectors, every token but the first a target (the reference's plain mean loss). */
    public static List<TrainingExample> vectorExamples() {
        JsonNode ids = vectors().get("input_ids");
        List<TrainingExample> out = new ArrayList<>();
        for (JsonNode row : ids) {
            long[] r = new long[row.size()];
            for (int j = 0; j < r.length; j++) {
                r[j] = row.get(j).longValue();
            }
            out.add(TrainingExample.of(r));
        }
        return out;
    }

    public static float[] expected(String name) {
        try (SafeTensorsFile f = SafeTensorsFile.open(vectorsDir().resolve("expected.safetensors"))) {
            return f.readFloats(name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static LlamaConfig tinyConfig() {
        return LlamaConfig.builder().vocabSize(97).hiddenSize(32).intermediateSize(64).numHiddenLayers(2)
                .numAttentionHeads(4).numKeyValueHeads(2).maxPositionEmbeddings(64).build();
    }

    private static final NDManager ROOT = NDManager.newBaseManager(Device.cpu());

    public static LlamaModel tinyModel(long seed) {
        return LlamaModel.random(tinyConfig(), seed, ROOT);
    }

    /** {@code n} random sequences of {@code len} tokens below 97. */
    public static List<TrainingExample> randomExamples(int n, int len, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<TrainingExample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long[] ids = new long[len];
            for (int j = 0; j < len; j++) {
                ids[j] = 3 + r.nextInt(94);
            }
            out.add(TrainingExample.of(ids));
        }
        return out;
    }

    public static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("length " + a.length + " != " + b.length);
        }
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }
}
