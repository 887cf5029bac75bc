package dev.keel.core;

import dev.keel.core.internal.Preconditions;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.internal.AtomicFiles;
import dev.keel.core.internal.Json;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a result came from: library version, model, configuration, seed and time. Every score,
 * mix and training run records one next to its output.
 *
 * @param library the Keel version that produced the result
 * @param model   an identifier of the model used (file name, endpoint model name, ...)
 * @param config  the configuration, as ordered key/value pairs
 * @param seed    the seed of every random choice made
 * @param time    when the run started
 */
public record Provenance(String library, String model, Map<String, String> config, long seed, Instant time) {

    public Provenance {
        Preconditions.notNull(library, "library");
        Preconditions.notNull(model, "model");
        config = Collections.unmodifiableMap(new LinkedHashMap<>(Preconditions.notNull(config, "config")));
        Preconditions.notNull(time, "time");
    }

    /** A provenance for the current library version, stamped now. */
    public static Provenance of(String model, Map<String, String> config, long seed) {
        return new Provenance(KeelVersion.get(), model, config, seed, Instant.now());
    }

    /** What is appended to an output's file name to name its provenance sidecar. */
    public static final String SIDECAR_SUFFIX = ".provenance.json";

    /** This provenance as JSON: {@code {"library", "model", "config": {...}, "seed", "time"}}, time in ISO-8601. */
    public ObjectNode toJson() {
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("library", library).put("model", model);
        ObjectNode c = o.putObject("config");
        config.forEach(c::put);
        o.put("seed", seed).put("time", time.toString());
        return o;
    }

    /** The sidecar file of {@code output}: the same name with {@value #SIDECAR_SUFFIX} appended. */
    public static Path sidecar(Path output) {
        Path abs = output.toAbsolutePath();
        return abs.resolveSibling(abs.getFileName() + SIDECAR_SUFFIX);
    }

    /** Writes this provenance, pretty-printed, as the sidecar of {@code output} (atomically); returns its path. */
    public Path writeSidecar(Path output) throws IOException {
        Path file = sidecar(output);
        AtomicFiles.writeString(file, Json.toPrettyString(toJson()));
        return file;
    }
}
