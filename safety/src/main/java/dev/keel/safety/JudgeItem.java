package dev.keel.safety;

import dev.keel.core.data.DatasetException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.JsonLines;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * One model response to judge: a line of a responses file,
 * {@code {"id", "category", "instruction", "response"}}.
 *
 * @param id          an identifier carried through to the verdict, not blank
 * @param category    the policy category of the instruction
 * @param instruction the (harmful) instruction the model was given
 * @param response    what the model answered (may be empty, never null)
 */
public record JudgeItem(String id, PolicyCategory category, String instruction, String response) {

    /**
     * An item.
     *
     * @param id          an identifier carried through to the verdict, not blank
     * @param category    the policy category of the instruction
     * @param instruction the instruction the model was given
     * @param response    what the model answered (may be empty)
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if {@code id} is blank
     */
    public JudgeItem {
        Preconditions.notBlank(id, "id");
        Preconditions.notNull(category, "category");
        Preconditions.notNull(instruction, "instruction");
        Preconditions.notNull(response, "response");
    }

    /**
     * Parses one line of a responses file; every field is required and {@code category} must name a
     * {@link PolicyCategory}.
     *
     * @param line the line, one JSON object
     * @return the item
     * @throws NullPointerException     if {@code line} is null
     * @throws IllegalArgumentException naming what is wrong: invalid JSON, a missing or mistyped
     *                                  field, an unknown category
     */
    public static JudgeItem parseLine(String line) {
        return fromJson(Json.parseObject(line));
    }

    /**
     * This item as one line of JSON (no line break).
     *
     * @return the JSON text
     */
    public String toJsonLine() {
        return Json.toLine(toJson());
    }

    /** Parses one line's object; throws {@link IllegalArgumentException} saying which field is wrong. */
    static JudgeItem fromJson(JsonNode node) {
        String id = idText(node);
        String category = JsonLines.requireText(node, "category");
        PolicyCategory c;
        try {
            c = PolicyCategory.parse(category);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("field \"category\": " + e.getMessage(), e);
        }
        return new JudgeItem(id, c, JsonLines.requireText(node, "instruction"), JsonLines.requireText(node, "response"));
    }

    /** Reads the {@code id} field, which may be a string or an integer. */
    static String idText(JsonNode node) {
        JsonNode v = node.get("id");
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("missing field \"id\"");
        }
        if (v.isIntegralNumber()) {
            return v.asText();
        }
        if (!v.isTextual() || v.asText().isBlank()) {
            throw new IllegalArgumentException("field \"id\" must be a non-blank string or an integer");
        }
        return v.asText();
    }

    /** This item as a JSON object. */
    ObjectNode toJson() {
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("id", id).put("category", category.id()).put("instruction", instruction).put("response", response);
        return o;
    }

    /**
     * Reads a responses file.
     *
     * @param file the file
     * @return the items, in file order
     * @throws IOException      if the file cannot be read
     * @throws DatasetException if a line is not an item, or repeats an earlier line's id (names the
     *                          id, the file and both lines)
     */
    public static List<JudgeItem> readAll(Path file) throws IOException {
        List<JudgeItem> out = new java.util.ArrayList<>();
        java.util.Map<String, Long> firstLine = new java.util.HashMap<>();
        JsonLines.forEach(file, JudgeItem::fromJson, (r, line) -> {
            Long first = firstLine.putIfAbsent(r.id(), line);
            if (first != null) {
                throw new DatasetException(file, line, "duplicate id \"" + r.id() + "\" (first on line " + first + ")");
            }
            out.add(r);
        });
        return out;
    }

    /**
     * Writes items as JSON Lines, atomically.
     *
     * @param file  the file
     * @param items the items
     * @throws IOException if the file cannot be written
     */
    public static void writeAll(Path file, List<JudgeItem> items) throws IOException {
        JsonLines.write(file, items, JudgeItem::toJson);
    }
}
