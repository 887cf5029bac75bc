package dev.keel.examples.sam;

import dev.keel.core.internal.Preconditions;
import dev.keel.core.Provenance;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The result of a {@link ForgettingExperiment}: one row per method, each a mean and standard deviation
 * over seeds. Scores are teacher-forced next-token accuracy on the reference answers, in percent.
 *
 * @param taskABefore the task-A score of the model before fine-tuning
 * @param taskBBefore the task-B score before fine-tuning
 * @param rows        one per method, in run order
 * @param runs        every single run (method, seed), for the record
 * @param notes       the conditions of the run (model, steps, data sizes), printed under the table
 * @param provenance  library, model, configuration, first seed and time
 */
public record ForgettingTable(double taskABefore, double taskBBefore, List<Row> rows, List<Run> runs,
                              List<String> notes, Provenance provenance) {

    public ForgettingTable {
        rows = List.copyOf(rows);
        runs = List.copyOf(runs);
        notes = List.copyOf(notes);
    }

    /** A mean and a sample standard deviation (0 for one value). */
    public record Stat(double mean, double sd, int n) {

        public static Stat of(List<Double> values) {
            Preconditions.notEmpty(values, "values");
            double mean = values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
            double ss = 0;
            for (double v : values) {
                ss += (v - mean) * (v - mean);
            }
            return new Stat(mean, values.size() > 1 ? Math.sqrt(ss / (values.size() - 1)) : 0, values.size());
        }

        public String format(String pattern) {
            if (Double.isNaN(mean)) {
                return "–";
            }
            return String.format(Locale.ROOT, pattern, mean) + " ± " + String.format(Locale.ROOT, pattern, sd);
        }
    }

    /**
     * One fine-tuning run.
     *
     * @param method     e.g. {@code sam:0.05+rehearsal}
     * @param seed       its seed
     * @param taskA      task-A score after
     * @param taskALoss  task-A loss after
     * @param taskB      task-B score after
     * @param ag         average gradient of the landscape after (NaN when not measured)
     * @param mag        mean absolute gradient
     * @param sc         surface curvature
     * @param maxSharp   max-sharpness (NaN when not measured)
     * @param passes     gradient passes of the run
     * @param seconds    training time
     */
    public record Run(String method, long seed, double taskA, double taskALoss, double taskB, double ag, double mag,
                      double sc, double maxSharp, long passes, double seconds) {
    }

    /** One method over its seeds. */
    public record Row(String method, Stat taskA, Stat taskALoss, Stat taskB, Stat ag, Stat mag, Stat sc, Stat maxSharp,
                      Stat passes, Stat seconds) {

        /** Forgetting: the task-A score before minus after (mean). */
        public double forgetting(double before) {
            return before - taskA.mean();
        }
    }

    /** Groups runs by method, keeping the first-seen order. */
    public static List<Row> aggregate(List<Run> runs) {
        Map<String, List<Run>> by = new LinkedHashMap<>();
        for (Run r : runs) {
            by.computeIfAbsent(r.method(), k -> new ArrayList<>()).add(r);
        }
        List<Row> out = new ArrayList<>();
        for (Map.Entry<String, List<Run>> e : by.entrySet()) {
            List<Run> rs = e.getValue();
            out.add(new Row(e.getKey(), stat(rs, Run::taskA), stat(rs, Run::taskALoss), stat(rs, Run::taskB),
                    stat(rs, Run::ag), stat(rs, Run::mag), stat(rs, Run::sc), stat(rs, Run::maxSharp),
                    stat(rs, r -> (double) r.passes()), stat(rs, Run::seconds)));
        }
        return out;
    }

    private static Stat stat(List<Run> runs, java.util.function.ToDoubleFunction<Run> f) {
        List<Double> v = new ArrayList<>();
        for (Run r : runs) {
            v.add(f.applyAsDouble(r));
        }
        return Stat.of(v);
    }

    /** The row of {@code method}, or {@code null}. */
    public Row row(String method) {
        return rows.stream().filter(r -> r.method().equals(method)).findFirst().orElse(null);
    }

    /**
     * The comparison in the slide's shape, e.g. {@code Task A 51.92 → task B w/o SAM 45.22, w/ sam:0.05 52.23}
     * (task-A scores): the base model, then the first method without SAM and the best SAM-family method.
     */
    public String headline() {
        Row without = rows.stream().filter(r -> r.method().equals("none")).findFirst().orElse(null);
        Row best = rows.stream().filter(r -> !r.method().equals("none") && !r.method().contains("+"))
                .max(java.util.Comparator.comparingDouble(r -> r.taskA().mean())).orElse(null);
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "Task A %.2f", taskABefore));
        if (without != null) {
            sb.append(String.format(Locale.ROOT, " → task B w/o SAM %.2f", without.taskA().mean()));
        }
        if (best != null) {
            sb.append(String.format(Locale.ROOT, ", w/ %s %.2f", best.method(), best.taskA().mean()));
        }
        return sb.toString();
    }

    /** The table as GitHub markdown, with the headline and the notes. */
    public String toMarkdown() {
        StringBuilder sb = new StringBuilder();
        sb.append(headline()).append(" (task-A score, teacher-forced next-token accuracy %, mean over seeds)\n\n");
        sb.append(String.format(Locale.ROOT, "Before fine-tuning: task A %.2f, task B %.2f.%n%n", taskABefore, taskBBefore));
        sb.append("| method | seeds | task A after | forgetting | task A loss | task B after | AG | MAG | SC | max-sharpness | passes | s |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            sb.append("| ").append(r.method()).append(" | ").append(r.taskA().n())
                    .append(" | ").append(r.taskA().format("%.2f"))
                    .append(" | ").append(String.format(Locale.ROOT, "%.2f", r.forgetting(taskABefore)))
                    .append(" | ").append(r.taskALoss().format("%.3f"))
                    .append(" | ").append(r.taskB().format("%.2f"))
                    .append(" | ").append(r.ag().format("%.3g"))
                    .append(" | ").append(r.mag().format("%.3g"))
                    .append(" | ").append(r.sc().format("%.3g"))
                    .append(" | ").append(r.maxSharp().format("%.3g"))
                    .append(" | ").append(String.format(Locale.ROOT, "%.0f", r.passes().mean()))
                    .append(" | ").append(String.format(Locale.ROOT, "%.1f", r.seconds().mean()))
                    .append(" |\n");
        }
        if (!notes.isEmpty()) {
            sb.append('\n');
            for (String n : notes) {
                sb.append("- ").append(n).append('\n');
            }
        }
        return sb.toString();
    }

    /** The single runs as CSV. */
    public String runsCsv() {
        StringBuilder sb = new StringBuilder("method,seed,task_a,task_a_loss,task_b,ag,mag,sc,max_sharpness,passes,seconds\n");
        for (Run r : runs) {
            sb.append(String.format(Locale.ROOT, "%s,%d,%.4f,%.5f,%.4f,%.6g,%.6g,%.6g,%.6g,%d,%.2f%n", r.method(), r.seed(),
                    r.taskA(), r.taskALoss(), r.taskB(), r.ag(), r.mag(), r.sc(), r.maxSharp(), r.passes(), r.seconds()));
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return toMarkdown();
    }
}
