package dev.keel.core;

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
}
