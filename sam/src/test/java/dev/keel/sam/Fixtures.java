package dev.keel.sam;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.core.data.Json;
import dev.keel.core.lm.LlamaConfig;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.safetensors.SafeTensorsFile;
import dev.keel.core.lm.train.TrainingExample;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Test fixtures: the tiny-llama-a vectors (copied from the shared test vectors) and tiny random models. */
final class Fixtures {

    private Fixtures() {
    }

    static Path resource(String name) {
        try {
            return Path.of(Fixtures.class.getResource("/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The tiny-llama-a directory: config.json, model.safetensors, the adapter and the expected values. */
    static Path vectorsDir() {
        return resource("testvectors/tiny-llama-a/config.json").getParent();
    }

    static JsonNode vectors() {
        try {
            return Json.mapper().readTree(Files.readString(vectorsDir().resolve("vectors.json")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The two input rows of the vectors, every token but the first a target (the reference's plain mean loss). */
    static List<TrainingExample> vectorExamples() {
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

    static float[] expected(String name) {
        try (SafeTensorsFile f = SafeTensorsFile.open(vectorsDir().resolve("expected.safetensors"))) {
            return f.readFloats(name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static LlamaConfig tinyConfig() {
        return LlamaConfig.builder().vocabSize(97).hiddenSize(32).intermediateSize(64).numHiddenLayers(2)
                .numAttentionHeads(4).numKeyValueHeads(2).maxPositionEmbeddings(64).build();
    }

    private static final NDManager ROOT = NDManager.newBaseManager(Device.cpu());

    static LlamaModel tinyModel(long seed) {
        return LlamaModel.random(tinyConfig(), seed, ROOT);
    }

    /** {@code n} random sequences of {@code len} tokens below 97. */
    static List<TrainingExample> randomExamples(int n, int len, long seed) {
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

    static double maxAbsDiff(float[] a, float[] b) {
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
