package dev.keel.core;

import dev.keel.core.internal.AtomicFiles;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.internal.ProvenanceJson;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a result came from: library version, model, configuration, seed and time. Every score,
 * mix and training run records one next to its output, as a JSON sidecar file
 * ({@code {"library", "model", "config": {...}, "seed", "time"}}, time in ISO-8601).
 *
 * <pre>{@code
 * Provenance p = Provenance.of("all-MiniLM-L6-v2", Map.of("neighbours", "5"), 42L);
 * p.writeSidecar(out);                               // out + ".provenance.json"
 * Provenance back = Provenance.readSidecar(out);     // equal to p
 * }</pre>
 *
 * @param library the Keel version that produced the result
 * @param model   an identifier of the model used (file name, endpoint model name, ...)
 * @param config  the configuration, as ordered key/value pairs
 * @param seed    the seed of every random choice made
 * @param time    when the run started
 */
public record Provenance(String library, String model, Map<String, String> config, long seed, Instant time) {

    /** What is appended to an output's file name to name its provenance sidecar. */
    public static final String SIDECAR_SUFFIX = ".provenance.json";

    /**
     * A provenance; {@code config} is copied, keeping its order.
     *
     * @param library the Keel version that produced the result
     * @param model   an identifier of the model used
     * @param config  the configuration, as ordered key/value pairs
     * @param seed    the seed of every random choice made
     * @param time    when the run started
     * @throws NullPointerException if {@code library}, {@code model}, {@code config} or {@code time} is null
     */
    public Provenance {
        Preconditions.notNull(library, "library");
        Preconditions.notNull(model, "model");
        config = Collections.unmodifiableMap(new LinkedHashMap<>(Preconditions.notNull(config, "config")));
        Preconditions.notNull(time, "time");
    }

    /**
     * A provenance for the current library version, stamped now.
     *
     * @param model  an identifier of the model used
     * @param config the configuration, as ordered key/value pairs
     * @param seed   the seed of every random choice made
     * @return the provenance
     * @throws NullPointerException if {@code model} or {@code config} is null
     */
    public static Provenance of(String model, Map<String, String> config, long seed) {
        return new Provenance(KeelVersion.get(), model, config, seed, Instant.now());
    }

    /**
     * This provenance as pretty-printed JSON, the content of its sidecar file.
     *
     * @return the JSON text
     */
    public String toJsonString() {
        return Json.toPrettyString(ProvenanceJson.toJson(this));
    }

    /**
     * Reads a provenance from its JSON text (as {@link #toJsonString()} writes it).
     *
     * @param json the JSON text
     * @return the provenance
     * @throws NullPointerException     if {@code json} is null
     * @throws IllegalArgumentException if {@code json} is not valid JSON or a field is missing or
     *                                  of the wrong type (the message names it)
     */
    public static Provenance parse(String json) {
        return ProvenanceJson.fromJson(Json.parseObject(json));
    }

    /**
     * The sidecar file of {@code output}: the same name with {@value #SIDECAR_SUFFIX} appended.
     *
     * @param output the output file
     * @return the sidecar's path, absolute
     */
    public static Path sidecar(Path output) {
        Path abs = output.toAbsolutePath();
        return abs.resolveSibling(abs.getFileName() + SIDECAR_SUFFIX);
    }

    /**
     * Writes this provenance, pretty-printed, as the sidecar of {@code output} (atomically).
     *
     * @param output the output file the provenance belongs to
     * @return the sidecar's path
     * @throws IOException if the file cannot be written
     */
    public Path writeSidecar(Path output) throws IOException {
        Path file = sidecar(output);
        AtomicFiles.writeString(file, toJsonString());
        return file;
    }

    /**
     * Reads the sidecar of {@code output}.
     *
     * @param output the output file the provenance belongs to
     * @return the provenance
     * @throws IOException              if the sidecar cannot be read
     * @throws IllegalArgumentException if the sidecar is not a provenance (the message names the file
     *                                  and what is wrong)
     */
    public static Provenance readSidecar(Path output) throws IOException {
        Path file = sidecar(output);
        String text = dev.keel.core.internal.TextFiles.readUtf8(file);
        try {
            return parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }
}
