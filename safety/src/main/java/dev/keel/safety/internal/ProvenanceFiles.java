package dev.keel.safety.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.Provenance;
import dev.keel.core.data.AtomicFiles;
import dev.keel.core.data.Json;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** Writes a {@link Provenance} as a JSON sidecar next to an output file. */
public final class ProvenanceFiles {

    /** What is appended to an output's file name to name its sidecar. */
    public static final String SUFFIX = ".provenance.json";

    private ProvenanceFiles() {
    }

    /** The sidecar of {@code output}: the same name with {@link #SUFFIX} appended. */
    public static Path sidecar(Path output) {
        Path abs = output.toAbsolutePath();
        return abs.resolveSibling(abs.getFileName() + SUFFIX);
    }

    /** The provenance as a JSON object: library, model, config, seed, time (ISO-8601). */
    public static ObjectNode toJson(Provenance p) {
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("library", p.library()).put("model", p.model());
        ObjectNode config = o.putObject("config");
        for (Map.Entry<String, String> e : p.config().entrySet()) {
            config.put(e.getKey(), e.getValue());
        }
        o.put("seed", p.seed()).put("time", p.time().toString());
        return o;
    }

    /** Writes the sidecar of {@code output} atomically and returns its path. */
    public static Path write(Path output, Provenance p) throws IOException {
        Path sidecar = sidecar(output);
        try {
            AtomicFiles.writeString(sidecar, Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(toJson(p)) + "\n");
        } catch (JsonProcessingException e) {
            throw new IOException("cannot write provenance for " + output, e);
        }
        return sidecar;
    }
}
