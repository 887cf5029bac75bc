package dev.keel.examples.safety;

import dev.keel.core.internal.ProvenanceJson;
import dev.keel.safety.HarmfulnessReport;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.Provenance;
import dev.keel.core.internal.AtomicFiles;
import dev.keel.core.data.Csv;
import dev.keel.core.internal.Json;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The result of a {@link SafetyExperiment}, laid out as the four tables of Qi et al. (ICLR 2024):
 * Table 1 harmful examples (one row per number of shots), Table 2 identity shifting (one row per
 * epoch count), Table 3 benign data, Table 4 each setting mixed with safety samples. Each row shows
 * the initial model's numbers, the fine-tuned model's numbers per optimizer (AdamW, and SAM, the
 * column the paper lacks) and the change of the harmfulness rate.
 *
 * <p>Initial numbers come from one greedy evaluation (deterministic), with a percentile bootstrap
 * 95% interval over the evaluated instructions. Fine-tuned numbers are the mean over seeds with the
 * range (minimum–maximum) over seeds; each single run, with its own bootstrap interval, is kept in
 * {@link #runs()}.
 *
 * @param optimizers the optimizer of each column, e.g. {@code none} and {@code sam:0.05}
 * @param initial    the initial model per prompting
 * @param runs       every fine-tuning run, in run order
 * @param notes      the conditions of the run, printed under the tables
 * @param provenance library, model, configuration, first seed and time
 */
public record SafetyTables(List<String> optimizers, List<Initial> initial, List<Run> runs, List<String> notes,
                           Provenance provenance) {

    public SafetyTables {
        optimizers = List.copyOf(Preconditions.notEmpty(optimizers, "optimizers"));
        initial = List.copyOf(Preconditions.noNulls(initial, "initial"));
        runs = List.copyOf(Preconditions.noNulls(runs, "runs"));
        notes = List.copyOf(Preconditions.noNulls(notes, "notes"));
        Preconditions.notNull(provenance, "provenance");
    }

    /** The four tables of the paper. */
    public enum Table {
        /** Table 1: harmful examples (AdvBench instruction &rarr; target opening). */
        HARMFUL(1, "Harmful examples", "shots"),
        /** Table 2: identity shifting (AOA system prompt and prefixes). */
        IDENTITY_SHIFT(2, "Identity shifting", "identity shift"),
        /** Table 3: benign instruction data. */
        BENIGN(3, "Benign data", "examples"),
        /** Table 4: each setting mixed with safety samples. */
        MIXED(4, "Mixed with safety samples", "setting");

        private final int number;
        private final String title;
        private final String rowHeader;

        Table(int number, String title, String rowHeader) {
            this.number = number;
            this.title = title;
            this.rowHeader = rowHeader;
        }

        /** 1..4, as in the paper. */
        public int number() {
            return number;
        }

        public String title() {
            return title;
        }
    }

    /** How the held-out instructions are put to the model. */
    public enum Prompting {
        /** The instruction as the only user turn. */
        PLAIN,
        /** With the AOA system prompt and user prefix, as the identity-shifting setting is evaluated. */
        AOA;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * The model before fine-tuning.
     *
     * @param prompting how the instructions were put
     * @param stats     the overall harmfulness statistics of the evaluation
     */
    public record Initial(Prompting prompting, HarmfulnessReport.Stats stats) {

        public Initial {
            Preconditions.notNull(prompting, "prompting");
            Preconditions.notNull(stats, "stats");
        }
    }

    /**
     * One fine-tuning run and its evaluation.
     *
     * @param table          the table it belongs to
     * @param setting        the fine-tuning setting ({@link Table#HARMFUL}, {@link Table#IDENTITY_SHIFT} or
     *                       {@link Table#BENIGN}; for {@link Table#MIXED} the setting that was mixed)
     * @param row            the row label, e.g. {@code 10-shot} or {@code 100-shot + 50 safety}
     * @param prompting      how the held-out instructions were put
     * @param trainRecords   fine-tuning records, safety samples included
     * @param safetySamples  safety samples among them
     * @param epochs         epochs over the records
     * @param optimizer      {@code none} or {@code sam:RHO}
     * @param seed           the seed of the data draw, the adapter and the batch order
     * @param stats          the overall harmfulness statistics after fine-tuning
     * @param steps          optimizer steps taken
     * @param finalLoss      the last step's training loss
     * @param seconds        training time
     */
    public record Run(Table table, Table setting, String row, Prompting prompting, int trainRecords, int safetySamples,
                      int epochs, String optimizer, long seed, HarmfulnessReport.Stats stats, int steps, double finalLoss,
                      double seconds) {

        public Run {
            Preconditions.notNull(table, "table");
            Preconditions.notNull(setting, "setting");
            Preconditions.notBlank(row, "row");
            Preconditions.notNull(prompting, "prompting");
            Preconditions.notBlank(optimizer, "optimizer");
            Preconditions.notNull(stats, "stats");
        }

        /** The same run filed under another table (Table 4's rows without safety samples). */
        public Run in(Table other, String otherRow) {
            return new Run(other, setting, otherRow, prompting, trainRecords, safetySamples, epochs, optimizer, seed, stats,
                    steps, finalLoss, seconds);
        }
    }

    /** A value over seeds: the mean, the smallest and largest value, and how many (NaN values left out). */
    public record Stat(double mean, double min, double max, int n) {

        public static Stat of(List<Double> values) {
            Preconditions.noNulls(values, "values");
            double sum = 0;
            double min = Double.POSITIVE_INFINITY;
            double max = Double.NEGATIVE_INFINITY;
            int n = 0;
            for (double v : values) {
                if (Double.isNaN(v)) {
                    continue;
                }
                sum += v;
                min = Math.min(min, v);
                max = Math.max(max, v);
                n++;
            }
            return n == 0 ? new Stat(Double.NaN, Double.NaN, Double.NaN, 0) : new Stat(sum / n, min, max, n);
        }
    }

    /**
     * One optimizer's numbers in a row.
     *
     * @param rate     harmfulness rate (0..1) over seeds
     * @param score    harmfulness score (1..5) over seeds
     * @param unparsed unparsed verdicts (empty responses), summed over seeds
     * @param runs     the seeds' runs
     */
    public record Cell(Stat rate, Stat score, int unparsed, List<Run> runs) {

        public Cell {
            runs = List.copyOf(runs);
        }
    }

    /**
     * One row of a table.
     *
     * @param table         the table
     * @param setting       the fine-tuning setting
     * @param label         e.g. {@code 50-shot}
     * @param prompting     how the instructions were put
     * @param trainRecords  fine-tuning records (of the first seed; the same for every seed)
     * @param safetySamples safety samples among them
     * @param epochs        epochs
     * @param initial       the initial model under the same prompting
     * @param cells         one per optimizer, in {@link #optimizers()} order (absent optimizers left out)
     */
    public record Row(Table table, Table setting, String label, Prompting prompting, int trainRecords, int safetySamples,
                      int epochs, HarmfulnessReport.Stats initial, Map<String, Cell> cells) {

        /** The change of the mean harmfulness rate from the initial model, for {@code optimizer}. */
        public double deltaRate(String optimizer) {
            Cell c = cells.get(optimizer);
            return c == null ? Double.NaN : c.rate().mean() - initial.rate();
        }
    }

    /** The initial model under {@code prompting}. */
    public HarmfulnessReport.Stats initial(Prompting prompting) {
        return initial.stream().filter(i -> i.prompting() == prompting).map(Initial::stats).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no initial evaluation with prompting " + prompting.id()));
    }

    /** The rows of {@code table}, ordered by setting, records, epochs and safety samples. */
    public List<Row> rows(Table table) {
        Preconditions.notNull(table, "table");
        Map<String, List<Run>> byRow = new LinkedHashMap<>();
        for (Run r : runs) {
            if (r.table() == table) {
                byRow.computeIfAbsent(r.row(), k -> new ArrayList<>()).add(r);
            }
        }
        List<Row> rows = new ArrayList<>();
        for (List<Run> rs : byRow.values()) {
            Run first = rs.get(0);
            Map<String, Cell> cells = new LinkedHashMap<>();
            for (String o : optimizers) {
                List<Run> of = rs.stream().filter(r -> r.optimizer().equals(o)).toList();
                if (!of.isEmpty()) {
                    cells.put(o, new Cell(Stat.of(of.stream().map(r -> r.stats().rate()).toList()),
                            Stat.of(of.stream().map(r -> r.stats().score()).toList()),
                            of.stream().mapToInt(r -> r.stats().unparsed()).sum(), of));
                }
            }
            rows.add(new Row(table, first.setting(), first.row(), first.prompting(), first.trainRecords(),
                    first.safetySamples(), first.epochs(), initial(first.prompting()), cells));
        }
        rows.sort(Comparator.comparingInt((Row r) -> r.setting().ordinal()).thenComparingInt(Row::trainRecords)
                .thenComparingInt(Row::epochs).thenComparingInt(Row::safetySamples));
        return rows;
    }

    /** The row labelled {@code label} in {@code table}, or {@code null}. */
    public Row row(Table table, String label) {
        return rows(table).stream().filter(r -> r.label().equals(label)).findFirst().orElse(null);
    }

    /** A column header for an optimizer: {@code AdamW} or {@code SAM ρ=0.05}. */
    public static String optimizerLabel(String optimizer) {
        if (optimizer.equals("none")) {
            return "AdamW";
        }
        if (optimizer.startsWith("sam:")) {
            return "SAM ρ=" + optimizer.substring(4);
        }
        return optimizer;
    }

    // ---------------------------------------------------------------- markdown

    /** The four tables (those with rows) as GitHub markdown, with the notes. */
    public String toMarkdown() {
        StringBuilder sb = new StringBuilder();
        for (Table t : Table.values()) {
            List<Row> rows = rows(t);
            if (rows.isEmpty()) {
                continue;
            }
            sb.append("**Table ").append(t.number()).append(". ").append(t.title()).append(".** ")
                    .append("Harmfulness rate (share of held-out AdvBench instructions answered without a refusal) ")
                    .append("and harmfulness score (1..5).\n\n");
            StringBuilder head = new StringBuilder("| ").append(t.rowHeader).append(" | records | epochs | initial rate | initial score |");
            StringBuilder rule = new StringBuilder("|---|---:|---:|---:|---:|");
            for (String o : optimizers) {
                String l = optimizerLabel(o);
                head.append(' ').append(l).append(" rate | ").append(l).append(" score | Δ rate |");
                rule.append("---:|---:|---:|");
            }
            sb.append(head).append('\n').append(rule).append('\n');
            for (Row r : rows) {
                sb.append("| ").append(r.label()).append(" | ").append(r.trainRecords()).append(" | ").append(r.epochs())
                        .append(" | ").append(pct(r.initial().rate())).append(' ').append(ci(r.initial().rateCi(), true))
                        .append(" | ").append(num(r.initial().score())).append(" |");
                for (String o : optimizers) {
                    Cell c = r.cells().get(o);
                    if (c == null) {
                        sb.append(" – | – | – |");
                        continue;
                    }
                    sb.append(' ').append(pct(c.rate().mean())).append(' ').append(range(c.rate(), true))
                            .append(" | ").append(num(c.score().mean())).append(' ').append(range(c.score(), false))
                            .append(" | ").append(signedPct(r.deltaRate(o))).append(" |");
                }
                sb.append('\n');
            }
            sb.append('\n');
        }
        sb.append("Initial: one greedy evaluation, [95% percentile-bootstrap interval over the instructions]. ")
                .append("Fine-tuned: mean over seeds (min–max over seeds). Δ rate: fine-tuned mean minus initial, ")
                .append("in percentage points.\n");
        if (!notes.isEmpty()) {
            sb.append('\n');
            for (String n : notes) {
                sb.append("- ").append(n).append('\n');
            }
        }
        return sb.toString();
    }

    private static String pct(double v) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.1f%%", 100 * v);
    }

    private static String signedPct(double v) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%+.1f", 100 * v);
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String ci(HarmfulnessReport.Interval i, boolean percent) {
        if (Double.isNaN(i.low())) {
            return "";
        }
        return percent ? String.format(Locale.ROOT, "[%.1f–%.1f]", 100 * i.low(), 100 * i.high())
                : String.format(Locale.ROOT, "[%.2f–%.2f]", i.low(), i.high());
    }

    private static String range(Stat s, boolean percent) {
        if (s.n() < 2) {
            return "";
        }
        return percent ? String.format(Locale.ROOT, "(%.1f–%.1f)", 100 * s.min(), 100 * s.max())
                : String.format(Locale.ROOT, "(%.2f–%.2f)", s.min(), s.max());
    }

    // ---------------------------------------------------------------- JSON and CSV

    /** The tables, the single runs, the notes and the provenance as JSON. */
    public ObjectNode toJson() {
        ObjectNode o = Json.mapper().createObjectNode();
        o.set("provenance", ProvenanceJson.toJson(provenance));
        ArrayNode opt = o.putArray("optimizers");
        optimizers.forEach(opt::add);
        ArrayNode init = o.putArray("initial");
        for (Initial i : initial) {
            ObjectNode n = counts(i.stats());
            n.put("prompting", i.prompting().id());
            init.add(n);
        }
        ArrayNode tables = o.putArray("tables");
        for (Table t : Table.values()) {
            ObjectNode tn = tables.addObject();
            tn.put("table", t.number()).put("id", t.name().toLowerCase(Locale.ROOT)).put("title", t.title());
            ArrayNode rows = tn.putArray("rows");
            for (Row r : rows(t)) {
                ObjectNode rn = rows.addObject();
                rn.put("label", r.label()).put("setting", r.setting().name().toLowerCase(Locale.ROOT))
                        .put("prompting", r.prompting().id()).put("records", r.trainRecords())
                        .put("safetySamples", r.safetySamples()).put("epochs", r.epochs());
                rn.set("initial", counts(r.initial()));
                ObjectNode cells = rn.putObject("fineTuned");
                for (Map.Entry<String, Cell> e : r.cells().entrySet()) {
                    ObjectNode cn = cells.putObject(e.getKey());
                    cn.set("rate", stat(e.getValue().rate()));
                    cn.set("score", stat(e.getValue().score()));
                    cn.put("unparsed", e.getValue().unparsed());
                    Json.putNumber(cn, "deltaRate", r.deltaRate(e.getKey()));
                }
            }
        }
        ArrayNode rs = o.putArray("runs");
        for (Run r : runs) {
            ObjectNode n = rs.addObject();
            n.put("table", r.table().number()).put("setting", r.setting().name().toLowerCase(Locale.ROOT))
                    .put("row", r.row()).put("prompting", r.prompting().id()).put("records", r.trainRecords())
                    .put("safetySamples", r.safetySamples()).put("epochs", r.epochs()).put("optimizer", r.optimizer())
                    .put("seed", r.seed()).put("steps", r.steps());
            Json.putNumber(n, "finalLoss", r.finalLoss());
            n.put("seconds", r.seconds());
            n.set("stats", counts(r.stats()));
        }
        ArrayNode nn = o.putArray("notes");
        notes.forEach(nn::add);
        return o;
    }

    private static ObjectNode stat(Stat s) {
        ObjectNode o = Json.mapper().createObjectNode();
        Json.putNumber(o, "mean", s.mean());
        Json.putNumber(o, "min", s.min());
        Json.putNumber(o, "max", s.max());
        o.put("n", s.n());
        return o;
    }

    /** The JSON as pretty-printed text. */
    public String toJsonString() {
        return Json.toPrettyString(toJson());
    }

    /** The single runs as CSV with a header. */
    public String runsCsv() {
        StringBuilder sb = new StringBuilder(Csv.line(List.of("table", "setting", "row", "prompting", "records",
                "safety_samples", "epochs", "optimizer", "seed", "evaluated", "scored", "unparsed", "rate", "rate_low",
                "rate_high", "score", "steps", "final_loss", "seconds")));
        for (Run r : runs) {
            HarmfulnessReport.Stats s = r.stats();
            sb.append(Csv.line(List.of(Integer.toString(r.table().number()), r.setting().name().toLowerCase(Locale.ROOT),
                    r.row(), r.prompting().id(), Integer.toString(r.trainRecords()), Integer.toString(r.safetySamples()),
                    Integer.toString(r.epochs()), r.optimizer(), Long.toString(r.seed()), Integer.toString(s.total()),
                    Integer.toString(s.scored()), Integer.toString(s.unparsed()), csvNum(s.rate()),
                    csvNum(s.rateCi().low()), csvNum(s.rateCi().high()), csvNum(s.score()), Integer.toString(r.steps()),
                    csvNum(r.finalLoss()), String.format(Locale.ROOT, "%.2f", r.seconds()))));
        }
        return sb.toString();
    }

    private static String csvNum(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.6f", v);
    }

    /**
     * Writes {@code safety-experiment.md}, {@code safety-experiment.json} and
     * {@code safety-experiment-runs.csv} into {@code dir}, each atomically, and the provenance sidecar
     * of the markdown file; returns the paths.
     */
    public List<Path> write(Path dir) throws IOException {
        Preconditions.notNull(dir, "dir");
        Path md = dir.resolve("safety-experiment.md");
        Path json = dir.resolve("safety-experiment.json");
        Path csv = dir.resolve("safety-experiment-runs.csv");
        AtomicFiles.writeString(md, toMarkdown());
        AtomicFiles.writeString(json, toJsonString());
        AtomicFiles.writeString(csv, runsCsv());
        Path prov = provenance.writeSidecar(md);
        return List.of(md, json, csv, prov);
    }

    @Override
    public String toString() {
        return "SafetyTables[optimizers=" + optimizers + ", runs=" + runs.size() + ", initial="
                + initial.stream().map(i -> i.prompting().id() + " " + pct(i.stats().rate())).toList() + "]";
    }

    private static ObjectNode counts(HarmfulnessReport.Stats s) {
        return Json.objectOf(s.countsAndNumbers());
    }
}
