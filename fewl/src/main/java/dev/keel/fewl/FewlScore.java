package dev.keel.fewl;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.JsonLines;
import dev.keel.core.internal.Preconditions;

import java.io.IOException;
import java.nio.file.Path;

import java.util.List;

/**
 * The FEWL score of one item, with everything it was computed from.
 *
 * <p>{@code total = truthfulness - penalty}. In the linear (paper) form
 * {@code truthfulness = Σ_i λ_i·Sim(y, h_i)} and
 * {@code penalty = mean_i mean_k Sim(y, h_i(x'_k))}; with an {@link FDivergence} the similarities
 * pass through {@code g} and {@code f*∘g} (see {@link VariationalFewl}).
 *
 * @param id                    the item's id
 * @param total                 the score; higher means more truthful
 * @param truthfulness          the weighted agreement with the references' answers to the question
 * @param penalty               the laziness penalty (0 when off or when no neighbour was found)
 * @param models                the references used, in order (one in single-reference mode)
 * @param weights               λ per used reference, summing to 1
 * @param expertise             e per used reference ({@code NaN} when the item had no IW/CO answers)
 * @param similarities          {@code Sim(y, h_i)} per used reference
 * @param penaltySimilarities   per used reference, {@code Sim(y, h_i(x'_k))} for each neighbour k
 *                              that has an answer from that model
 * @param neighbours            the neighbour questions used for the penalty, nearest first
 * @param temperature           the τ the weights were computed with ({@code NaN} when λ was uniform)
 * @param notes                 what was missing or replaced (no IW/CO answers, fewer generated
 *                              answers than asked, neighbours without a reference's model, ...)
 */
public record FewlScore(String id, double total, double truthfulness, double penalty,
                        List<String> models, List<Double> weights, List<Double> expertise,
                        List<Double> similarities, List<List<Double>> penaltySimilarities,
                        List<Neighbour> neighbours, double temperature, List<String> notes) {

    /**
     * A neighbour question.
     *
     * @param id         the id of the (first) item or corpus entry with that question
     * @param question   its text
     * @param similarity the cosine similarity of its embedding to the scored question's
     */
    public record Neighbour(String id, String question, double similarity) {
    }

    /**
     * Copies the lists.
     *
     * @param id                  the item's id
     * @param total               the score
     * @param truthfulness        the weighted agreement
     * @param penalty             the laziness penalty
     * @param models              the references used
     * @param weights             λ per used reference
     * @param expertise           e per used reference
     * @param similarities        {@code Sim(y, h_i)} per used reference
     * @param penaltySimilarities per used reference, the similarities to its neighbour answers
     * @param neighbours          the neighbour questions
     * @param temperature         τ, or {@code NaN}
     * @param notes               what was missing or replaced
     */
    public FewlScore {
        models = List.copyOf(models);
        weights = List.copyOf(weights);
        expertise = List.copyOf(expertise);
        similarities = List.copyOf(similarities);
        penaltySimilarities = penaltySimilarities.stream().map(List::copyOf).toList();
        neighbours = List.copyOf(neighbours);
        notes = List.copyOf(notes);
    }

    /**
     * Whether the item was scored; false when it could not be (no reference answered, a similarity
     * that is not a number), with the reason in {@link #notes()} and {@code NaN} scores.
     *
     * @return true when {@link #total()} is a number
     */
    public boolean scored() {
        return !Double.isNaN(total);
    }

    private static void putNumber(ObjectNode o, String name, double v) {
        if (Double.isFinite(v)) {
            o.put(name, v);
        } else {
            o.putNull(name);
        }
    }

    /** This score as a JSON object, for score files; a score that is not a number is written as null. */
    ObjectNode toJson() {
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("id", id);
        putNumber(o, "fewl", total);
        putNumber(o, "truthfulness", truthfulness);
        putNumber(o, "penalty", penalty);
        if (!Double.isNaN(temperature)) {
            o.put("temperature", temperature);
        }
        ArrayNode refs = o.putArray("references");
        for (int i = 0; i < models.size(); i++) {
            ObjectNode r = refs.addObject();
            r.put("model", models.get(i));
            r.put("weight", weights.get(i));
            if (!Double.isNaN(expertise.get(i))) {
                r.put("expertise", expertise.get(i));
            }
            r.put("similarity", similarities.get(i));
        }
        ArrayNode ns = o.putArray("neighbours");
        for (Neighbour n : neighbours) {
            ns.addObject().put("id", n.id()).put("question", n.question()).put("similarity", n.similarity());
        }
        if (!notes.isEmpty()) {
            ArrayNode a = o.putArray("notes");
            notes.forEach(a::add);
        }
        return o;
    }

    /**
     * This score as one line of a score file, without the line break: {@code id}, {@code fewl}
     * (the total), {@code truthfulness}, {@code penalty}, {@code temperature} (left out when
     * {@code NaN}), {@code references} (model, weight, expertise where known, similarity),
     * {@code neighbours} and {@code notes} (left out when empty).
     *
     * @return compact JSON
     */
    public String toJsonLine() {
        return Json.toLine(toJson());
    }

    /**
     * Writes {@code scores} to {@code file} atomically, one {@link #toJsonLine()} a line.
     *
     * @param file   where to write
     * @param scores the scores
     * @throws IOException          if the file cannot be written (nothing replaces it then)
     * @throws NullPointerException if {@code file} or {@code scores} is null
     */
    public static void writeAll(Path file, List<FewlScore> scores) throws IOException {
        JsonLines.write(file, Preconditions.noNulls(scores, "scores"), FewlScore::toJson);
    }
}
