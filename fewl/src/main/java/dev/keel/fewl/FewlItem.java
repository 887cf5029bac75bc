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
import java.util.List;

/**
 * A question, a candidate answer to score, and the reference LLMs' answers to the same question.
 * Optionally intentionally wrong (IW) and corrected (CO) answers for the expertise weights, and a
 * {@link Label} for benchmarks. In JSON Lines:
 * <pre>{@code
 * {"id": "q1", "question": "...", "answer": "...", "references": [{"model": "a", "answer": "..."}],
 *  "wrongAnswers": ["..."], "correctedAnswers": ["..."], "label": "truthful"}
 * }</pre>
 * A reference whose {@code answer} is missing, null or blank did not answer: it is left out of
 * {@link #references()} and named in {@link #unanswered()}, never a failed line.
 *
 * @param id               unique within a run, not blank
 * @param question         the question, not blank
 * @param answer           the candidate answer, not blank
 * @param references       at least one reference answer, model names distinct
 * @param wrongAnswers     intentionally wrong answers to the question (may be empty)
 * @param correctedAnswers corrected answers to the question (may be empty)
 * @param label            the known label, or {@code null}
 * @param unanswered       the models whose reference answer was blank or missing: references that
 *                         did not answer, skipped (a reader puts them here; the score's notes count them)
 */
public record FewlItem(String id, String question, String answer, List<Reference> references,
                       List<String> wrongAnswers, List<String> correctedAnswers, Label label, List<String> unanswered) {

    /**
     * Checks and copies the components; {@code null} IW/CO lists become empty.
     *
     * @param id               unique within a run, not blank
     * @param question         the question, not blank
     * @param answer           the candidate answer, not blank
     * @param references       at least one reference answer, model names distinct
     * @param wrongAnswers     intentionally wrong answers, none blank, or {@code null}
     * @param correctedAnswers corrected answers, none blank, or {@code null}
     * @param label            the known label, or {@code null}
     * @param unanswered       models whose answer was blank or missing, or {@code null} for none;
     *                         {@code references} may be empty only when this is not
     * @throws IllegalArgumentException naming the item if a check fails
     * @throws NullPointerException     if {@code id} is null
     */
    public FewlItem {
        Preconditions.notBlank(id, "id");
        if (question == null || question.isBlank()) {
            throw new IllegalArgumentException("item " + id + ": question must not be blank");
        }
        if (answer == null || answer.isBlank()) {
            throw new IllegalArgumentException("item " + id + ": answer must not be empty");
        }
        unanswered = unanswered == null ? List.of() : List.copyOf(unanswered);
        references = unanswered.isEmpty() || (references != null && !references.isEmpty())
                ? Reference.checkDistinct(id, references) : List.of();
        wrongAnswers = checkTexts(id, "wrongAnswers", wrongAnswers);
        correctedAnswers = checkTexts(id, "correctedAnswers", correctedAnswers);
    }

    /**
     * An item whose references all answered.
     *
     * @param id               unique within a run, not blank
     * @param question         the question, not blank
     * @param answer           the candidate answer, not blank
     * @param references       at least one reference answer, model names distinct
     * @param wrongAnswers     intentionally wrong answers, none blank, or {@code null}
     * @param correctedAnswers corrected answers, none blank, or {@code null}
     * @param label            the known label, or {@code null}
     * @throws IllegalArgumentException naming the item if a check fails
     * @throws NullPointerException     if {@code id} is null
     */
    public FewlItem(String id, String question, String answer, List<Reference> references,
                    List<String> wrongAnswers, List<String> correctedAnswers, Label label) {
        this(id, question, answer, references, wrongAnswers, correctedAnswers, label, List.of());
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

    /**
     * An item without IW/CO answers and without a label.
     *
     * @param id         unique within a run, not blank
     * @param question   the question, not blank
     * @param answer     the candidate answer, not blank
     * @param references at least one reference answer, model names distinct
     * @return the item
     * @throws IllegalArgumentException naming the item if a check fails
     */
    public static FewlItem of(String id, String question, String answer, List<Reference> references) {
        return new FewlItem(id, question, answer, references, List.of(), List.of(), null);
    }

    /**
     * This item with the given IW and CO answers.
     *
     * @param wrong     intentionally wrong answers, none blank
     * @param corrected corrected answers, none blank
     * @return the new item
     * @throws IllegalArgumentException naming the item if an answer is blank
     */
    public FewlItem withExpertiseAnswers(List<String> wrong, List<String> corrected) {
        return new FewlItem(id, question, answer, references, wrong, corrected, label, unanswered);
    }

    /**
     * This item with the given label.
     *
     * @param newLabel the label, or {@code null} for none
     * @return the new item
     */
    public FewlItem withLabel(Label newLabel) {
        return new FewlItem(id, question, answer, references, wrongAnswers, correctedAnswers, newLabel, unanswered);
    }

    /**
     * This item with other references (the same unanswered models).
     *
     * @param newReferences the references, model names distinct
     * @return the new item
     * @throws IllegalArgumentException naming the item if a check fails
     */
    public FewlItem withReferences(List<Reference> newReferences) {
        return new FewlItem(id, question, answer, newReferences, wrongAnswers, correctedAnswers, label, unanswered);
    }

    /**
     * Whether IW or CO answers are present.
     *
     * @return true if either list is not empty
     */
    public boolean hasExpertiseAnswers() {
        return !wrongAnswers.isEmpty() || !correctedAnswers.isEmpty();
    }

    /**
     * Parses one line of an items file (see the class comment); unknown fields are ignored.
     *
     * @param line one JSON object
     * @return the item
     * @throws NullPointerException     if {@code line} is null
     * @throws IllegalArgumentException if the line is not a JSON object or not a valid item, naming
     *                                  the item id where it is known
     */
    public static FewlItem parse(String line) {
        return fromJson(JsonForms.object(line));
    }

    /** Parses one JSON object; unknown fields are ignored; errors name the item id where known. */
    static FewlItem fromJson(JsonNode node) {
        String id = JsonLines.requireText(node, "id");
        return JsonForms.namingItem(id, () -> {
            String question = JsonLines.requireText(node, "question");
            String answer = JsonLines.requireText(node, "answer");
            List<String> unanswered = new ArrayList<>();
            List<Reference> refs = JsonForms.references(node, unanswered);
            List<String> wrong = JsonLines.textList(node, "wrongAnswers", false);
            List<String> corrected = JsonLines.textList(node, "correctedAnswers", false);
            String label = JsonLines.optionalText(node, "label");
            return new FewlItem(id, question, answer, refs, wrong, corrected, label == null ? null : Label.fromWireName(label), unanswered);
        });
    }

    /** This item as a JSON object (empty lists and a missing label are left out). */
    ObjectNode toJson() {
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("id", id).put("question", question).put("answer", answer);
        JsonForms.putReferences(o, references);
        for (String m : unanswered) {
            ((ArrayNode) o.get("references")).addObject().put("model", m).putNull("answer");
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
     * This item as one line of an items file, without the line break; {@link #parse} reads it back.
     * Empty lists and a missing label are left out.
     *
     * @return compact JSON
     */
    public String toJsonLine() {
        return Json.toLine(toJson());
    }

    /**
     * Writes {@code items} to {@code file} atomically, one {@link #toJsonLine()} a line.
     *
     * @param file  where to write
     * @param items the items
     * @throws IOException          if the file cannot be written (nothing replaces it then)
     * @throws NullPointerException if {@code file} or {@code items} is null
     */
    public static void writeAll(Path file, List<FewlItem> items) throws IOException {
        JsonLines.write(file, Preconditions.noNulls(items, "items"), FewlItem::toJson);
    }

    /**
     * Reads items from a JSON Lines file, one {@link #parse} a line.
     *
     * @param file the file
     * @return the items, in file order
     * @throws IOException      if the file cannot be read
     * @throws dev.keel.core.data.DatasetException for a bad line, including a duplicate id, naming the file and line
     */
    public static List<FewlItem> readAll(Path file) throws IOException {
        Preconditions.notNull(file, "file");
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
