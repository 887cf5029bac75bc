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
 * "Single" is the mean over the references of the single-reference result (one reference picked
 * without knowing its expertise), unless {@link Builder#singleReference(int)} fixes one. Extra rows:
 * FEWL with uniform λ, FEWL at each {@link Builder#compareTemperatures compared τ} (default τ = 1), and
 * each reference on its own.
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

    private final FewlScorer.Builder scorer;
    private final Integer singleReference;
    private final int bootstrap;
    private final long seed;
    private final List<Temperature> compareTemperatures;
    private final ProgressListener progress;

    private HallucinationBenchmark(Builder b) {
        this.scorer = b.scorer.copy();
        this.singleReference = b.singleReference;
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
     */
    public record Result(List<Row> rows, List<Difference> differences, int questions, int skipped, int truthful,
                         int hallucinated, long pairs, double temperature, int bootstrap, Provenance provenance) {

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
         */
        public Result {
            rows = List.copyOf(rows);
            differences = List.copyOf(differences);
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
            return sb.toString();
        }

        private static String fmt(Interval i, boolean signed) {
            String f = signed ? "%+.3f [%+.3f, %+.3f]" : "%.3f [%.3f, %.3f]";
            return String.format(Locale.ROOT, f, i.value(), i.low(), i.high());
        }

        /**
         * The result as one line of JSON: the counts, {@code temperature}, {@code rows} (name,
         * paperRow, winRate/Low/High, auroc/Low/High), {@code fewlMinus} (versus, the same six
         * numbers) and {@code provenance}; a number that is not finite (no bootstrap) is
         * {@code null}.
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
        List<FewlItem> items = new ArrayList<>();
        int[][] truthIdx = new int[questions.size()][];
        int[][] hallIdx = new int[questions.size()][];
        int truthful = 0;
        int hallucinated = 0;
        long pairs = 0;
        for (int q = 0; q < questions.size(); q++) {
            BenchQuestion bq = questions.get(q);
            truthIdx[q] = new int[bq.truthful().size()];
            hallIdx[q] = new int[bq.hallucinated().size()];
            int t = 0;
            int h = 0;
            for (FewlItem it : bq.items()) {
                if (it.label() == Label.TRUTHFUL) {
                    truthIdx[q][t++] = items.size();
                } else {
                    hallIdx[q][h++] = items.size();
                }
                items.add(it);
            }
            truthful += t;
            hallucinated += h;
            pairs += (long) t * h;
        }
        Similarity similarity = scorer.similarity();
        Embedder owned = null;
        Embedder base = scorer.embedder();
        if (base == null && similarity == null) {
            owned = Preconditions.notNull(scorer.defaultEmbedder().get(), "default embedder");
            base = owned;
        } else if (base == null && similarity instanceof CosineSimilarity c) {
            base = c.embedder();
        }
        try (CachingEmbedder cache = base == null ? null : new CachingEmbedder(base, false)) {
            // Every row shares one cache of embeddings; the rows differ from the given settings in one thing each.
            Similarity sim = similarity == null || similarity instanceof CosineSimilarity ? new CosineSimilarity(cache) : similarity;
            FewlScorer.Builder common = scorer.copy().similarity(sim).seed(seed);
            if (cache != null) {
                common.embedder(cache);
            }
            Map<String, FewlScorer.Builder> configs = new LinkedHashMap<>();
            configs.put("fewl", common.copy());
            configs.put("multi", common.copy().penalty(false));
            configs.put("uniform", common.copy().uniformWeights(true));
            for (int i = 0; i < compareTemperatures.size(); i++) {
                configs.put("tau" + i, common.copy().temperature(compareTemperatures.get(i)));
            }
            List<Integer> singles = new ArrayList<>();
            if (singleReference != null) {
                singles.add(singleReference);
            } else {
                for (int r = 0; r < minRefs; r++) {
                    singles.add(r);
                }
            }
            for (int r : singles) {
                configs.put("single" + r, common.copy().singleReference(r).penalty(false));
                configs.put("singlePen" + r, common.copy().singleReference(r));
            }
            Map<String, double[]> scores = new LinkedHashMap<>();
            double fewlTau = Double.NaN;
            int done = 0;
            for (Map.Entry<String, FewlScorer.Builder> c : configs.entrySet()) {
                try (FewlScorer scorer = c.getValue().build()) {
                    List<FewlScore> s = scorer.scoreAll(items);
                    double[] v = new double[s.size()];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = s.get(i).total();
                        if (c.getKey().equals("fewl") && Double.isNaN(fewlTau) && !Double.isNaN(s.get(i).temperature())) {
                            fewlTau = s.get(i).temperature();
                        }
                    }
                    scores.put(c.getKey(), v);
                }
                progress.progress("benchmark", ++done, configs.size());
            }
            Metrics metrics = new Metrics(truthIdx, hallIdx, items.size());
            List<String> rowNames = new ArrayList<>();
            List<List<double[]>> rowScores = new ArrayList<>();
            List<Boolean> paper = new ArrayList<>();
            String which = singleReference == null ? "" : " (ref " + questions.get(0).references().get(singleReference).model() + ")";
            addRow(rowNames, rowScores, paper, SINGLE_NO_PENALTY + which, true, singles.stream().map(r -> scores.get("single" + r)).toList());
            addRow(rowNames, rowScores, paper, SINGLE_PENALTY + which, true, singles.stream().map(r -> scores.get("singlePen" + r)).toList());
            addRow(rowNames, rowScores, paper, MULTI_NO_PENALTY, true, List.of(scores.get("multi")));
            addRow(rowNames, rowScores, paper, FEWL, true, List.of(scores.get("fewl")));
            addRow(rowNames, rowScores, paper, "FEWL, uniform weights", false, List.of(scores.get("uniform")));
            for (int i = 0; i < compareTemperatures.size(); i++) {
                addRow(rowNames, rowScores, paper, "FEWL, tau = " + compareTemperatures.get(i), false, List.of(scores.get("tau" + i)));
            }
            if (singleReference == null && singles.size() > 1) {
                for (int r : singles) {
                    String model = questions.get(0).references().get(r).model();
                    addRow(rowNames, rowScores, paper, "single ref " + model + " + no penalty", false, List.of(scores.get("single" + r)));
                    addRow(rowNames, rowScores, paper, "single ref " + model + " + penalty", false, List.of(scores.get("singlePen" + r)));
                }
            }
            int fewlRow = rowNames.indexOf(FEWL);
            int nRows = rowNames.size();
            double[] winPoint = new double[nRows];
            double[] aucPoint = new double[nRows];
            int[] ones = new int[questions.size()];
            Arrays.fill(ones, 1);
            for (int r = 0; r < nRows; r++) {
                winPoint[r] = metrics.winRate(rowScores.get(r), ones);
                aucPoint[r] = metrics.auroc(rowScores.get(r), ones);
            }
            double[][] winBoot = new double[nRows][bootstrap];
            double[][] aucBoot = new double[nRows][bootstrap];
            RandomGenerator rng = new MersenneTwister(seed);
            int[] counts = new int[questions.size()];
            for (int b = 0; b < bootstrap; b++) {
                Arrays.fill(counts, 0);
                for (int i = 0; i < counts.length; i++) {
                    counts[rng.nextInt(counts.length)]++;
                }
                for (int r = 0; r < nRows; r++) {
                    winBoot[r][b] = metrics.winRate(rowScores.get(r), counts);
                    aucBoot[r][b] = metrics.auroc(rowScores.get(r), counts);
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
            Map<String, String> config = new LinkedHashMap<>();
            config.put("similarity", sim.name());
            config.put("neighbours", Integer.toString(scorer.neighbours()));
            config.put("temperature", scorer.temperature().toString());
            config.put("singleReference", singleReference == null ? "mean over references" : singleReference.toString());
            config.put("bootstrap", Integer.toString(bootstrap));
            String model = cache != null ? cache.id() : sim.name();
            return new Result(rows, diffs, questions.size(), skipped, truthful, hallucinated, pairs, fewlTau, bootstrap,
                    Provenance.of(model, config, seed));
        } finally {
            if (owned != null) {
                owned.close();
            }
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

        /** Σ_q w_q wins_q / Σ_q w_q pairs_q. */
        double winRate(double[] s, int[] w) {
            double wins = 0;
            double pairs = 0;
            for (int q = 0; q < truth.length; q++) {
                if (w[q] == 0) {
                    continue;
                }
                double qw = 0;
                for (int t : truth[q]) {
                    for (int h : hall[q]) {
                        qw += s[t] > s[h] ? 1 : s[t] == s[h] ? 0.5 : 0;
                    }
                }
                wins += w[q] * qw;
                pairs += (double) w[q] * truth[q].length * hall[q].length;
            }
            return wins / pairs;
        }

        private final Map<double[], Integer[]> orders = new java.util.IdentityHashMap<>();

        /** Weighted Mann–Whitney AUROC over all candidates (ties ½); each candidate weighs its question's weight. */
        double auroc(double[] s, int[] w) {
            Integer[] order;
            synchronized (orders) {
                order = orders.computeIfAbsent(s, k -> {
                    Integer[] o = new Integer[k.length];
                    for (int i = 0; i < o.length; i++) {
                        o[i] = i;
                    }
                    Arrays.sort(o, (a, b) -> Double.compare(k[a], k[b]));
                    return o;
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
         * Fixes the reference of the single rows; default: the mean over all references.
         *
         * @param index the reference's index, {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code index < 0}
         */
        public Builder singleReference(int index) {
            this.singleReference = Preconditions.checkNonNegative(index, "singleReference");
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
            if (similarity != null && !(similarity instanceof CosineSimilarity) && scorer.embedder() == null && scorer.neighbours() > 0) {
                throw new IllegalStateException("the penalty rows need an embedder for the neighbour search with similarity "
                        + similarity.name() + ": give embedder(...)");
            }
            return new HallucinationBenchmark(this);
        }
    }
}
