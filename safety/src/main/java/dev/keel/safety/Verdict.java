package dev.keel.safety;

import dev.keel.core.data.DatasetException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.JsonLines;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.List;

/**
 * A judge's verdict on one response, as one line of a judge-results file:
 * {@code {"id", "category", "instruction", "response", "score": 1..5 | null, "outcome", "reason"}}.
 *
 * <p>A {@link Outcome#SCORED scored} verdict has a score from 1 (proactive refusal) to 5 (full
 * compliance); {@link Outcome#UNPARSED unparsed} and {@link Outcome#ERROR error} verdicts have none,
 * and their reason holds the judge's raw reply or the failure.
 *
 * @param id          the item's id
 * @param category    the item's policy category
 * @param instruction the instruction
 * @param response    the judged response
 * @param score       1..5 when scored, otherwise {@code null}
 * @param outcome     whether a score was obtained
 * @param reason      the judge's reason, raw reply or failure message (never null)
 */
public record Verdict(String id, PolicyCategory category, String instruction, String response,
                      Integer score, Outcome outcome, String reason) {

    /** The lowest score: the model proactively refused. */
    public static final int MIN_SCORE = 1;
    /** The highest score: the model fully complied. */
    public static final int MAX_SCORE = 5;

    /** Whether the judge produced a score. */
    public enum Outcome {
        /** A score in 1..5 was obtained. */
        SCORED,
        /** The judge answered, but no valid score could be read from its reply. */
        UNPARSED,
        /** The judge (or the model behind it) failed. */
        ERROR;

        /**
         * The lower-case wire name: {@code scored}, {@code unparsed} or {@code error}.
         *
         * @return the wire name
         */
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * Parses a wire name, case-insensitively, ignoring surrounding whitespace.
         *
         * @param name the wire name
         * @return the outcome
         * @throws IllegalArgumentException if {@code name} is null or not an outcome, naming the value
         */
        public static Outcome fromWireName(String name) {
            if (name != null) {
                for (Outcome o : values()) {
                    if (o.wireName().equalsIgnoreCase(name.trim())) {
                        return o;
                    }
                }
            }
            throw new IllegalArgumentException("outcome must be one of scored, unparsed, error; was \"" + name + "\"");
        }
    }

    /**
     * A verdict; a scored one has a score in 1..5, the others none.
     *
     * @param id          the item's id, not blank
     * @param category    the item's policy category
     * @param instruction the instruction
     * @param response    the judged response
     * @param score       1..5 when scored, otherwise {@code null}
     * @param outcome     whether a score was obtained
     * @param reason      the judge's reason, raw reply or failure message
     * @throws NullPointerException     if an argument other than {@code score} is null
     * @throws IllegalArgumentException if {@code id} is blank or the score does not fit the outcome
     */
    public Verdict {
        Preconditions.notBlank(id, "id");
        Preconditions.notNull(category, "category");
        Preconditions.notNull(instruction, "instruction");
        Preconditions.notNull(response, "response");
        Preconditions.notNull(outcome, "outcome");
        Preconditions.notNull(reason, "reason");
        if (outcome == Outcome.SCORED) {
            Preconditions.checkArgument(score != null, "a scored verdict needs a score");
            Preconditions.checkInRange(score, MIN_SCORE, MAX_SCORE, "score");
        } else {
            Preconditions.checkArgument(score == null, "an " + outcome.wireName() + " verdict has no score, was " + score);
        }
    }

    /**
     * A scored verdict on {@code item}.
     *
     * @param item   the judged item
     * @param score  1..5
     * @param reason the judge's reason
     * @return the verdict
     * @throws IllegalArgumentException if {@code score} is out of range
     */
    public static Verdict scored(JudgeItem item, int score, String reason) {
        return new Verdict(item.id(), item.category(), item.instruction(), item.response(), score, Outcome.SCORED, reason);
    }

    /**
     * An unparsed verdict on {@code item}; {@code rawReply} is kept as the reason.
     *
     * @param item     the judged item
     * @param rawReply the judge's reply that held no valid score
     * @return the verdict
     */
    public static Verdict unparsed(JudgeItem item, String rawReply) {
        return new Verdict(item.id(), item.category(), item.instruction(), item.response(), null, Outcome.UNPARSED, rawReply);
    }

    /**
     * An error verdict on {@code item}.
     *
     * @param item    the item that could not be judged
     * @param message what failed
     * @return the verdict
     */
    public static Verdict error(JudgeItem item, String message) {
        return new Verdict(item.id(), item.category(), item.instruction(), item.response(), null, Outcome.ERROR, message);
    }

    /**
     * Whether this verdict has a score.
     *
     * @return {@code true} if the outcome is {@link Outcome#SCORED}
     */
    public boolean isScored() {
        return outcome == Outcome.SCORED;
    }

    /**
     * Parses one line of a judge-results file.
     *
     * @param line the line, one JSON object
     * @return the verdict
     * @throws NullPointerException     if {@code line} is null
     * @throws IllegalArgumentException naming what is wrong: invalid JSON, a missing or mistyped
     *                                  field, an unknown category or outcome, a score that does not fit
     *                                  the outcome
     */
    public static Verdict parseLine(String line) {
        return fromJson(Json.parseObject(line));
    }

    /**
     * This verdict as one line of JSON (no line break), {@code score} written as JSON {@code null}
     * when absent.
     *
     * @return the JSON text
     */
    public String toJsonLine() {
        return Json.toLine(toJson());
    }

    /** Parses one line of a judge-results file; throws {@link IllegalArgumentException} naming the bad field. */
    static Verdict fromJson(JsonNode node) {
        String id = JudgeItem.idText(node);
        PolicyCategory category;
        try {
            category = PolicyCategory.parse(JsonLines.requireText(node, "category"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().startsWith("missing") ? e.getMessage() : "field \"category\": " + e.getMessage(), e);
        }
        String instruction = JsonLines.requireText(node, "instruction");
        String response = JsonLines.requireText(node, "response");
        Outcome outcome;
        try {
            outcome = Outcome.fromWireName(JsonLines.requireText(node, "outcome"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().startsWith("missing") ? e.getMessage() : "field \"outcome\": " + e.getMessage(), e);
        }
        Integer score;
        try {
            score = JsonLines.optionalInt(node, "score", MIN_SCORE, MAX_SCORE);
        } catch (IllegalArgumentException e) {
            // Range-checked, never wrapped: 4294967301 is refused, not read as 5.
            throw new IllegalArgumentException("field \"score\" must be an integer " + MIN_SCORE + ".." + MAX_SCORE
                    + " or null, was " + node.get("score"), e);
        }
        String reason = JsonLines.optionalText(node, "reason");
        return new Verdict(id, category, instruction, response, score, outcome, reason == null ? "" : reason);
    }

    /** This verdict as a JSON object ({@code score} written as JSON {@code null} when absent). */
    ObjectNode toJson() {
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("id", id).put("category", category.id()).put("instruction", instruction).put("response", response);
        if (score == null) {
            o.putNull("score");
        } else {
            o.put("score", score.intValue());
        }
        o.put("outcome", outcome.wireName()).put("reason", reason);
        return o;
    }

    /**
     * Reads a judge-results file.
     *
     * @param file the file
     * @return the verdicts, in file order
     * @throws IOException      if the file cannot be read
     * @throws DatasetException if a line is not a verdict, or repeats an earlier line's id (names the
     *                          id, the file and both lines)
     */
    public static List<Verdict> readAll(Path file) throws IOException {
        List<Verdict> out = new java.util.ArrayList<>();
        java.util.Map<String, Long> firstLine = new java.util.HashMap<>();
        JsonLines.forEach(file, Verdict::fromJson, (r, line) -> {
            Long first = firstLine.putIfAbsent(r.id(), line);
            if (first != null) {
                throw new DatasetException(file, line, "duplicate id \"" + r.id() + "\" (first on line " + first + ")");
            }
            out.add(r);
        });
        return out;
    }

    /**
     * Writes verdicts as JSON Lines, atomically.
     *
     * @param file     the file
     * @param verdicts the verdicts
     * @throws IOException if the file cannot be written
     */
    public static void writeAll(Path file, List<Verdict> verdicts) throws IOException {
        JsonLines.write(file, verdicts, Verdict::toJson);
    }
}
