package dev.keel.fewl;

import dev.keel.core.internal.ProvenanceJson;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.Provenance;
import dev.keel.core.internal.Json;
import dev.keel.core.embed.CachingEmbedder;
import dev.keel.core.embed.Embedder;
import dev.keel.core.similarity.CosineSimilarity;
import dev.keel.core.similarity.Similarity;
import org.apache.commons.math3.random.MersenneTwister;
import org.apache.commons.math3.random.RandomGenerator;
import org.apache.commons.math3.stat.descriptive.rank.Percentile;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How well a score separates truthful from hallucinated answers. For each question every
 * (truthful, hallucinated) candidate pair is compared: the <b>win rate</b> is the share of pairs in
 * which the truthful candidate scores higher (ties count ½), pooled over all pairs; the
 * <b>AUROC</b> ranks all candidates of all questions together (truthful = positive; ties ½), so it
 * also asks whether scores are comparable across questions. 95% intervals come from a percentile
 * bootstrap over questions (the same seeded resamples for every row, so differences between rows
 * get paired intervals too).
 *
 * <p>Rows, as in the paper's ablation table:
 * <ul>
 *   <li>{@code single + no penalty}: similarity to one reference's answer;</li>
 *   <li>{@code single + penalty}: the same minus the laziness penalty over that reference;</li>
 *   <li>{@code multi + no penalty}: λ-weighted similarity to all references, no penalty;</li>
 *   <li>{@code FEWL}: λ-weighted, with the penalty.</li>
 * </ul>
 * "Single" is the mean over the reference models of the single-reference result (one reference picked
 * without knowing its expertise), unless {@link Builder#singleReferenceModel(String)} fixes one; a
 * reference is matched <em>by model name</em> in every question, and a candidate whose question has
 * no answer from that model is left out of that model's rows. Extra rows:
 * FEWL with uniform λ, FEWL at each {@link Builder#compareTemperatures compared τ} (default τ = 1), and
 * each reference on its own, and rows with the {@link Builder#compareSimilarities compared similarities}.
 * Multi-model benchmarks ({@link #runMultiModel}) add a {@link Selection} block.
 *
 * <pre>{@code
 * HallucinationBenchmark.Result r = HallucinationBenchmark.builder().scorer(Fewl.builder().embedder(e)).seed(7).build()
 *         .run(BenchQuestion.read(Path.of("bench.jsonl")));
 * System.out.println(r.table());
 * }</pre>
 */
public final class HallucinationBenchmark {

    /**
     * Name of the row scored with one reference and no penalty.
     */
    public static final String SINGLE_NO_PENALTY = "single + no penalty";
    /**
     * Name of the row scored with one reference and the penalty.
     */
    public static final String SINGLE_PENALTY = "single + penalty";
    /**
     * Name of the row scored with all references, λ-weighted, and no penalty.
     */
    public static final String MULTI_NO_PENALTY = "multi + no penalty";
    /**
     * Name of the FEWL row: all references, λ-weighted, with the penalty.
     */
    public static final String FEWL = "FEWL";
    /**
     * Name of the row scored with all references, uniform weights and no penalty: the mean
     * agreement with the references (its selection is the medoid, the answer that agrees most with the others).
     */
    public static final String MULTI_UNIFORM = "multi + no penalty, uniform weights";
    /**
     * Name of the row with expertise estimated from the references' agreement where items have no
     * IW/CO answers ({@link FewlScorer.Builder#agreementExpertise}); present with
     * {@link Builder#compareAgreementExpertise(boolean)} when the scorer settings leave it off, have no
     * generator and some candidate has no IW/CO answers.
     */
    public static final String FEWL_AGREEMENT = "FEWL, agreement expertise";

    private final FewlScorer.Builder scorer;
    private final Integer singleReference;
    private final String singleReferenceModel;
    private final List<Similarity> compareSimilarities;
    private final boolean compareAgreement;
    private final int bootstrap;
    private final long seed;
    private final List<Temperature> compareTemperatures;
    private final ProgressListener progress;

    private HallucinationBenchmark(Builder b) {
        this.scorer = b.scorer.copy();
        this.singleReference = b.singleReference;
        this.singleReferenceModel = b.singleReferenceModel;
        this.compareSimilarities = List.copyOf(b.compareSimilarities);
        this.compareAgreement = b.compareAgreement;
        this.bootstrap = b.bootstrap;
        this.seed = b.seed;
        this.compareTemperatures = List.copyOf(b.compareTemperatures);
        this.progress = b.progress;
    }

    /**
     * A builder with the default scorer settings ({@link Fewl#builder()}), 1000 resamples and τ = 1 compared.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A metric with its bootstrap interval.
     *
     * @param value the point estimate
     * @param low   the 2.5% bootstrap percentile
     * @param high  the 97.5% bootstrap percentile
     */
    public record Interval(double value, double low, double high) {
    }

    /**
     * One row of the table.
     *
     * @param name      the row's name
     * @param paperRow  whether it is one of the paper's four rows
     * @param winRate   the pooled pairwise win rate (ties ½)
     * @param auroc     the AUROC over all candidates
     */
    public record Row(String name, boolean paperRow, Interval winRate, Interval auroc) {
    }

    /**
     * FEWL minus another row, with paired bootstrap intervals.
     *
     * @param versus  the other row
     * @param winRate the difference in win rate
     * @param auroc   the difference in AUROC
     */
    public record Difference(String versus, Interval winRate, Interval auroc) {
    }

    /**
     * The selection accuracy of one row or one model.
     *
     * @param name     the row's or the model's name
     * @param accuracy the share of questions whose chosen answer is truthful (ties: the mean over
     *                 the tied answers), with its bootstrap interval
     */
    public record Choice(String name, Interval accuracy) {
    }

    /**
     * The selection block of a multi-model benchmark: per question the answer a row ranks first.
     *
     * @param questions the questions
     * @param rows      each single-score row's selection accuracy
     * @param models    each model's own accuracy (a question it did not answer counts as wrong)
     * @param oracle    the share of questions where some candidate is truthful
     */
    public record Selection(int questions, List<Choice> rows, List<Choice> models, Interval oracle) {
        /**
         * Copies the lists.
         *
         * @param questions the questions
         * @param rows      the rows' selection accuracy
         * @param models    the models' accuracy
         * @param oracle    the oracle's accuracy
         */
        public Selection {
            rows = List.copyOf(rows);
            models = List.copyOf(models);
        }

        /**
         * The selection accuracy of the row called {@code name}.
         *
         * @param name the row's name
         * @return its choice
         * @throws IllegalArgumentException if there is no such row
         */
        public Choice row(String name) {
            return rows.stream().filter(r -> r.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no selection row \"" + name + "\""));
        }

        /**
         * The accuracy of the model called {@code name}.
         *
         * @param name the model
         * @return its choice
         * @throws IllegalArgumentException if there is no such model
         */
        public Choice model(String name) {
            return models.stream().filter(r -> r.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no model \"" + name + "\""));
        }
    }

    /**
     * The benchmark's outcome.
     *
     * @param rows         the rows, paper rows first
     * @param differences  FEWL minus each other row
     * @param questions    questions used
     * @param skipped      questions skipped (fewer than two correct or incorrect answers)
     * @param truthful     truthful candidates
     * @param hallucinated hallucinated candidates
     * @param pairs        (truthful, hallucinated) pairs within questions
     * @param temperature  the τ the FEWL row used
     * @param bootstrap    bootstrap resamples
     * @param provenance   library, model, configuration, seed, time
     * @param selection    the selection block (multi-model benchmarks), or {@code null}
     * @param notes        what was skipped or missing (models that did not answer, ...)
     */
    public record Result(List<Row> rows, List<Difference> differences, int questions, int skipped, int truthful,
                         int hallucinated, long pairs, double temperature, int bootstrap, Provenance provenance,
                         Selection selection, List<String> notes) {

        /**
         * A result without a selection block and without notes.
         *
         * @param rows         the rows
         * @param differences  FEWL minus each other row
         * @param questions    questions used
         * @param skipped      questions skipped
         * @param truthful     truthful candidates
         * @param hallucinated hallucinated candidates
         * @param pairs        pairs within questions
         * @param temperature  the FEWL row's τ
         * @param bootstrap    bootstrap resamples
         * @param provenance   library, model, configuration, seed, time
         */
        public Result(List<Row> rows, List<Difference> differences, int questions, int skipped, int truthful,
                      int hallucinated, long pairs, double temperature, int bootstrap, Provenance provenance) {
            this(rows, differences, questions, skipped, truthful, hallucinated, pairs, temperature, bootstrap, provenance, null, List.of());
        }

        /**
         * Copies the lists.
         *
         * @param rows         the rows
         * @param differences  FEWL minus each other row
         * @param questions    questions used
         * @param skipped      questions skipped
         * @param truthful     truthful candidates
         * @param hallucinated hallucinated candidates
         * @param pairs        pairs within questions
         * @param temperature  the FEWL row's τ
         * @param bootstrap    bootstrap resamples
         * @param provenance   library, model, configuration, seed, time
         * @param selection    the selection block, or {@code null}
         * @param notes        what was skipped or missing
         */
        public Result {
            rows = List.copyOf(rows);
            differences = List.copyOf(differences);
            notes = List.copyOf(notes);
        }

        /**
         * The row called {@code name}.
         *
         * @param name the row's name
         * @return the row
         * @throws IllegalArgumentException if there is no such row
         */
        public Row row(String name) {
            return rows.stream().filter(r -> r.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no row \"" + name + "\""));
        }

        /**
         * The table as text: rows with win rate and AUROC and their 95% intervals, then FEWL's differences.
         *
         * @return the table, one line a row
         */
        public String table() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "%d questions (%d skipped), %d truthful and %d hallucinated candidates, %d pairs; "
                    + "95%% bootstrap intervals over questions (%d resamples, seed %d); FEWL tau = %.4f%n",
                    questions, skipped, truthful, hallucinated, pairs, bootstrap, provenance.seed(), temperature));
            sb.append(String.format(Locale.ROOT, "%-34s %-24s %-24s%n", "row", "win rate [95% CI]", "AUROC [95% CI]"));
            boolean extra = false;
            for (Row r : rows) {
                if (!r.paperRow() && !extra) {
                    sb.append(String.format(Locale.ROOT, "%-34s%n", "-- more --"));
                    extra = true;
                }
                sb.append(String.format(Locale.ROOT, "%-34s %-24s %-24s%n", r.name(), fmt(r.winRate(), false), fmt(r.auroc(), false)));
            }
            sb.append(String.format(Locale.ROOT, "%-34s%n", "-- FEWL minus --"));
            for (Difference d : differences) {
                sb.append(String.format(Locale.ROOT, "%-34s %-24s %-24s%n", d.versus(), fmt(d.winRate(), true), fmt(d.auroc(), true)));
            }
            if (selection != null) {
                sb.append(String.format(Locale.ROOT, "-- selection: accuracy of the answer ranked first, %d questions --%n", selection.questions()));
                for (Choice c : selection.rows()) {
                    sb.append(String.format(Locale.ROOT, "%-34s %-24s%n", c.name(), fmt(c.accuracy(), false)));
                }
                for (Choice c : selection.models()) {
                    sb.append(String.format(Locale.ROOT, "%-34s %-24s%n", "model " + c.name(), fmt(c.accuracy(), false)));
                }
                sb.append(String.format(Locale.ROOT, "%-34s %-24s%n", "oracle (some answer is right)", fmt(selection.oracle(), false)));
            }
            for (String n : notes) {
                sb.append("note: ").append(n).append(System.lineSeparator());
            }
            return sb.toString();
        }

        private static String fmt(Interval i, boolean signed) {
            String f = signed ? "%+.3f [%+.3f, %+.3f]" : "%.3f [%.3f, %.3f]";
            return String.format(Locale.ROOT, f, i.value(), i.low(), i.high());
        }

        /**
         * The result as one line of JSON: the counts, {@code temperature}, {@code rows} (name,
         * paperRow, winRate/Low/High, auroc/Low/High), {@code fewlMinus} (versus, the same six
         * numbers), for a multi-model benchmark {@code selection} (questions, oracle/Low/High,
         * {@code rows} with name and accuracy/Low/High, {@code models} with model and
         * accuracy/Low/High), {@code notes} and {@code provenance}; a number that is not finite
         * (no bootstrap) is {@code null}.
         *
         * @return compact JSON
         */
        public String toJsonLine() {
            return Json.toLine(toJson());
        }

        /** The result as a JSON object. */
        ObjectNode toJson() {
            ObjectNode o = Json.mapper().createObjectNode();
            o.put("questions", questions).put("skipped", skipped).put("truthful", truthful)
                    .put("hallucinated", hallucinated).put("pairs", pairs).put("bootstrap", bootstrap);
            number(o, "temperature", temperature);
            ArrayNode rs = o.putArray("rows");
            for (Row r : rows) {
                ObjectNode n = rs.addObject().put("name", r.name()).put("paperRow", r.paperRow());
                put(n, "winRate", r.winRate());
                put(n, "auroc", r.auroc());
            }
            ArrayNode ds = o.putArray("fewlMinus");
            for (Difference d : differences) {
                ObjectNode n = ds.addObject().put("versus", d.versus());
                put(n, "winRate", d.winRate());
                put(n, "auroc", d.auroc());
            }
            if (selection != null) {
                ObjectNode sel = o.putObject("selection");
                sel.put("questions", selection.questions());
                put(sel, "oracle", selection.oracle());
                ArrayNode sr = sel.putArray("rows");
                for (Choice c : selection.rows()) {
                    put(sr.addObject().put("name", c.name()), "accuracy", c.accuracy());
                }
                ArrayNode sm = sel.putArray("models");
                for (Choice c : selection.models()) {
                    put(sm.addObject().put("model", c.name()), "accuracy", c.accuracy());
                }
            }
            ArrayNode ns = o.putArray("notes");
            notes.forEach(ns::add);
            o.set("provenance", ProvenanceJson.toJson(provenance));
            return o;
        }

        private static void put(ObjectNode n, String name, Interval i) {
            number(n, name, i.value());
            number(n, name + "Low", i.low());
            number(n, name + "High", i.high());
        }

        /** JSON has no NaN: a value that is not a number (no bootstrap, no weights) is written as null. */
        private static void number(ObjectNode n, String name, double v) {
            if (Double.isFinite(v)) {
                n.put(name, v);
            } else {
                n.putNull(name);
            }
        }
    }

    /**
     * Runs the benchmark on a split benchmark file.
     *
     * @param suite the questions and the skipped ids
     * @return the result
     * @throws NullPointerException if {@code suite} is null
     * @throws IllegalArgumentException if the suite has no question, or a question fewer references than the single row needs
     */
    public Result run(BenchQuestion.Suite suite) {
        Preconditions.notNull(suite, "suite");
        return run(suite.questions(), suite.skippedIds().size());
    }

    /**
     * Runs the benchmark on a file of either shape: {@link #run(BenchQuestion.Suite)} for gold
     * answers, {@link #runMultiModel} for several models' labelled answers.
     *
     * @param file the file's contents
     * @return the result
     * @throws NullPointerException     if {@code file} is null
     * @throws IllegalArgumentException if the file has no usable question
     */
    public Result run(BenchmarkFile file) {
        Preconditions.notNull(file, "file");
        return file.format() == BenchmarkFile.Format.MULTI_MODEL ? runMultiModel(file.multi()) : run(file.gold());
    }

    /**
     * Runs the benchmark on {@code questions}.
     *
     * @param questions the questions, at least one
     * @param skipped   how many were skipped (only reported)
     * @return the result
     * @throws IllegalArgumentException if {@code questions} is empty, or a question has fewer references than the single row needs
     */
    public Result run(List<BenchQuestion> questions, int skipped) {
        Preconditions.notEmpty(questions, "questions");
        int minRefs = Integer.MAX_VALUE;
        for (BenchQuestion q : questions) {
            minRefs = Math.min(minRefs, q.references().size());
        }
        if (singleReference != null && singleReference >= minRefs) {
            throw new IllegalArgumentException("singleReference " + singleReference + " but a question has only " + minRefs + " references");
        }
        List<List<FewlItem>> perQuestion = new ArrayList<>();
        List<FewlItem> all = new ArrayList<>();
        for (BenchQuestion bq : questions) {
            List<FewlItem> its = bq.items();
            perQuestion.add(its);
            all.addAll(its);
        }
        String fixed = singleReferenceModel != null ? singleReferenceModel
                : singleReference == null ? null : questions.get(0).references().get(singleReference).model();
        return evaluate(perQuestion, null, all, skipped, List.of(), fixed);
    }

    /**
     * Runs the benchmark on several models' labelled answers (see {@link MultiModelRecord}): every
     * answered, labelled answer is a candidate scored with the other models' answers to the same
     * question as references (leave-one-out: a candidate is never its own reference), the laziness
     * penalty over the same models' answers to the neighbour questions. Besides the rows, the
     * result has a {@link Selection} block: per question the answer each row ranks first, its
     * accuracy next to each model's own accuracy and the oracle. A model that did not answer is
     * skipped (counted in the notes); a question without any candidate is skipped.
     *
     * @param records the records, ids distinct
     * @return the result
     * @throws NullPointerException     if {@code records} is null
     * @throws IllegalArgumentException if an element is null, two share an id, or no record has a candidate
     */
    public Result runMultiModel(List<MultiModelRecord> records) {
        Preconditions.noNulls(records, "records");
        java.util.Set<String> ids = new java.util.HashSet<>();
        List<List<FewlItem>> perQuestion = new ArrayList<>();
        List<List<String>> candidateModels = new ArrayList<>();
        List<FewlItem> corpus = new ArrayList<>();
        int skipped = 0;
        int unanswered = 0;
        int unlabelled = 0;
        List<String> models = new ArrayList<>();
        for (MultiModelRecord r : records) {
            if (!ids.add(r.id())) {
                throw new IllegalArgumentException("duplicate item id \"" + r.id() + "\"");
            }
            for (ModelAnswer a : r.answers()) {
                if (!models.contains(a.model())) {
                    models.add(a.model());
                }
                if (!a.answered()) {
                    unanswered++;
                } else if (a.label() == null) {
                    unlabelled++;
                }
            }
            List<Reference> refs = r.references();
            if (!refs.isEmpty()) {
                corpus.add(new FewlItem(r.id(), r.question(), refs.get(0).answer(), refs, List.of(), List.of(), null));
            }
            List<FewlItem> its = r.items();
            if (its.isEmpty()) {
                skipped++;
                continue;
            }
            perQuestion.add(its);
            candidateModels.add(r.answers().stream().filter(ModelAnswer::candidate).map(ModelAnswer::model).toList());
        }
        if (perQuestion.isEmpty()) {
            throw new IllegalArgumentException("no record has a candidate (an answered, labelled answer): " + records.size() + " records");
        }
        List<String> notes = new ArrayList<>();
        if (unanswered > 0) {
            notes.add(unanswered + " answers missing or blank: those models did not answer (neither candidate nor reference there)");
        }
        if (unlabelled > 0) {
            notes.add(unlabelled + " answers without a label: references only");
        }
        if (skipped > 0) {
            notes.add(skipped + " questions without a candidate skipped");
        }
        String fixed = singleReferenceModel;
        if (fixed == null && singleReference != null) {
            throw new IllegalArgumentException("singleReference(" + singleReference + ") is by position, which a multi-model "
                    + "benchmark does not have: use singleReferenceModel(name)");
        }
        return evaluate(perQuestion, new Selecting(candidateModels, models), corpus, skipped, notes, fixed);
    }

    /** What the selection block needs of a multi-model run: the candidates' models per question, and all models. */
    private record Selecting(List<List<String>> candidateModels, List<String> models) {
    }

    private Result evaluate(List<List<FewlItem>> perQuestion, Selecting selecting, List<FewlItem> corpus, int skipped,
                            List<String> notes, String fixedModel) {
        List<FewlItem> items = new ArrayList<>();
        int nq = perQuestion.size();
        int[][] truthIdx = new int[nq][];
        int[][] hallIdx = new int[nq][];
        int[][] candIdx = new int[nq][];
        int truthful = 0;
        int hallucinated = 0;
        long pairs = 0;
        List<String> refModels = new ArrayList<>();
        for (int q = 0; q < nq; q++) {
            List<FewlItem> its = perQuestion.get(q);
            int t = 0;
            int h = 0;
            for (FewlItem it : its) {
                if (it.label() == Label.TRUTHFUL) {
                    t++;
                } else {
                    h++;
                }
            }
            truthIdx[q] = new int[t];
            hallIdx[q] = new int[h];
            candIdx[q] = new int[its.size()];
            t = 0;
            h = 0;
            for (int c = 0; c < its.size(); c++) {
                FewlItem it = its.get(c);
                candIdx[q][c] = items.size();
                if (it.label() == Label.TRUTHFUL) {
                    truthIdx[q][t++] = items.size();
                } else {
                    hallIdx[q][h++] = items.size();
                }
                for (Reference r : it.references()) {
                    if (!refModels.contains(r.model())) {
                        refModels.add(r.model());
                    }
                }
                items.add(it);
            }
            truthful += t;
            hallucinated += h;
            pairs += (long) t * h;
        }
        if (fixedModel != null && !refModels.contains(fixedModel)) {
            throw new IllegalArgumentException("singleReferenceModel \"" + fixedModel + "\" is not a reference model of the benchmark: " + refModels);
        }
        Similarity similarity = scorer.similarity();
        Embedder owned = null;
        Embedder base = scorer.embedder();
        if (base == null && similarity == null) {
            owned = Preconditions.notNull(scorer.defaultEmbedder().get(), "default embedder");
            base = owned;
        } else if (base == null && similarity instanceof CosineSimilarity c) {
            base = c.embedder();
        } else if (base == null && similarity instanceof HybridSimilarity h) {
            base = h.embedder();
        }
        try (CachingEmbedder cache = base == null ? null : new CachingEmbedder(base, false)) {
            // Every row shares one cache of embeddings; the rows differ from the given settings in one thing each.
            Similarity sim = cached(similarity == null ? new CosineSimilarity(cache) : similarity, cache);
            FewlScorer.Builder common = scorer.copy().similarity(sim).seed(seed).corpus(corpus);
            if (cache != null) {
                common.embedder(cache);
            }
            Map<String, FewlScorer.Builder> configs = new LinkedHashMap<>();
            Map<String, List<FewlItem>> inputs = new LinkedHashMap<>();
            // A row without the penalty is the truthfulness part of the same row with it (λ does not
            // depend on the penalty, except for agreement expertise, whose contrast uses the neighbours),
            // and without any IW/CO answer uniform weights and other temperatures change nothing: such
            // rows are read off another run instead of scored again.
            Map<String, String> truthOf = new LinkedHashMap<>();
            Map<String, String> same = new LinkedHashMap<>();
            boolean derive = !scorer.agreementExpertise();
            boolean noExpertise = !scorer.hasGenerator() && items.stream().noneMatch(FewlItem::hasExpertiseAnswers);
            configs.put("fewl", common.copy());
            if (derive) {
                truthOf.put("multi", "fewl");
            } else {
                configs.put("multi", common.copy().penalty(false));
            }
            if (noExpertise && !scorer.agreementExpertise()) {
                same.put("uniform", "fewl");
            } else {
                configs.put("uniform", common.copy().uniformWeights(true));
            }
            truthOf.put("uniformMulti", "uniform");
            boolean agreementRow = compareAgreement && !scorer.agreementExpertise() && !scorer.hasGenerator()
                    && items.stream().anyMatch(it -> !it.hasExpertiseAnswers());
            if (agreementRow) {
                configs.put("agreement", common.copy().agreementExpertise(true));
            }
            for (int i = 0; i < compareTemperatures.size(); i++) {
                if (noExpertise && !scorer.agreementExpertise()) {
                    same.put("tau" + i, "fewl");
                } else {
                    configs.put("tau" + i, common.copy().temperature(compareTemperatures.get(i)));
                }
            }
            for (int i = 0; i < compareSimilarities.size(); i++) {
                Similarity other = cached(compareSimilarities.get(i), cache);
                configs.put("sim" + i, common.copy().similarity(other));
                if (derive) {
                    truthOf.put("simMulti" + i, "sim" + i);
                } else {
                    configs.put("simMulti" + i, common.copy().similarity(other).penalty(false));
                }
            }
            List<String> singles = fixedModel != null ? List.of(fixedModel) : refModels;
            for (String m : singles) {
                List<FewlItem> only = new ArrayList<>(items.size());
                for (FewlItem it : items) {
                    List<Reference> keep = it.references().stream().filter(r -> r.model().equals(m)).toList();
                    only.add(keep.isEmpty() ? null : it.withReferences(keep));
                }
                configs.put("singlePen:" + m, common.copy());
                inputs.put("singlePen:" + m, only);
                truthOf.put("single:" + m, "singlePen:" + m); // one reference: λ = 1 either way
            }
            Map<String, double[]> scores = new LinkedHashMap<>();
            Map<String, double[]> truths = new LinkedHashMap<>();
            double fewlTau = Double.NaN;
            int done = 0;
            int unscored = 0;
            for (Map.Entry<String, FewlScorer.Builder> c : configs.entrySet()) {
                List<FewlItem> in = inputs.getOrDefault(c.getKey(), items);
                List<FewlItem> present = in.stream().filter(java.util.Objects::nonNull).toList();
                double[] v = new double[in.size()];
                double[] t = new double[in.size()];
                Arrays.fill(v, Double.NaN);
                Arrays.fill(t, Double.NaN);
                try (FewlScorer scorer = c.getValue().build()) {
                    List<FewlScore> s = scorer.scoreAll(present);
                    int k = 0;
                    for (int i = 0; i < v.length; i++) {
                        if (in.get(i) == null) {
                            continue;
                        }
                        FewlScore sc = s.get(k++);
                        v[i] = sc.total();
                        t[i] = sc.truthfulness();
                        if (c.getKey().equals("fewl")) {
                            if (!sc.scored()) {
                                unscored++;
                            }
                            if (Double.isNaN(fewlTau) && !Double.isNaN(sc.temperature())) {
                                fewlTau = sc.temperature();
                            }
                        }
                    }
                    scores.put(c.getKey(), v);
                    truths.put(c.getKey(), t);
                }
                progress.progress("benchmark", ++done, configs.size());
            }
            same.forEach((k, src) -> {
                scores.put(k, scores.get(src));
                truths.put(k, truths.get(src));
            });
            truthOf.forEach((k, src) -> scores.put(k, truths.get(src)));
            if (unscored > 0) {
                notes = new ArrayList<>(notes);
                notes.add(unscored + " candidates could not be scored (see the scorer's notes) and are left out");
            }
            Metrics metrics = new Metrics(truthIdx, hallIdx, items.size());
            List<String> rowNames = new ArrayList<>();
            List<List<double[]>> rowScores = new ArrayList<>();
            List<Boolean> paper = new ArrayList<>();
            String which = fixedModel == null ? "" : " (ref " + fixedModel + ")";
            addRow(rowNames, rowScores, paper, SINGLE_NO_PENALTY + which, true, singles.stream().map(r -> scores.get("single:" + r)).toList());
            addRow(rowNames, rowScores, paper, SINGLE_PENALTY + which, true, singles.stream().map(r -> scores.get("singlePen:" + r)).toList());
            addRow(rowNames, rowScores, paper, MULTI_NO_PENALTY, true, List.of(scores.get("multi")));
            addRow(rowNames, rowScores, paper, FEWL, true, List.of(scores.get("fewl")));
            addRow(rowNames, rowScores, paper, MULTI_UNIFORM, false, List.of(scores.get("uniformMulti")));
            addRow(rowNames, rowScores, paper, "FEWL, uniform weights", false, List.of(scores.get("uniform")));
            if (agreementRow) {
                addRow(rowNames, rowScores, paper, FEWL_AGREEMENT, false, List.of(scores.get("agreement")));
            }
            for (int i = 0; i < compareTemperatures.size(); i++) {
                addRow(rowNames, rowScores, paper, "FEWL, tau = " + compareTemperatures.get(i), false, List.of(scores.get("tau" + i)));
            }
            for (int i = 0; i < compareSimilarities.size(); i++) {
                String n = compareSimilarities.get(i).name();
                addRow(rowNames, rowScores, paper, "multi + no penalty, " + n, false, List.of(scores.get("simMulti" + i)));
                addRow(rowNames, rowScores, paper, "FEWL, " + n, false, List.of(scores.get("sim" + i)));
            }
            if (fixedModel == null && singles.size() > 1) {
                for (String model : singles) {
                    addRow(rowNames, rowScores, paper, "single ref " + model + " + no penalty", false, List.of(scores.get("single:" + model)));
                    addRow(rowNames, rowScores, paper, "single ref " + model + " + penalty", false, List.of(scores.get("singlePen:" + model)));
                }
            }
            int fewlRow = rowNames.indexOf(FEWL);
            int nRows = rowNames.size();
            double[] winPoint = new double[nRows];
            double[] aucPoint = new double[nRows];
            int[] ones = new int[nq];
            Arrays.fill(ones, 1);
            for (int r = 0; r < nRows; r++) {
                winPoint[r] = metrics.winRate(rowScores.get(r), ones);
                aucPoint[r] = metrics.auroc(rowScores.get(r), ones);
            }
            SelectionMetrics sel = selecting == null ? null : new SelectionMetrics(candIdx, items, selecting);
            List<Integer> selRows = new ArrayList<>();
            for (int r = 0; r < nRows; r++) {
                if (rowScores.get(r).size() == 1) {
                    selRows.add(r);
                }
            }
            int nModels = selecting == null ? 0 : selecting.models().size();
            double[] selPoint = new double[selRows.size()];
            double[] modelPoint = new double[nModels];
            double oraclePoint = sel == null ? Double.NaN : sel.oracle(ones);
            if (sel != null) {
                for (int k = 0; k < selRows.size(); k++) {
                    selPoint[k] = sel.accuracy(rowScores.get(selRows.get(k)).get(0), ones);
                }
                for (int m = 0; m < nModels; m++) {
                    modelPoint[m] = sel.modelAccuracy(m, ones);
                }
            }
            double[][] winBoot = new double[nRows][bootstrap];
            double[][] aucBoot = new double[nRows][bootstrap];
            double[][] selBoot = new double[selRows.size()][bootstrap];
            double[][] modelBoot = new double[nModels][bootstrap];
            double[] oracleBoot = new double[sel == null ? 0 : bootstrap];
            RandomGenerator rng = new MersenneTwister(seed);
            int[] counts = new int[nq];
            for (int b = 0; b < bootstrap; b++) {
                Arrays.fill(counts, 0);
                for (int i = 0; i < counts.length; i++) {
                    counts[rng.nextInt(counts.length)]++;
                }
                for (int r = 0; r < nRows; r++) {
                    winBoot[r][b] = metrics.winRate(rowScores.get(r), counts);
                    aucBoot[r][b] = metrics.auroc(rowScores.get(r), counts);
                }
                if (sel != null) {
                    for (int k = 0; k < selRows.size(); k++) {
                        selBoot[k][b] = sel.accuracy(rowScores.get(selRows.get(k)).get(0), counts);
                    }
                    for (int m = 0; m < nModels; m++) {
                        modelBoot[m][b] = sel.modelAccuracy(m, counts);
                    }
                    oracleBoot[b] = sel.oracle(counts);
                }
            }
            List<Row> rows = new ArrayList<>();
            List<Difference> diffs = new ArrayList<>();
            for (int r = 0; r < nRows; r++) {
                rows.add(new Row(rowNames.get(r), paper.get(r), interval(winPoint[r], winBoot[r]), interval(aucPoint[r], aucBoot[r])));
            }
            for (int r = 0; r < nRows; r++) {
                if (r == fewlRow) {
                    continue;
                }
                diffs.add(new Difference(rowNames.get(r),
                        interval(winPoint[fewlRow] - winPoint[r], minus(winBoot[fewlRow], winBoot[r])),
                        interval(aucPoint[fewlRow] - aucPoint[r], minus(aucBoot[fewlRow], aucBoot[r]))));
            }
            Selection selection = null;
            if (sel != null) {
                List<Choice> byRow = new ArrayList<>();
                for (int k = 0; k < selRows.size(); k++) {
                    byRow.add(new Choice(rowNames.get(selRows.get(k)), interval(selPoint[k], selBoot[k])));
                }
                List<Choice> byModel = new ArrayList<>();
                for (int m = 0; m < nModels; m++) {
                    byModel.add(new Choice(selecting.models().get(m), interval(modelPoint[m], modelBoot[m])));
                }
                selection = new Selection(nq, byRow, byModel, interval(oraclePoint, oracleBoot));
            }
            Map<String, String> config = new LinkedHashMap<>();
            config.put("similarity", sim.name());
            config.put("neighbours", Integer.toString(scorer.neighbours()));
            config.put("temperature", scorer.temperature().toString());
            config.put("singleReference", fixedModel == null ? "mean over references" : fixedModel);
            config.put("format", selecting == null ? "gold answers" : "multi-model, leave-one-out");
            config.put("bootstrap", Integer.toString(bootstrap));
            String model = cache != null ? cache.id() : sim.name();
            return new Result(rows, diffs, nq, skipped, truthful, hallucinated, pairs, fewlTau, bootstrap,
                    Provenance.of(model, config, seed), selection, notes);
        } finally {
            if (owned != null) {
                owned.close();
            }
        }
    }

    /** {@code s} with its embedder replaced by the run's cache, where it has one. */
    private static Similarity cached(Similarity s, CachingEmbedder cache) {
        if (cache == null) {
            return s;
        }
        if (s instanceof CosineSimilarity) {
            return new CosineSimilarity(cache);
        }
        if (s instanceof HybridSimilarity h) {
            return new HybridSimilarity(h.lexical(), cache, h.lexicalWeight());
        }
        return s;
    }

    /** Selection accuracy: per question the candidate a score vector ranks first (ties: the mean over the tied). */
    static final class SelectionMetrics {
        private final int[][] cand;
        private final boolean[] truthful;
        private final double[][] modelRight;
        private final boolean[] anyRight;

        SelectionMetrics(int[][] cand, List<FewlItem> items, Selecting selecting) {
            this.cand = cand;
            this.truthful = new boolean[items.size()];
            for (int i = 0; i < items.size(); i++) {
                truthful[i] = items.get(i).label() == Label.TRUTHFUL;
            }
            int nm = selecting.models().size();
            this.modelRight = new double[nm][cand.length];
            this.anyRight = new boolean[cand.length];
            for (int q = 0; q < cand.length; q++) {
                List<String> ms = selecting.candidateModels().get(q);
                for (int c = 0; c < cand[q].length; c++) {
                    if (truthful[cand[q][c]]) {
                        modelRight[selecting.models().indexOf(ms.get(c))][q] = 1;
                        anyRight[q] = true;
                    }
                }
            }
        }

        double accuracy(double[] s, int[] w) {
            double right = 0;
            double total = 0;
            for (int q = 0; q < cand.length; q++) {
                if (w[q] == 0) {
                    continue;
                }
                double best = Double.NEGATIVE_INFINITY;
                for (int i : cand[q]) {
                    if (!Double.isNaN(s[i]) && s[i] > best) {
                        best = s[i];
                    }
                }
                double hit = 0;
                int tied = 0;
                for (int i : cand[q]) {
                    if (!Double.isNaN(s[i]) && s[i] == best) {
                        tied++;
                        hit += truthful[i] ? 1 : 0;
                    }
                }
                right += w[q] * (tied == 0 ? 0 : hit / tied);
                total += w[q];
            }
            return right / total;
        }

        double modelAccuracy(int m, int[] w) {
            double right = 0;
            double total = 0;
            for (int q = 0; q < cand.length; q++) {
                right += w[q] * modelRight[m][q];
                total += w[q];
            }
            return right / total;
        }

        double oracle(int[] w) {
            double right = 0;
            double total = 0;
            for (int q = 0; q < cand.length; q++) {
                right += anyRight[q] ? w[q] : 0;
                total += w[q];
            }
            return right / total;
        }
    }

    private static void addRow(List<String> names, List<List<double[]>> scores, List<Boolean> paper, String name, boolean isPaper, List<double[]> s) {
        names.add(name);
        scores.add(s);
        paper.add(isPaper);
    }

    private static double[] minus(double[] a, double[] b) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - b[i];
        }
        return d;
    }

    private static Interval interval(double point, double[] boot) {
        if (boot.length == 0) {
            return new Interval(point, Double.NaN, Double.NaN);
        }
        Percentile p = new Percentile().withEstimationType(Percentile.EstimationType.R_7);
        double[] sorted = boot.clone();
        Arrays.sort(sorted);
        p.setData(sorted);
        return new Interval(point, p.evaluate(2.5), p.evaluate(97.5));
    }

    /**
     * Win rate and AUROC of score vectors for question weights (1 each for the point estimate,
     * resample counts for the bootstrap). A row with several score vectors is their mean.
     */
    static final class Metrics {
        private final int[][] truth;
        private final int[][] hall;
        private final int[] questionOf;
        private final boolean[] isTruthful;

        Metrics(int[][] truth, int[][] hall, int items) {
            this.truth = truth;
            this.hall = hall;
            this.questionOf = new int[items];
            this.isTruthful = new boolean[items];
            for (int q = 0; q < truth.length; q++) {
                for (int i : truth[q]) {
                    questionOf[i] = q;
                    isTruthful[i] = true;
                }
                for (int i : hall[q]) {
                    questionOf[i] = q;
                }
            }
        }

        double winRate(List<double[]> scores, int[] weights) {
            double sum = 0;
            for (double[] s : scores) {
                sum += winRate(s, weights);
            }
            return sum / scores.size();
        }

        double auroc(List<double[]> scores, int[] weights) {
            double sum = 0;
            for (double[] s : scores) {
                sum += auroc(s, weights);
            }
            return sum / scores.size();
        }

        /** Σ_q w_q wins_q / Σ_q w_q pairs_q, over the pairs where both scores are numbers. */
        double winRate(double[] s, int[] w) {
            double wins = 0;
            double pairs = 0;
            for (int q = 0; q < truth.length; q++) {
                if (w[q] == 0) {
                    continue;
                }
                double qw = 0;
                int qp = 0;
                for (int t : truth[q]) {
                    if (Double.isNaN(s[t])) {
                        continue;
                    }
                    for (int h : hall[q]) {
                        if (Double.isNaN(s[h])) {
                            continue;
                        }
                        qw += s[t] > s[h] ? 1 : s[t] == s[h] ? 0.5 : 0;
                        qp++;
                    }
                }
                wins += w[q] * qw;
                pairs += (double) w[q] * qp;
            }
            return wins / pairs;
        }

        private final Map<double[], Integer[]> orders = new java.util.IdentityHashMap<>();

        /** Weighted Mann–Whitney AUROC over all candidates whose score is a number (ties ½); each weighs its question's weight. */
        double auroc(double[] s, int[] w) {
            Integer[] order;
            synchronized (orders) {
                order = orders.computeIfAbsent(s, k -> {
                    List<Integer> o = new ArrayList<>(k.length);
                    for (int i = 0; i < k.length; i++) {
                        if (!Double.isNaN(k[i])) {
                            o.add(i);
                        }
                    }
                    o.sort((a, b) -> Double.compare(k[a], k[b]));
                    return o.toArray(new Integer[0]);
                });
            }
            double below = 0;
            double num = 0;
            double wt = 0;
            double wh = 0;
            int i = 0;
            while (i < order.length) {
                int j = i;
                double groupT = 0;
                double groupH = 0;
                while (j < order.length && s[order[j]] == s[order[i]]) {
                    int item = order[j];
                    double weight = w[questionOf[item]];
                    if (isTruthful[item]) {
                        groupT += weight;
                    } else {
                        groupH += weight;
                    }
                    j++;
                }
                num += groupT * (below + 0.5 * groupH);
                below += groupH;
                wt += groupT;
                wh += groupH;
                i = j;
            }
            return num / (wt * wh);
        }
    }

    /**
     * Builds a {@link HallucinationBenchmark}. The scorer's settings come from one
     * {@link FewlScorer.Builder} ({@link #scorer}); each ablation row is a copy of it with one thing
     * switched.
     *
     * <pre>{@code
     * HallucinationBenchmark bench = HallucinationBenchmark.builder()
     *         .scorer(Fewl.builder().embedder(e).neighbours(25))
     *         .seed(7)
     *         .build();
     * }</pre>
     */
    public static final class Builder {
        private FewlScorer.Builder scorer = FewlScorer.builder();
        private Integer singleReference;
        private String singleReferenceModel;
        private List<Similarity> compareSimilarities = List.of();
        private boolean compareAgreement;
        private int bootstrap = 1000;
        private long seed;
        private List<Temperature> compareTemperatures = List.of(Temperature.fixed(1.0));
        private ProgressListener progress = ProgressListener.NONE;

        Builder() {
        }

        /**
         * The FEWL row's settings (similarity, embedder, K, τ, f-divergence, ...), copied; every other
         * row is derived from them. The embedder or similarity is not owned; with neither, the
         * default all-MiniLM-L6-v2 is created and closed by {@link #run}. The settings must use all
         * references with the penalty and expertise weights on: the benchmark switches those itself.
         * Default: {@link Fewl#builder()}.
         *
         * @param settings the scorer settings
         * @return this builder
         * @throws NullPointerException     if {@code settings} is null
         * @throws IllegalArgumentException if {@code settings} fixes a single reference, turns the
         *                                  penalty off or uses uniform weights
         */
        public Builder scorer(FewlScorer.Builder settings) {
            Preconditions.notNull(settings, "scorer");
            Preconditions.checkArgument(settings.singleReference() < 0, "the scorer settings must use all references, "
                    + "they use only reference " + settings.singleReference() + ": fix the single rows with singleReference(int)");
            Preconditions.checkArgument(settings.penalty(), "the scorer settings must have the penalty on, was off: "
                    + "the benchmark derives the rows without it");
            Preconditions.checkArgument(!settings.uniformWeights(), "the scorer settings must use expertise weights, were uniform: "
                    + "the benchmark derives the uniform row");
            this.scorer = settings.copy();
            return this;
        }

        /**
         * Fixes the reference of the single rows to the model at {@code index} of the first
         * question's references (gold-answer benchmarks); the rows then use that model by name in
         * every question (a question without it is left out of them). Default: the mean over all
         * reference models.
         *
         * @param index the reference's index, {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code index < 0}
         */
        public Builder singleReference(int index) {
            this.singleReference = Preconditions.checkNonNegative(index, "singleReference");
            this.singleReferenceModel = null;
            return this;
        }

        /**
         * Fixes the reference of the single rows by model name; default: the mean over all reference models.
         *
         * @param model the reference model, not blank
         * @return this builder
         * @throws NullPointerException     if {@code model} is null
         * @throws IllegalArgumentException if {@code model} is blank
         */
        public Builder singleReferenceModel(String model) {
            this.singleReferenceModel = Preconditions.notBlank(model, "singleReferenceModel");
            this.singleReference = null;
            return this;
        }

        /**
         * Extra rows scored with these similarities instead of the scorer's ("multi + no penalty,
         * NAME" and "FEWL, NAME"), for comparing similarities on the same candidates with paired
         * intervals; an embedding similarity's embedder is replaced by the run's shared cache of
         * the scorer's embedder. Default none.
         *
         * @param similarities the similarities, none null
         * @return this builder
         * @throws NullPointerException     if {@code similarities} is null
         * @throws IllegalArgumentException if an element is null
         */
        public Builder compareSimilarities(List<? extends Similarity> similarities) {
            this.compareSimilarities = List.copyOf(Preconditions.noNulls(similarities, "compareSimilarities"));
            return this;
        }

        /**
         * Adds the row {@value HallucinationBenchmark#FEWL_AGREEMENT} (expertise from the references'
         * agreement where candidates have no IW/CO answers), to compare it with uniform weights;
         * default off (it costs about as much as the FEWL row again).
         *
         * @param on whether to add the row
         * @return this builder
         */
        public Builder compareAgreementExpertise(boolean on) {
            this.compareAgreement = on;
            return this;
        }

        /**
         * Bootstrap resamples (0: no intervals); default 1000.
         *
         * @param resamples how many, {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code resamples < 0}
         */
        public Builder bootstrap(int resamples) {
            this.bootstrap = Preconditions.checkNonNegative(resamples, "bootstrap");
            return this;
        }

        /**
         * The bootstrap seed, also recorded in the provenance of the result and of every row's scorer.
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Extra FEWL rows at these temperatures; default τ = 1.
         *
         * @param ts the temperatures, none null
         * @return this builder
         * @throws NullPointerException     if {@code ts} is null
         * @throws IllegalArgumentException if one of its elements is null
         */
        public Builder compareTemperatures(List<Temperature> ts) {
            this.compareTemperatures = List.copyOf(Preconditions.noNulls(ts, "compareTemperatures"));
            return this;
        }

        /**
         * Receives progress (stage {@code benchmark}: configurations scored).
         *
         * @param p the listener
         * @return this builder
         * @throws NullPointerException if {@code p} is null
         */
        public Builder progress(ProgressListener p) {
            this.progress = Preconditions.notNull(p, "progress");
            return this;
        }

        /**
         * Builds the benchmark.
         *
         * @return the benchmark
         * @throws IllegalStateException if the scorer settings have a similarity that is not
         *                               embedding-based, K &gt; 0 and no embedder for the neighbour search
         */
        public HallucinationBenchmark build() {
            Similarity similarity = scorer.similarity();
            if (similarity != null && !(similarity instanceof CosineSimilarity) && !(similarity instanceof HybridSimilarity)
                    && scorer.embedder() == null && scorer.neighbours() > 0) {
                throw new IllegalStateException("the penalty rows need an embedder for the neighbour search with similarity "
                        + similarity.name() + ": give embedder(...)");
            }
            return new HallucinationBenchmark(this);
        }
    }
}
