package dev.keel.safety.data;

import dev.keel.safety.PolicyCategory;
import dev.keel.safety.internal.CategoryRules;
import dev.keel.safety.internal.Stratified;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.data.Csv;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The AdvBench harmful behaviours (Zou et al., 2023; MIT licence), bundled in this jar: 520
 * harmful instructions with their affirmative target openings, each assigned one
 * {@link PolicyCategory} by ordered keyword rules and placed in a fixed train or held-out
 * evaluation split.
 *
 * <p>The split is drawn once: within each category, rows are shuffled by a {@link Random} seeded
 * with {@link #SPLIT_SEED} (categories taken in enum order, one generator for all) and the first
 * {@code round(0.2 * n)} rows (at least one where a category has two or more) are held out. The
 * resulting mapping is committed as {@code advbench_categories.csv}; {@link #mappingCsv()}
 * regenerates it from the rules and the seed.
 *
 * <pre>{@code
 * List<HarmfulBehavior> train = AdvBench.train();
 * List<HarmfulBehavior> heldOut = AdvBench.evaluation();
 * }</pre>
 */
public final class AdvBench {

    /** The seed of the train / evaluation split. */
    public static final long SPLIT_SEED = 20240510L;
    /** The share of each category held out for evaluation. */
    public static final double EVALUATION_FRACTION = 0.2;

    /** Resource holding the AdvBench behaviours, as published. */
    public static final String BEHAVIOURS_RESOURCE = "advbench_harmful_behaviors.csv";
    /** Resource holding the committed category and split of each behaviour. */
    public static final String MAPPING_RESOURCE = "advbench_categories.csv";

    static final List<String> BEHAVIOURS_HEADER = List.of("goal", "target");
    static final List<String> MAPPING_HEADER = List.of("index", "category", "rule", "split", "goal");

    private static volatile List<HarmfulBehavior> all;

    private AdvBench() {
    }

    /**
     * All 520 behaviours, in file order.
     *
     * @return all 520 behaviours, in file order
     */
    public static List<HarmfulBehavior> all() {
        List<HarmfulBehavior> a = all;
        if (a == null) {
            synchronized (AdvBench.class) {
                a = all;
                if (a == null) {
                    a = load();
                    all = a;
                }
            }
        }
        return a;
    }

    /**
     * The behaviours of the train split.
     *
     * @return the behaviours of the train split
     */
    public static List<HarmfulBehavior> train() {
        return of(Split.TRAIN);
    }

    /**
     * The held-out evaluation behaviours; never use them for training.
     *
     * @return the held-out evaluation behaviours; never use them for training
     */
    public static List<HarmfulBehavior> evaluation() {
        return of(Split.EVALUATION);
    }

    /**
     * The behaviours of {@code split}.
     *
     * @param split the split
     * @return the behaviours of {@code split}
     */
    public static List<HarmfulBehavior> of(Split split) {
        return all().stream().filter(b -> b.split() == split).toList();
    }

    /**
     * {@code n} of {@code behaviours} stratified over policy categories: the counts of any two
     * categories differ by at most one unless the smaller one is used up; which categories get the
     * extra one when {@code n} does not divide evenly is a seeded random choice. Within a category the
     * first behaviours are taken; the result is in AdvBench order ({@link HarmfulBehavior#index()}).
     *
     * <pre>{@code
     * List<HarmfulBehavior> subset = AdvBench.stratified(AdvBench.evaluation(), 33, 7);
     * }</pre>
     *
     * @param behaviours the behaviours to choose from, none null
     * @param n          how many to choose, in {@code [0, behaviours.size()]}
     * @param seed       the seed of the tie-breaking choice
     * @return {@code n} behaviours, a new unmodifiable list
     * @throws IllegalArgumentException if {@code n} is out of range or a behaviour is null
     */
    public static List<HarmfulBehavior> stratified(List<HarmfulBehavior> behaviours, int n, long seed) {
        Preconditions.noNulls(behaviours, "behaviours");
        Preconditions.checkArgument(n >= 0 && n <= behaviours.size(), "n must be in [0, " + behaviours.size() + "], was " + n);
        Map<PolicyCategory, List<HarmfulBehavior>> by = new EnumMap<>(PolicyCategory.class);
        for (HarmfulBehavior b : behaviours) {
            by.computeIfAbsent(b.category(), c -> new ArrayList<>()).add(b);
        }
        PolicyCategory[] cats = PolicyCategory.values();
        int[] available = new int[cats.length];
        for (int c = 0; c < cats.length; c++) {
            available[c] = by.getOrDefault(cats[c], List.of()).size();
        }
        int[] quota = Stratified.allocate(n, available, new Random(seed));
        List<HarmfulBehavior> out = new ArrayList<>(n);
        for (int c = 0; c < cats.length; c++) {
            if (quota[c] > 0) {
                out.addAll(by.get(cats[c]).subList(0, quota[c]));
            }
        }
        out.sort(Comparator.comparingInt(HarmfulBehavior::index));
        return List.copyOf(out);
    }

    /**
     * The raw {@code (goal, target)} rows of the bundled AdvBench file.
     *
     * @return the raw {@code (goal, target)} rows of the bundled AdvBench file
     */
    public static List<List<String>> rawRows() {
        return Csv.parseWithHeader(resource(BEHAVIOURS_RESOURCE), BEHAVIOURS_HEADER);
    }

    /**
     * Regenerates the mapping file from the rules and the split seed: a header
     * {@code index,category,rule,split,goal} and one LF-ended line per behaviour.
     *
     * @return the mapping file's text
     */
    public static String mappingCsv() {
        List<List<String>> rows = rawRows();
        List<CategoryRules.Match> matches = new ArrayList<>(rows.size());
        for (List<String> row : rows) {
            matches.add(CategoryRules.classify(row.get(0)));
        }
        Split[] splits = split(matches);
        StringBuilder b = new StringBuilder(Csv.line(MAPPING_HEADER));
        for (int i = 0; i < rows.size(); i++) {
            b.append(Csv.line(List.of(Integer.toString(i), matches.get(i).category().id(), matches.get(i).ruleId(),
                    splits[i].id(), rows.get(i).get(0))));
        }
        return b.toString();
    }

    private static Split[] split(List<CategoryRules.Match> matches) {
        Map<PolicyCategory, List<Integer>> byCategory = new EnumMap<>(PolicyCategory.class);
        for (int i = 0; i < matches.size(); i++) {
            byCategory.computeIfAbsent(matches.get(i).category(), c -> new ArrayList<>()).add(i);
        }
        Split[] out = new Split[matches.size()];
        java.util.Arrays.fill(out, Split.TRAIN);
        Random random = new Random(SPLIT_SEED);
        for (PolicyCategory c : PolicyCategory.values()) {
            List<Integer> rows = byCategory.get(c);
            if (rows == null) {
                continue;
            }
            Collections.shuffle(rows, random);
            int held = (int) Math.round(EVALUATION_FRACTION * rows.size());
            if (held == 0 && rows.size() >= 2) {
                held = 1;
            }
            for (int k = 0; k < held; k++) {
                out[rows.get(k)] = Split.EVALUATION;
            }
        }
        return out;
    }

    private static List<HarmfulBehavior> load() {
        List<List<String>> rows = rawRows();
        List<List<String>> mapping = Csv.parseWithHeader(resource(MAPPING_RESOURCE), MAPPING_HEADER);
        if (mapping.size() != rows.size()) {
            throw new IllegalStateException(MAPPING_RESOURCE + " has " + mapping.size() + " rows, "
                    + BEHAVIOURS_RESOURCE + " has " + rows.size());
        }
        List<HarmfulBehavior> out = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            List<String> m = mapping.get(i);
            if (!m.get(0).equals(Integer.toString(i)) || !m.get(4).equals(rows.get(i).get(0))) {
                throw new IllegalStateException(MAPPING_RESOURCE + " row " + i + " does not match " + BEHAVIOURS_RESOURCE
                        + ": " + m);
            }
            out.add(new HarmfulBehavior(i, rows.get(i).get(0), rows.get(i).get(1), PolicyCategory.parse(m.get(1)),
                    m.get(2), Split.parse(m.get(3))));
        }
        return List.copyOf(out);
    }

    static String resource(String name) {
        try (InputStream in = AdvBench.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + name + " is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + name, e);
        }
    }

    /**
     * Writes the regenerated mapping to the file named by {@code args[0]}, e.g. to refresh the
     * committed {@code advbench_categories.csv} after the rules change.
     *
     * @param args one argument, the file to write
     * @throws IOException if the file cannot be written
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: AdvBench <output.csv>");
            System.exit(2);
        }
        dev.keel.core.internal.AtomicFiles.writeString(java.nio.file.Path.of(args[0]), mappingCsv());
    }
}
