package dev.keel.core.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.Provenance;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The JSON form of a {@link Provenance}, for the modules that embed it in their own JSON: {@code
 * {"library", "model", "config": {...}, "seed", "time"}}, time in ISO-8601. Not API.
 */
public final class ProvenanceJson {

    private ProvenanceJson() {
    }

    /**
     * {@code p} as a JSON object.
     *
     * @param p the provenance
     * @return a new object
     */
    public static ObjectNode toJson(Provenance p) {
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("library", p.library()).put("model", p.model());
        ObjectNode c = o.putObject("config");
        p.config().forEach(c::put);
        o.put("seed", p.seed()).put("time", p.time().toString());
        return o;
    }

    /**
     * Reads a provenance from its JSON object.
     *
     * @param node the object
     * @return the provenance
     * @throws IllegalArgumentException naming the field that is missing or has the wrong type
     */
    public static Provenance fromJson(JsonNode node) {
        String library = JsonLines.requireText(node, "library");
        String model = JsonLines.requireText(node, "model");
        JsonNode c = node.get("config");
        if (c == null || !c.isObject()) {
            throw new IllegalArgumentException("field \"config\" must be an object of strings");
        }
        Map<String, String> config = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = c.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new IllegalArgumentException("field \"config." + e.getKey() + "\" must be a string, was " + e.getValue());
            }
            config.put(e.getKey(), e.getValue().asText());
        }
        JsonNode seed = node.get("seed");
        long seedValue = JsonLines.checkedLong(seed, "field \"seed\"", Long.MIN_VALUE, Long.MAX_VALUE);
        String time = JsonLines.requireText(node, "time");
        Instant at;
        try {
            at = Instant.parse(time);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("field \"time\" must be an ISO-8601 instant, was \"" + time + "\"", e);
        }
        return new Provenance(library, model, config, seedValue, at);
    }
}
