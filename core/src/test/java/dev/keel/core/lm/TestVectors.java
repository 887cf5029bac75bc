package dev.keel.core.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.core.internal.Json;
import dev.keel.core.lm.safetensors.SafeTensorsFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The tiny-llama-a test vectors, from the test resources (copied from the shared test vectors). */
public final class TestVectors {

    private TestVectors() {
    }

    /** The directory holding config.json, model.safetensors, the adapter and the expected values. */
    public static Path dir() {
        try {
            return Path.of(TestVectors.class.getResource("/testvectors/tiny-llama-a/config.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static JsonNode vectors() {
        try {
            return Json.mapper().readTree(Files.readString(dir().resolve("vectors.json")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code input_ids} as a [2, 11] int64 array. */
    public static NDArray inputIds(NDManager m) {
        JsonNode ids = vectors().get("input_ids");
        long[][] out = new long[ids.size()][];
        for (int i = 0; i < ids.size(); i++) {
            out[i] = new long[ids.get(i).size()];
            for (int j = 0; j < out[i].length; j++) {
                out[i][j] = ids.get(i).get(j).longValue();
            }
        }
        return m.create(out);
    }

    public static float[] expected(String name) {
        try (SafeTensorsFile f = SafeTensorsFile.open(dir().resolve("expected.safetensors"))) {
            return f.readFloats(name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
