package dev.keel.fewl.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.Provenance;
import dev.keel.core.data.Json;

/** Writes a {@link Provenance} as JSON (the time as an ISO-8601 string). */
public final class ProvenanceJson {

    private ProvenanceJson() {
    }

    /** {@code {"library", "model", "config": {...}, "seed", "time"}}. */
    public static ObjectNode toJson(Provenance p) {
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("library", p.library()).put("model", p.model());
        ObjectNode c = o.putObject("config");
        p.config().forEach(c::put);
        o.put("seed", p.seed()).put("time", p.time().toString());
        return o;
    }
}
