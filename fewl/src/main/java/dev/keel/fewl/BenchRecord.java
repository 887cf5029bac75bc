package dev.keel.fewl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.JsonLines;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

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

    /**
     * Checks and copies the components.
     *
     * @param id         unique in the file, not blank
     * @param question   the question, not blank
     * @param references the reference answers, at least one, model names distinct
     * @param correct    correct answers, none blank
     * @param incorrect  incorrect answers, none blank
     * @throws IllegalArgumentException naming the item if a check fails
     * @throws NullPointerException     if {@code id}, {@code correct} or {@code incorrect} is null
     */
    public BenchRecord {
        Preconditions.notBlank(id, "id");
        if (question == null || question.isBlank()) {
            throw new IllegalArgumentException("item " + id + ": question must not be blank");
        }
        references = Reference.checkDistinct(id, references);
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

    /**
     * Parses one line of a benchmark file (see the class comment); unknown fields are ignored.
     *
     * @param line one JSON object
     * @return the record
     * @throws NullPointerException     if {@code line} is null
     * @throws IllegalArgumentException if the line is not a JSON object or not a valid record,
     *                                  naming the item id where it is known
     */
    public static BenchRecord parse(String line) {
        return fromJson(JsonForms.object(line));
    }

    /** Parses one line's object; errors name the item id where it is known. */
    static BenchRecord fromJson(JsonNode node) {
        String id = JsonLines.requireText(node, "id");
        return JsonForms.namingItem(id, () -> new BenchRecord(id, JsonLines.requireText(node, "question"), JsonForms.references(node),
                JsonLines.textList(node, "correct", true), JsonLines.textList(node, "incorrect", true)));
    }

    /** This record as a JSON object. */
    ObjectNode toJson() {
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("id", id).put("question", question);
        JsonForms.putReferences(o, references);
        ArrayNode c = o.putArray("correct");
        correct.forEach(c::add);
        ArrayNode w = o.putArray("incorrect");
        incorrect.forEach(w::add);
        return o;
    }

    /**
     * This record as one line of a benchmark file, without the line break; {@link #parse} reads it back.
     *
     * @return compact JSON
     */
    public String toJsonLine() {
        return Json.toLine(toJson());
    }

    /**
     * Writes {@code records} to {@code file} atomically, one {@link #toJsonLine()} a line, for
     * {@link BenchQuestion#read} to read.
     *
     * @param file    where to write
     * @param records the records
     * @throws IOException          if the file cannot be written (nothing replaces it then)
     * @throws NullPointerException if {@code file} or {@code records} is null
     */
    public static void writeAll(Path file, List<BenchRecord> records) throws IOException {
        JsonLines.write(file, Preconditions.noNulls(records, "records"), BenchRecord::toJson);
    }
}
