package dev.keel.fewl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.JsonLines;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One line of a benchmark file:
 * <pre>{@code
 * {"id": "q1", "question": "...", "references": [{"model": "a", "answer": "..."}],
 *  "correct": ["...", "..."], "incorrect": ["...", "..."]}
 * }</pre>
 * Unknown fields are ignored. {@link BenchQuestion#split} turns it into CO/IW answers and candidates.
 *
 * @param id         unique in the file
 * @param question   the question
 * @param references the reference LLMs' answers, at least one, model names distinct
 * @param correct    correct answers (none blank)
 * @param incorrect  incorrect answers (none blank)
 */
public record BenchRecord(String id, String question, List<Reference> references, List<String> correct, List<String> incorrect) {

    public BenchRecord {
        Preconditions.notBlank(id, "id");
        if (question == null || question.isBlank()) {
            throw new IllegalArgumentException("item " + id + ": question must not be blank");
        }
        if (references == null || references.isEmpty()) {
            throw new IllegalArgumentException("item " + id + ": needs at least one reference answer, has none");
        }
        Set<String> models = new HashSet<>();
        for (Reference r : references) {
            if (!models.add(r.model())) {
                throw new IllegalArgumentException("item " + id + ": reference model \"" + r.model() + "\" appears twice");
            }
        }
        references = List.copyOf(references);
        correct = texts(id, "correct", correct);
        incorrect = texts(id, "incorrect", incorrect);
    }

    private static List<String> texts(String id, String name, List<String> t) {
        Preconditions.notNull(t, name);
        for (int i = 0; i < t.size(); i++) {
            if (t.get(i) == null || t.get(i).isBlank()) {
                throw new IllegalArgumentException("item " + id + ": " + name + "[" + i + "] is an empty answer");
            }
        }
        return List.copyOf(t);
    }

    /** Parses one line's object; errors name the item id where it is known. */
    public static BenchRecord fromJson(JsonNode node) {
        String id = JsonLines.requireText(node, "id");
        try {
            return new BenchRecord(id, JsonLines.requireText(node, "question"), FewlItem.referencesFromJson(node),
                    JsonLines.textList(node, "correct", true), JsonLines.textList(node, "incorrect", true));
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            throw new IllegalArgumentException(m != null && m.startsWith("item ") ? m : "item " + id + ": " + m, e);
        }
    }

    /** This record as a JSON object. */
    public ObjectNode toJson() {
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("id", id).put("question", question);
        ArrayNode refs = o.putArray("references");
        for (Reference r : references) {
            refs.addObject().put("model", r.model()).put("answer", r.answer());
        }
        ArrayNode c = o.putArray("correct");
        correct.forEach(c::add);
        ArrayNode w = o.putArray("incorrect");
        incorrect.forEach(w::add);
        return o;
    }
}
