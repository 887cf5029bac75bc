package dev.keel.fewl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.JsonLines;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A question, a candidate answer to score, and the reference LLMs' answers to the same question.
 * Optionally intentionally wrong (IW) and corrected (CO) answers for the expertise weights, and a
 * {@link Label} for benchmarks. In JSON Lines:
 * <pre>{@code
 * {"id": "q1", "question": "...", "answer": "...", "references": [{"model": "a", "answer": "..."}],
 *  "wrongAnswers": ["..."], "correctedAnswers": ["..."], "label": "truthful"}
 * }</pre>
 *
 * @param id               unique within a run, not blank
 * @param question         the question, not blank
 * @param answer           the candidate answer, not blank
 * @param references       at least one reference answer, model names distinct
 * @param wrongAnswers     intentionally wrong answers to the question (may be empty)
 * @param correctedAnswers corrected answers to the question (may be empty)
 * @param label            the known label, or {@code null}
 */
public record FewlItem(String id, String question, String answer, List<Reference> references,
                       List<String> wrongAnswers, List<String> correctedAnswers, Label label) {

    public FewlItem {
        Preconditions.notBlank(id, "id");
        if (question == null || question.isBlank()) {
            throw new IllegalArgumentException("item " + id + ": question must not be blank");
        }
        if (answer == null || answer.isBlank()) {
            throw new IllegalArgumentException("item " + id + ": answer must not be empty");
        }
        if (references == null || references.isEmpty()) {
            throw new IllegalArgumentException("item " + id + ": needs at least one reference answer, has none");
        }
        Set<String> models = new HashSet<>();
        for (int i = 0; i < references.size(); i++) {
            Reference r = references.get(i);
            if (r == null) {
                throw new IllegalArgumentException("item " + id + ": reference " + i + " is null");
            }
            if (!models.add(r.model())) {
                throw new IllegalArgumentException("item " + id + ": reference model \"" + r.model() + "\" appears twice");
            }
        }
        references = List.copyOf(references);
        wrongAnswers = checkTexts(id, "wrongAnswers", wrongAnswers);
        correctedAnswers = checkTexts(id, "correctedAnswers", correctedAnswers);
    }

    private static List<String> checkTexts(String id, String name, List<String> texts) {
        if (texts == null) {
            return List.of();
        }
        for (int i = 0; i < texts.size(); i++) {
            String t = texts.get(i);
            if (t == null || t.isBlank()) {
                throw new IllegalArgumentException("item " + id + ": " + name + "[" + i + "] must not be empty");
            }
        }
        return List.copyOf(texts);
    }

    /** An item without IW/CO answers and without a label. */
    public static FewlItem of(String id, String question, String answer, List<Reference> references) {
        return new FewlItem(id, question, answer, references, List.of(), List.of(), null);
    }

    /** This item with the given IW and CO answers. */
    public FewlItem withExpertiseAnswers(List<String> wrong, List<String> corrected) {
        return new FewlItem(id, question, answer, references, wrong, corrected, label);
    }

    /** This item with the given label. */
    public FewlItem withLabel(Label newLabel) {
        return new FewlItem(id, question, answer, references, wrongAnswers, correctedAnswers, newLabel);
    }

    /** Whether IW or CO answers are present. */
    public boolean hasExpertiseAnswers() {
        return !wrongAnswers.isEmpty() || !correctedAnswers.isEmpty();
    }

    /** Parses one JSON object; unknown fields are ignored; errors name the item id where known. */
    public static FewlItem fromJson(JsonNode node) {
        String id = JsonLines.requireText(node, "id");
        try {
            String question = JsonLines.requireText(node, "question");
            String answer = JsonLines.requireText(node, "answer");
            List<Reference> refs = referencesFromJson(node);
            List<String> wrong = JsonLines.textList(node, "wrongAnswers", false);
            List<String> corrected = JsonLines.textList(node, "correctedAnswers", false);
            String label = JsonLines.optionalText(node, "label");
            return new FewlItem(id, question, answer, refs, wrong, corrected, label == null ? null : Label.fromWireName(label));
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            throw new IllegalArgumentException(m != null && m.startsWith("item ") ? m : "item " + id + ": " + m, e);
        }
    }

    static List<Reference> referencesFromJson(JsonNode node) {
        JsonNode arr = JsonLines.requireArray(node, "references");
        List<Reference> refs = new ArrayList<>(arr.size());
        for (int i = 0; i < arr.size(); i++) {
            JsonNode r = arr.get(i);
            if (!r.isObject()) {
                throw new IllegalArgumentException("references[" + i + "] must be an object");
            }
            try {
                refs.add(new Reference(JsonLines.requireText(r, "model"), JsonLines.requireText(r, "answer")));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("references[" + i + "]: " + e.getMessage(), e);
            }
        }
        return refs;
    }

    /** This item as a JSON object (empty lists and a missing label are left out). */
    public ObjectNode toJson() {
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("id", id).put("question", question).put("answer", answer);
        ArrayNode refs = o.putArray("references");
        for (Reference r : references) {
            refs.addObject().put("model", r.model()).put("answer", r.answer());
        }
        if (!wrongAnswers.isEmpty()) {
            ArrayNode a = o.putArray("wrongAnswers");
            wrongAnswers.forEach(a::add);
        }
        if (!correctedAnswers.isEmpty()) {
            ArrayNode a = o.putArray("correctedAnswers");
            correctedAnswers.forEach(a::add);
        }
        if (label != null) {
            o.put("label", label.wireName());
        }
        return o;
    }

    /**
     * Reads items from a JSON Lines file. A bad line, including a duplicate id, is a
     * {@link dev.keel.core.data.DatasetException} naming the file and line.
     */
    public static List<FewlItem> readAll(Path file) throws IOException {
        List<FewlItem> out = new ArrayList<>();
        java.util.Map<String, Long> seen = new java.util.HashMap<>();
        JsonLines.forEach(file, FewlItem::fromJson, (item, line) -> {
            Long first = seen.putIfAbsent(item.id(), line);
            if (first != null) {
                throw new dev.keel.core.data.DatasetException(file, line, "duplicate id \"" + item.id() + "\" (first on line " + first + ")");
            }
            out.add(item);
        });
        return out;
    }
}
