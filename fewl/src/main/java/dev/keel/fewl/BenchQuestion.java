package dev.keel.fewl;

import dev.keel.core.internal.Preconditions;
import dev.keel.core.data.DatasetException;
import dev.keel.core.internal.JsonLines;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A benchmark question after the split: the first ⌊n/2⌋ correct answers are the corrected (CO)
 * answers and the first ⌊n/2⌋ incorrect ones the intentionally wrong (IW) answers of the expertise
 * weights; the remaining correct answers are the truthful candidates and the remaining incorrect
 * ones the hallucinated candidates.
 *
 * @param id           the question's id
 * @param question     the question
 * @param references   the reference answers
 * @param corrected    CO answers
 * @param wrong        IW answers
 * @param truthful     truthful candidates (at least one)
 * @param hallucinated hallucinated candidates (at least one)
 */
public record BenchQuestion(String id, String question, List<Reference> references, List<String> corrected,
                            List<String> wrong, List<String> truthful, List<String> hallucinated) {

    /**
     * Checks and copies the components.
     *
     * @param id           the question's id, not blank
     * @param question     the question
     * @param references   the reference answers, at least one
     * @param corrected    CO answers
     * @param wrong        IW answers
     * @param truthful     truthful candidates, at least one
     * @param hallucinated hallucinated candidates, at least one
     * @throws IllegalArgumentException if {@code id} is blank or a list that needs elements is empty
     */
    public BenchQuestion {
        Preconditions.notBlank(id, "id");
        references = List.copyOf(Preconditions.notEmpty(references, "references"));
        corrected = List.copyOf(corrected);
        wrong = List.copyOf(wrong);
        truthful = List.copyOf(Preconditions.notEmpty(truthful, "truthful"));
        hallucinated = List.copyOf(Preconditions.notEmpty(hallucinated, "hallucinated"));
    }

    /**
     * Questions ready for the benchmark, and the ids of those skipped for having fewer than two
     * correct or fewer than two incorrect answers.
     *
     * @param questions  the usable questions, in file order
     * @param skippedIds the skipped ones
     */
    public record Suite(List<BenchQuestion> questions, List<String> skippedIds) {
        /**
         * Copies the lists.
         *
         * @param questions  the usable questions
         * @param skippedIds the skipped ones
         */
        public Suite {
            questions = List.copyOf(questions);
            skippedIds = List.copyOf(skippedIds);
        }
    }

    /**
     * Splits {@code r}: the first half of the correct answers are the CO answers, the first half of the
     * incorrect ones the IW answers, the rest the candidates.
     *
     * @param r the record
     * @return the question, or {@code null} when it has fewer than two correct or two incorrect answers
     * @throws NullPointerException if {@code r} is null
     */
    public static BenchQuestion split(BenchRecord r) {
        Preconditions.notNull(r, "record");
        int nc = r.correct().size();
        int ni = r.incorrect().size();
        if (nc < 2 || ni < 2) {
            return null;
        }
        return new BenchQuestion(r.id(), r.question(), r.references(),
                r.correct().subList(0, nc / 2), r.incorrect().subList(0, ni / 2),
                r.correct().subList(nc / 2, nc), r.incorrect().subList(ni / 2, ni));
    }

    /**
     * Splits every record (see {@link #split}); ids must be distinct.
     *
     * @param records the records
     * @return the usable questions and the skipped ids
     * @throws NullPointerException     if {@code records} is null
     * @throws IllegalArgumentException if an element is null or two records share an id
     */
    public static Suite splitAll(List<BenchRecord> records) {
        Preconditions.noNulls(records, "records");
        List<BenchQuestion> qs = new ArrayList<>(records.size());
        List<String> skipped = new ArrayList<>();
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (BenchRecord r : records) {
            if (!ids.add(r.id())) {
                throw new IllegalArgumentException("duplicate item id \"" + r.id() + "\"");
            }
            BenchQuestion q = split(r);
            if (q == null) {
                skipped.add(r.id());
            } else {
                qs.add(q);
            }
        }
        return new Suite(qs, skipped);
    }

    /**
     * Reads a benchmark JSON Lines file and splits it. A bad line (malformed JSON, no
     * {@code question}, no references, an empty answer, a duplicate id) is a
     * {@link DatasetException} naming the file and line.
     *
     * @param file the file (see {@link BenchRecord})
     * @return the usable questions and the skipped ids
     * @throws IOException      if the file cannot be read
     * @throws DatasetException for a bad line
     */
    public static Suite read(Path file) throws IOException {
        List<BenchRecord> records = new ArrayList<>();
        Map<String, Long> seen = new HashMap<>();
        JsonLines.forEach(file, BenchRecord::fromJson, (r, line) -> {
            Long first = seen.putIfAbsent(r.id(), line);
            if (first != null) {
                throw new DatasetException(file, line, "duplicate id \"" + r.id() + "\" (first on line " + first + ")");
            }
            records.add(r);
        });
        return splitAll(records);
    }

    /**
     * One {@link FewlItem} per candidate, labelled, with this question's CO/IW answers; ids {@code id#t0}, {@code id#h0}, ...
     *
     * @return the truthful candidates' items, then the hallucinated ones'
     */
    public List<FewlItem> items() {
        List<FewlItem> out = new ArrayList<>(truthful.size() + hallucinated.size());
        for (int i = 0; i < truthful.size(); i++) {
            out.add(new FewlItem(id + "#t" + i, question, truthful.get(i), references, wrong, corrected, Label.TRUTHFUL));
        }
        for (int i = 0; i < hallucinated.size(); i++) {
            out.add(new FewlItem(id + "#h" + i, question, hallucinated.get(i), references, wrong, corrected, Label.HALLUCINATED));
        }
        return out;
    }
}
