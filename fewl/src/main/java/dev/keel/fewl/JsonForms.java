package dev.keel.fewl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.JsonLines;
import dev.keel.core.internal.Preconditions;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The JSON tree forms the fewl types share, kept out of their public signatures: one line's text to
 * an object node, and the {@code references} array both item and benchmark lines carry.
 */
final class JsonForms {

    private JsonForms() {
    }

    /**
     * Parses one line of JSON that must be an object.
     *
     * @param line the text
     * @return the object
     * @throws NullPointerException     if {@code line} is null
     * @throws IllegalArgumentException if it is not JSON or not an object
     */
    static JsonNode object(String line) {
        Preconditions.notNull(line, "line");
        JsonNode node;
        try {
            node = Json.mapper().readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("malformed JSON: " + e.getOriginalMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("expected a JSON object, got "
                    + (node == null ? "nothing" : node.getNodeType().toString().toLowerCase(Locale.ROOT)));
        }
        return node;
    }

    /**
     * The {@code references} array of {@code node}; a blank or missing answer is an error.
     *
     * @param node an item or benchmark line
     * @return the references, in order
     * @throws IllegalArgumentException naming the field or element that is missing or malformed
     */
    static List<Reference> references(JsonNode node) {
        return references(node, null);
    }

    /**
     * The {@code references} array of {@code node}; with {@code unanswered} given, an element whose
     * {@code answer} is missing, null or blank is left out and its model added there.
     *
     * @param node       an item or benchmark line
     * @param unanswered receives the models that did not answer, or {@code null} to refuse them
     * @return the references that answered, in order
     * @throws IllegalArgumentException naming the field or element that is missing or malformed
     */
    static List<Reference> references(JsonNode node, List<String> unanswered) {
        JsonNode arr = JsonLines.requireArray(node, "references");
        List<Reference> refs = new ArrayList<>(arr.size());
        for (int i = 0; i < arr.size(); i++) {
            JsonNode r = arr.get(i);
            if (!r.isObject()) {
                throw new IllegalArgumentException("references[" + i + "] must be an object");
            }
            try {
                if (unanswered != null && blank(r.get("answer"))) {
                    unanswered.add(JsonLines.requireText(r, "model"));
                    continue;
                }
                refs.add(new Reference(JsonLines.requireText(r, "model"), JsonLines.requireText(r, "answer")));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("references[" + i + "]: " + e.getMessage(), e);
            }
        }
        return refs;
    }

    /**
     * Whether a JSON answer field means "did not answer": missing, null, or a blank string.
     *
     * @param answer the field, or {@code null} when missing
     * @return true when there is no answer
     */
    static boolean blank(JsonNode answer) {
        return answer == null || answer.isNull() || (answer.isTextual() && answer.asText().isBlank());
    }

    /**
     * Adds {@code "references": [{"model", "answer"}, ...]} to {@code o}.
     *
     * @param o    the object to add to
     * @param refs the references
     */
    static void putReferences(ObjectNode o, List<Reference> refs) {
        ArrayNode arr = o.putArray("references");
        for (Reference r : refs) {
            arr.addObject().put("model", r.model()).put("answer", r.answer());
        }
    }

    /**
     * Runs {@code parse}, prefixing a message that does not name the item yet with {@code "item ID: "}.
     *
     * @param id    the item's id
     * @param parse what reads the rest of the line
     * @param <T>   what it reads
     * @return what {@code parse} returned
     * @throws IllegalArgumentException what {@code parse} threw, naming the item
     */
    static <T> T namingItem(String id, java.util.function.Supplier<T> parse) {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            throw new IllegalArgumentException(m != null && m.startsWith("item ") ? m : "item " + id + ": " + m, e);
        }
    }
}
