package dev.keel.fewl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.data.DatasetException;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.JsonLines;
import dev.keel.core.internal.Preconditions;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One line of a multi-model benchmark: several models' answers to one question, each with a human
 * judgement.
 * <pre>{@code
 * {"id": "nq-1", "question": "who got the first nobel prize in physics",
 *  "answers": [{"model": "fid", "answer": "Wilhelm Röntgen", "label": "truthful"},
 *              {"model": "gpt4", "answer": "The first Nobel Prize ...", "label": "truthful"}]}
 * }</pre>
 * Every answered, labelled answer is a candidate, scored with the <em>other</em> models' answers to
 * the same question as its references (leave-one-out; see {@link HallucinationBenchmark#runMultiModel}).
 * An answer that is missing, null or blank is a model that did not answer; an answer without a label
 * is a reference only. Unknown fields are ignored.
 *
 * @param id       unique in the file, not blank
 * @param question the question, not blank
 * @param answers  the models' answers, model names distinct
 */
public record MultiModelRecord(String id, String question, List<ModelAnswer> answers) {

    /**
     * Checks and copies the components.
     *
     * @param id       unique in the file, not blank
     * @param question the question, not blank
     * @param answers  the answers, none null, model names distinct
     * @throws IllegalArgumentException naming the item if a check fails
     * @throws NullPointerException     if {@code id} or {@code answers} is null
     */
    public MultiModelRecord {
        Preconditions.notBlank(id, "id");
        if (question == null || question.isBlank()) {
            throw new IllegalArgumentException("item " + id + ": question must not be blank");
        }
        Preconditions.notNull(answers, "answers");
        Set<String> models = new HashSet<>();
        for (int i = 0; i < answers.size(); i++) {
            ModelAnswer a = answers.get(i);
            if (a == null) {
                throw new IllegalArgumentException("item " + id + ": answers[" + i + "] is null");
            }
            if (!models.add(a.model())) {
                throw new IllegalArgumentException("item " + id + ": model \"" + a.model() + "\" appears twice");
            }
        }
        answers = List.copyOf(answers);
    }

    /**
     * The answers of the models that answered, as references.
     *
     * @return the references, in order
     */
    public List<Reference> references() {
        List<Reference> out = new ArrayList<>();
        for (ModelAnswer a : answers) {
            if (a.answered()) {
                out.add(new Reference(a.model(), a.answer()));
            }
        }
        return out;
    }

    /**
     * The models that did not answer (answer missing, null or blank).
     *
     * @return their names, in order
     */
    public List<String> unanswered() {
        return answers.stream().filter(a -> !a.answered()).map(ModelAnswer::model).toList();
    }

    /**
     * Leave-one-out items: one per candidate (answered and labelled), id {@code id#model}, with every
     * <em>other</em> answered model as a reference; the models that did not answer are named in
     * {@link FewlItem#unanswered()}. A candidate no other model answered gets no reference.
     *
     * @return the candidates' items, in answer order
     */
    public List<FewlItem> items() {
        List<FewlItem> out = new ArrayList<>();
        List<String> none = unanswered();
        for (ModelAnswer c : answers) {
            if (!c.candidate()) {
                continue;
            }
            List<Reference> refs = new ArrayList<>();
            for (ModelAnswer r : answers) {
                if (r != c && r.answered()) {
                    refs.add(new Reference(r.model(), r.answer()));
                }
            }
            List<String> missing = refs.isEmpty() && none.isEmpty() ? List.of("(no other model)") : none;
            out.add(new FewlItem(id + "#" + c.model(), question, c.answer(), refs, List.of(), List.of(), c.label(), missing));
        }
        return out;
    }

    /**
     * Parses one line (see the class comment).
     *
     * @param line one JSON object
     * @return the record
     * @throws NullPointerException     if {@code line} is null
     * @throws IllegalArgumentException if the line is not a JSON object or not a valid record, naming the item where known
     */
    public static MultiModelRecord parse(String line) {
        return fromJson(JsonForms.object(line));
    }

    /** Parses one line's object; errors name the item id where it is known. */
    static MultiModelRecord fromJson(JsonNode node) {
        String id = JsonLines.requireText(node, "id");
        return JsonForms.namingItem(id, () -> {
            String question = JsonLines.requireText(node, "question");
            if (!node.has("answers") && (node.has("correct") || node.has("incorrect"))) {
                throw new IllegalArgumentException("a gold-answer line (correct/incorrect) where a multi-model line "
                        + "(answers) was expected: every line of a benchmark file has the first line's shape");
            }
            JsonNode arr = JsonLines.requireArray(node, "answers");
            List<ModelAnswer> answers = new ArrayList<>(arr.size());
            for (int i = 0; i < arr.size(); i++) {
                JsonNode a = arr.get(i);
                if (!a.isObject()) {
                    throw new IllegalArgumentException("answers[" + i + "] must be an object");
                }
                try {
                    String model = JsonLines.requireText(a, "model");
                    JsonNode text = a.get("answer");
                    if (text != null && !text.isNull() && !text.isTextual()) {
                        throw new IllegalArgumentException("\"answer\" must be a string or null");
                    }
                    String label = JsonLines.optionalText(a, "label");
                    answers.add(new ModelAnswer(model, JsonForms.blank(text) ? null : text.asText(),
                            label == null ? null : Label.fromWireName(label)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("answers[" + i + "]: " + e.getMessage(), e);
                }
            }
            return new MultiModelRecord(id, question, answers);
        });
    }

    /** This record as a JSON object (a missing answer as null, a missing label left out). */
    ObjectNode toJson() {
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("id", id).put("question", question);
        ArrayNode arr = o.putArray("answers");
        for (ModelAnswer a : answers) {
            ObjectNode n = arr.addObject().put("model", a.model());
            if (a.answer() == null) {
                n.putNull("answer");
            } else {
                n.put("answer", a.answer());
            }
            if (a.label() != null) {
                n.put("label", a.label().wireName());
            }
        }
        return o;
    }

    /**
     * This record as one line, without the line break; {@link #parse} reads it back.
     *
     * @return compact JSON
     */
    public String toJsonLine() {
        return Json.toLine(toJson());
    }

    /**
     * Writes {@code records} to {@code file} atomically, one {@link #toJsonLine()} a line.
     *
     * @param file    where to write
     * @param records the records
     * @throws IOException          if the file cannot be written (nothing replaces it then)
     * @throws NullPointerException if {@code file} or {@code records} is null
     */
    public static void writeAll(Path file, List<MultiModelRecord> records) throws IOException {
        JsonLines.write(file, Preconditions.noNulls(records, "records"), MultiModelRecord::toJson);
    }

    /**
     * Reads a multi-model benchmark file. A bad line (malformed JSON, no {@code question} or
     * {@code answers}, a model twice, an unknown label, a duplicate id) is a {@link DatasetException}
     * naming the file and line.
     *
     * @param file the file
     * @return the records, in file order
     * @throws IOException      if the file cannot be read
     * @throws DatasetException for a bad line
     */
    public static List<MultiModelRecord> readAll(Path file) throws IOException {
        Preconditions.notNull(file, "file");
        List<MultiModelRecord> out = new ArrayList<>();
        Map<String, Long> seen = new HashMap<>();
        JsonLines.forEach(file, MultiModelRecord::fromJson, (r, line) -> {
            Long first = seen.putIfAbsent(r.id(), line);
            if (first != null) {
                throw new DatasetException(file, line, "duplicate id \"" + r.id() + "\" (first on line " + first + ")");
            }
            out.add(r);
        });
        return out;
    }
}
