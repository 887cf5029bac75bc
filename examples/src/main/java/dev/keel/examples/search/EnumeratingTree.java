package dev.keel.examples.search;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.core.KeelVersion;
import dev.keel.core.chat.ChatRecord;
import dev.keel.core.internal.AtomicFiles;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.lm.CausalLm;
import dev.keel.core.lm.LmState;
import dev.keel.core.lm.generate.LmTokenizer;
import dev.keel.core.lm.search.CountTree;
import dev.keel.core.lm.train.ChatExamples;
import dev.keel.core.lm.train.TrainingExample;
import dev.keel.examples.tiny.TinyChatTemplate;
import dev.keel.examples.tiny.TinyCorpus;
import dev.keel.examples.tiny.TinyModel;
import dev.keel.examples.tiny.TinyTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The enumerating tree next to the trained model (issue 14): a {@link CountTree} over keel-tiny's
 * own training records (regenerated from the seed exactly as {@code TinyRecipe} builds them: chat
 * formatted, tokenized, cut to the trainer's maximum length), compared with the model that was
 * trained on them.
 *
 * <ul>
 *   <li><b>seen prefixes</b>: every distinct prefix state whose next token is a training target (the
 *       answer part of a record), once each: KL(tree || model) of the next-token distributions,
 *       the model's top-1 agreement with the tree's most frequent next token (a tie counts when the
 *       model's choice is one of the tied tokens), and the model's probability mass on the tree's
 *       support; overall, by the prefix's count (1, 2–9, 10–99, &gt;= 100) and by task family. The
 *       same for the prompt part's states, which are no training targets, for contrast;</li>
 *   <li><b>perplexity</b> of the answer tokens (the end-of-turn token included), per token, for the
 *       model and for the tree with its Witten–Bell back-off ({@link CountTree#probability}) at each
 *       maximum context order, on the training records and on {@link TinyCorpus#heldOut} (never
 *       trained on, TruthfulQA excepted), with the share of held-out answer prefixes the exact tree
 *       has seen.</li>
 * </ul>
 * The model reads each record once (one forward pass with a fresh KV cache gives every position's
 * logits). Writes {@value #CSV} and {@value #MD} into the output directory, atomically.
 *
 * <pre>{@code
 * EnumeratingTree.Result r = EnumeratingTree.run(null, Path.of("out"), EnumeratingTree.Settings.defaults(), System.err::println);
 * }</pre>
 */
public final class EnumeratingTree {

    /** The table's file name. */
    public static final String CSV = "enumerating-tree.csv";
    /** The report's file name. */
    public static final String MD = "enumerating-tree.md";
    /** The prefix-count buckets, by lower bound. */
    static final String[] BUCKETS = {"1", "2-9", "10-99", ">=100"};
    private static final String HEADER = "section,family,bucket,max_order,states,tokens,kl_mean,kl_weighted,"
            + "tree_entropy_weighted,top1_agreement,model_mass_on_support,model_ppl,tree_ppl,uniform_ppl,seen_share";

    private EnumeratingTree() {
    }

    /**
     * What to compute.
     *
     * @param maxOrders        the back-off trees' longest contexts; the first is the primary one
     * @param seenRecords      training records whose states are compared (a seeded sample), 0 for all
     * @param heldOutPerFamily held-out prompts per family ({@link TinyCorpus#heldOut})
     * @param seed             the corpus seed (the model's training seed) and the sample's seed
     */
    public record Settings(List<Integer> maxOrders, int seenRecords, int heldOutPerFamily, long seed) {

        /**
         * Checks the settings.
         *
         * @param maxOrders        the orders, not empty, each >= 0
         * @param seenRecords      >= 0
         * @param heldOutPerFamily > 0
         * @param seed             any
         * @throws IllegalArgumentException naming the bad value
         */
        public Settings {
            Preconditions.notEmpty(maxOrders, "maxOrders");
            for (Integer o : maxOrders) {
                Preconditions.notNull(o, "maxOrders element");
                Preconditions.checkNonNegative(o, "maxOrder");
            }
            maxOrders = List.copyOf(maxOrders);
            Preconditions.checkNonNegative(seenRecords, "seenRecords");
            Preconditions.checkPositive(heldOutPerFamily, "heldOutPerFamily");
        }

        /**
         * The settings of the committed run: orders 4 (primary), 0, 1, 2, 8; every training record; 40 held-out
         * prompts per family (keel-tiny's own evaluation set); seed 42.
         *
         * @return the defaults
         */
        public static Settings defaults() {
            return new Settings(List.of(4, 0, 1, 2, 8), 0, 40, 42);
        }
    }

    /**
     * One row of the table; NaN where a column does not apply (written empty).
     *
     * @param section     {@code seen} (answer-part states), {@code seen-prompt} (prompt-part states),
     *                    {@code train} or {@code heldout} (perplexities)
     * @param family      a task family or {@code all}
     * @param bucket      the prefix-count bucket or {@code all} (empty for perplexities)
     * @param maxOrder    the back-off order of {@code tree_ppl}, -1 for the state rows
     * @param states      distinct prefix states (state rows) or records (perplexity rows)
     * @param tokens      occurrences: the states' continuing counts, or the answer tokens scored
     * @param klMean      mean KL(tree || model) per state, in nats
     * @param klWeighted  KL weighted by the state's continuing count (per training token)
     * @param treeEntropy the tree's next-token entropy weighted the same way (the loss floor on these states)
     * @param top1        the model's top-1 agreement with the tree's most frequent next token
     * @param mass        the model's mean probability mass on the tree's support
     * @param modelPpl    the model's per-token perplexity
     * @param treePpl     the tree's per-token perplexity with back-off
     * @param uniformPpl  the uniform distribution's (the vocabulary size)
     * @param seenShare   the share of scored prefixes the exact tree has seen
     */
    public record Row(String section, String family, String bucket, int maxOrder, long states, long tokens,
                      double klMean, double klWeighted, double treeEntropy, double top1, double mass,
                      double modelPpl, double treePpl, double uniformPpl, double seenShare) {

        /**
         * The row as CSV (fixed precision, empty for NaN).
         *
         * @return one line without a line break
         */
        public String toCsv() {
            return String.join(",", section, family, csvText(bucket), maxOrder < 0 ? "" : Integer.toString(maxOrder),
                    Long.toString(states), Long.toString(tokens), num(klMean), num(klWeighted), num(treeEntropy),
                    num(top1), num(mass), num(modelPpl), num(treePpl), num(uniformPpl), num(seenShare));
        }
    }

    /**
     * The size of one tree.
     *
     * @param maxOrder     its longest back-off context
     * @param prefixNodes  distinct prefixes from a record's start
     * @param contextNodes distinct back-off contexts and continuations
     * @param bytes        its arrays' payload ({@link CountTree#bytes()})
     * @param seconds      build time
     */
    public record TreeSize(int maxOrder, int prefixNodes, int contextNodes, long bytes, double seconds) {
    }

    /**
     * A finished run.
     *
     * @param rows     the table
     * @param trees    the trees' sizes, in the settings' order
     * @param markdown the report
     * @param seconds  the run's wall time
     */
    public record Result(List<Row> rows, List<TreeSize> trees, String markdown, double seconds) {

        /**
         * The row of a section, family, bucket and order.
         *
         * @param section  the section
         * @param family   the family or {@code all}
         * @param bucket   the bucket, {@code all} or empty
         * @param maxOrder the order, -1 for state rows
         * @return the row
         * @throws IllegalArgumentException if there is none
         */
        public Row row(String section, String family, String bucket, int maxOrder) {
            for (Row r : rows) {
                if (r.section().equals(section) && r.family().equals(family) && r.bucket().equals(bucket)
                        && r.maxOrder() == maxOrder) {
                    return r;
                }
            }
            throw new IllegalArgumentException("no row " + section + "/" + family + "/" + bucket + "/" + maxOrder);
        }
    }

    /**
     * Runs the experiment on a keel-tiny directory and writes {@value #CSV} and {@value #MD} into
     * {@code outDir}.
     *
     * @param modelDir a directory trained by {@code TinyRecipe} (its {@code metrics.json} is checked against
     *                 the regenerated corpus), or null for the bundled keel-tiny
     * @param outDir   the output directory, created if needed
     * @param settings what to compute
     * @param progress status lines, or null
     * @return the result
     * @throws IOException              if a file cannot be read or written
     * @throws IllegalArgumentException if the model was not trained on the regenerated corpus
     */
    public static Result run(Path modelDir, Path outDir, Settings settings, Consumer<String> progress) throws IOException {
        Preconditions.notNull(outDir, "outDir");
        Preconditions.notNull(settings, "settings");
        Path dir = modelDir == null ? TinyModel.path() : modelDir;
        Consumer<String> log = progress == null ? s -> { } : progress;
        List<TinyCorpus.Item> train = TinyCorpus.train(settings.seed());
        int maxLength = checkCorpus(dir, settings.seed(), train);
        String check = "the regenerated corpus (TinyCorpus.train(" + settings.seed() + ")) and its tokenizer match "
                + "the model's metrics.json and tokenizer.json";
        log.accept("corpus check: " + check);
        List<TinyCorpus.Item> heldOut = TinyCorpus.heldOut(settings.seed(), settings.heldOutPerFamily());
        Result r;
        try (CausalLm model = CausalLm.load(dir, Device.cpu());
             LmTokenizer tok = LmTokenizer.load(dir.resolve("tokenizer.json"))) {
            String name = modelDir == null ? "keel-tiny (bundled)" : dir.toString();
            r = compute(model, tok, train, heldOut, maxLength, settings, name, check, log);
        }
        Files.createDirectories(outDir);
        write(outDir, r);
        return r;
    }

    /** Writes the table and the report atomically. */
    static void write(Path outDir, Result r) throws IOException {
        StringBuilder csv = new StringBuilder(HEADER).append('\n');
        for (Row row : r.rows()) {
            csv.append(row.toCsv()).append('\n');
        }
        AtomicFiles.writeString(outDir.resolve(CSV), csv.toString());
        AtomicFiles.writeString(outDir.resolve(MD), r.markdown());
    }

    /**
     * Checks that {@code dir} was trained on {@code train}: its {@code metrics.json} names the seed,
     * the example and token counts of the encoded corpus, and its {@code tokenizer.json} holds the
     * vocabulary built from the corpus.
     *
     * @return the trainer's maximum length
     */
    static int checkCorpus(Path dir, long seed, List<TinyCorpus.Item> train) throws IOException {
        Path metricsFile = dir.resolve("metrics.json");
        if (!Files.isRegularFile(metricsFile)) {
            throw new IllegalArgumentException(metricsFile + " is missing: cannot check that the model was trained on "
                    + "TinyCorpus.train(" + seed + ")");
        }
        JsonNode m = Json.readFile(metricsFile);
        long trainedSeed = m.path("seed").asLong(Long.MIN_VALUE);
        if (trainedSeed != seed) {
            throw new IllegalArgumentException("seed: the model in " + dir + " was trained with seed " + m.path("seed")
                    + " (metrics.json), not " + seed);
        }
        int minCount = m.path("settings").path("minCount").asInt(-1);
        int maxLength = Integer.parseInt(m.path("training").path("config").path("maxLength").asText("0"));
        List<String> texts = new ArrayList<>(train.size() * 2);
        for (TinyCorpus.Item it : train) {
            texts.add(it.prompt());
            texts.add(it.answer());
        }
        JsonNode vocab = TinyTokenizer.toJson(TinyTokenizer.vocabulary(texts, minCount)).path("model").path("vocab");
        JsonNode theirs = Json.readFile(dir.resolve("tokenizer.json")).path("model").path("vocab");
        if (!vocab.equals(theirs)) {
            throw new IllegalArgumentException("tokenizer.json: the vocabulary of " + dir + " (" + theirs.size()
                    + " entries) is not the one built from TinyCorpus.train(" + seed + ") with minCount " + minCount
                    + " (" + vocab.size() + " entries)");
        }
        long examples = m.path("corpus").path("examples").asLong(-1);
        long tokens = m.path("corpus").path("tokens").asLong(-1);
        long ours = 0;
        try (LmTokenizer tok = LmTokenizer.load(dir.resolve("tokenizer.json"))) {
            for (TrainingExample e : encode(train, tok, 0)) {
                ours += e.length();
            }
        }
        if (examples != train.size() || tokens != ours) {
            throw new IllegalArgumentException("corpus: metrics.json of " + dir + " records " + examples + " examples of "
                    + tokens + " tokens, the regenerated corpus has " + train.size() + " of " + ours);
        }
        return maxLength;
    }

    /** The items as the trainer sees them: chat formatted, tokenized, cut to {@code maxLength} (0: uncut). */
    static List<TrainingExample> encode(List<TinyCorpus.Item> items, LmTokenizer tok, int maxLength) {
        List<ChatRecord> records = new ArrayList<>(items.size());
        for (TinyCorpus.Item it : items) {
            records.add(ChatRecord.of(null, it.prompt(), it.answer()));
        }
        List<TrainingExample> out = ChatExamples.encodeAll(records, tok, TinyChatTemplate.instance(), -1);
        if (maxLength > 0) {
            out.replaceAll(e -> e.truncate(maxLength));
        }
        return out;
    }

    /**
     * The experiment on a loaded model: trees over {@code train}, the model's forward over each record.
     *
     * @param model     the model trained on {@code train}
     * @param tok       its tokenizer
     * @param train     the training items, as trained on
     * @param heldOut   held-out items
     * @param maxLength the trainer's maximum length (records are cut to it), 0 for none
     * @param settings  what to compute
     * @param modelName the model's name in the report
     * @param check     what was checked about the corpus, for the report
     * @param log       status lines
     * @return the result (nothing written)
     */
    static Result compute(CausalLm model, LmTokenizer tok, List<TinyCorpus.Item> train, List<TinyCorpus.Item> heldOut,
                          int maxLength, Settings settings, String modelName, String check, Consumer<String> log) {
        long t0 = System.nanoTime();
        Instant started = Instant.now();
        int vocab = model.vocabSize();
        tok.checkCompatible(vocab);
        List<TrainingExample> trainEx = encode(train, tok, maxLength);
        List<TrainingExample> heldEx = encode(heldOut, tok, maxLength);
        List<long[]> sequences = new ArrayList<>(trainEx.size());
        for (TrainingExample e : trainEx) {
            sequences.add(e.inputIds());
        }
        List<CountTree> trees = new ArrayList<>();
        List<TreeSize> sizes = new ArrayList<>();
        for (int order : settings.maxOrders()) {
            long b0 = System.nanoTime();
            CountTree tree = CountTree.of(sequences, vocab, order);
            double s = (System.nanoTime() - b0) / 1e9;
            trees.add(tree);
            sizes.add(new TreeSize(order, tree.prefixNodes(), tree.contextNodes(), tree.bytes(), s));
            log.accept(String.format(Locale.ROOT, "tree max order %d: %d prefix nodes, %d context nodes, %.1f MB, %.1f s",
                    order, tree.prefixNodes(), tree.contextNodes(), tree.bytes() / 1e6, s));
        }
        CountTree exact = trees.get(0);
        int orders = trees.size();

        // seen states and training perplexity
        List<Integer> picked = sample(trainEx.size(), settings.seenRecords(), settings.seed());
        Map<String, StateAcc> states = new LinkedHashMap<>();
        Map<String, PplAcc> ppl = new LinkedHashMap<>();
        Set<CountTree.Node> visited = new HashSet<>();
        int done = 0;
        Batches trainBatches = new Batches(model, trainEx, picked);
        while (trainBatches.hasNext()) {
            int idx = trainBatches.next();
            float[] logits = trainBatches.logits();
            TrainingExample e = trainEx.get(idx);
            String family = train.get(idx).family().key();
            long[] ids = e.inputIds();
            boolean[] mask = e.labelMask();
            CountTree.Node node = exact.root();
            for (int t = 1; t < ids.length; t++) {
                node = node.child(ids[t - 1]).orElseThrow(() -> new IllegalStateException("a training prefix is missing"));
                boolean fresh = visited.add(node);
                if (!mask[t] && !fresh) {
                    continue;
                }
                NextToken row = new NextToken(logits, (t - 1) * vocab, vocab);
                if (mask[t]) {
                    PplAcc fam = ppl.computeIfAbsent("train|" + family, k -> new PplAcc(orders));
                    PplAcc all = ppl.computeIfAbsent("train|all", k -> new PplAcc(orders));
                    double modelNll = -row.logProb((int) ids[t]);
                    long[] prefix = Arrays.copyOf(ids, t);
                    double[] treeNll = new double[orders];
                    for (int o = 0; o < orders; o++) {
                        treeNll[o] = -Math.log(trees.get(o).probability(prefix, ids[t]));
                    }
                    fam.add(modelNll, treeNll, true);
                    all.add(modelNll, treeNll, true);
                }
                if (!fresh) {
                    continue;
                }
                StateStats s = stateStats(node, row);
                String section = mask[t] ? "seen" : "seen-prompt";
                String bucket = bucket(node.nextTotal());
                states.computeIfAbsent(section + "|all|all", k -> new StateAcc()).add(s);
                states.computeIfAbsent(section + "|all|" + bucket, k -> new StateAcc()).add(s);
                if (mask[t]) {
                    states.computeIfAbsent(section + "|" + family + "|all", k -> new StateAcc()).add(s);
                }
            }
            done++;
            if (done % 1000 == 0) {
                log.accept(String.format(Locale.ROOT, "training records: %d/%d (%.0f s)", done, picked.size(),
                        (System.nanoTime() - t0) / 1e9));
            }
        }
        Map<String, Integer> trainRecords = new LinkedHashMap<>();
        for (int idx : picked) {
            trainRecords.merge(train.get(idx).family().key(), 1, Integer::sum);
        }
        trainRecords.put("all", picked.size());

        // held-out perplexity
        Map<String, Integer> heldRecords = new LinkedHashMap<>();
        Batches heldBatches = new Batches(model, heldEx, sample(heldEx.size(), 0, 0));
        while (heldBatches.hasNext()) {
            int i = heldBatches.next();
            float[] logits = heldBatches.logits();
            TrainingExample e = heldEx.get(i);
            String family = heldOut.get(i).family().key();
            heldRecords.merge(family, 1, Integer::sum);
            long[] ids = e.inputIds();
            boolean[] mask = e.labelMask();
            CountTree.Node node = exact.root();
            for (int t = 1; t < ids.length; t++) {
                node = node == null ? null : node.child(ids[t - 1]).orElse(null);
                if (!mask[t]) {
                    continue;
                }
                NextToken row = new NextToken(logits, (t - 1) * vocab, vocab);
                double modelNll = -row.logProb((int) ids[t]);
                long[] prefix = Arrays.copyOf(ids, t);
                double[] treeNll = new double[orders];
                for (int o = 0; o < orders; o++) {
                    treeNll[o] = -Math.log(trees.get(o).probability(prefix, ids[t]));
                }
                boolean seen = node != null;
                ppl.computeIfAbsent("heldout|" + family, k -> new PplAcc(orders)).add(modelNll, treeNll, seen);
                ppl.computeIfAbsent("heldout|all", k -> new PplAcc(orders)).add(modelNll, treeNll, seen);
            }
        }
        heldRecords.put("all", heldEx.size());
        log.accept(String.format(Locale.ROOT, "held-out records: %d (%.0f s)", heldEx.size(), (System.nanoTime() - t0) / 1e9));

        List<Row> rows = new ArrayList<>();
        for (String section : List.of("seen", "seen-prompt")) {
            for (String b : concat("all", BUCKETS)) {
                StateAcc a = states.getOrDefault(section + "|all|" + b, new StateAcc());
                rows.add(a.row(section, "all", b));
            }
            if (section.equals("seen")) {
                for (TinyCorpus.Family f : TinyCorpus.Family.values()) {
                    StateAcc a = states.get(section + "|" + f.key() + "|all");
                    if (a != null) {
                        rows.add(a.row(section, f.key(), "all"));
                    }
                }
            }
        }
        for (String section : List.of("train", "heldout")) {
            Map<String, Integer> records = section.equals("train") ? trainRecords : heldRecords;
            for (String f : familiesAndAll()) {
                PplAcc a = ppl.get(section + "|" + f);
                if (a == null) {
                    continue;
                }
                for (int o = 0; o < orders; o++) {
                    rows.add(a.row(section, f, settings.maxOrders().get(o), o, records.getOrDefault(f, 0), vocab));
                }
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        String md = markdown(rows, sizes, settings, modelName, check, vocab, trainEx.size(), exact.tokens(),
                picked.size(), heldEx.size(), maxLength, started, seconds);
        return new Result(List.copyOf(rows), List.copyOf(sizes), md, seconds);
    }

    private static List<String> familiesAndAll() {
        List<String> out = new ArrayList<>();
        out.add("all");
        for (TinyCorpus.Family f : TinyCorpus.Family.values()) {
            out.add(f.key());
        }
        return out;
    }

    private static List<String> concat(String first, String[] rest) {
        List<String> out = new ArrayList<>();
        out.add(first);
        out.addAll(Arrays.asList(rest));
        return out;
    }

    /** Record indices: all of them in order, or {@code n} of them drawn with {@code seed} (then sorted). */
    static List<Integer> sample(int size, int n, long seed) {
        List<Integer> all = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            all.add(i);
        }
        if (n == 0 || n >= size) {
            return all;
        }
        java.util.Collections.shuffle(all, new Random(seed));
        List<Integer> out = new ArrayList<>(all.subList(0, n));
        out.sort(null);
        return out;
    }

    static String bucket(long count) {
        return count < 2 ? BUCKETS[0] : count < 10 ? BUCKETS[1] : count < 100 ? BUCKETS[2] : BUCKETS[3];
    }

    /**
     * The records in batches of similar length, each batch one forward pass (right-padded: under
     * causal attention, and in a recurrent model, a real position never reads the padding after it,
     * so every real position's logits are those of the record alone); hands out one record's logits
     * {@code [length * vocab]} at a time.
     */
    private static final class Batches {
        /** Tokens per forward pass (records times the longest record's length). */
        static final int TOKENS = 2048;
        final CausalLm model;
        final List<TrainingExample> examples;
        final List<Integer> order;
        int pos;
        int batchEnd;
        float[] batch;
        int batchT;
        int batchStart;
        float[] current;

        Batches(CausalLm model, List<TrainingExample> examples, List<Integer> indices) {
            this.model = model;
            this.examples = examples;
            this.order = new ArrayList<>(indices);
            this.order.sort((a, b) -> a.equals(b) ? 0 : examples.get(a).length() != examples.get(b).length()
                    ? Integer.compare(examples.get(a).length(), examples.get(b).length()) : Integer.compare(a, b));
        }

        boolean hasNext() {
            return pos < order.size();
        }

        int next() {
            if (pos == batchEnd) {
                load();
            }
            int idx = order.get(pos);
            int v = model.vocabSize();
            int off = (pos - batchStart) * batchT * v;
            current = Arrays.copyOfRange(batch, off, off + examples.get(idx).length() * v);
            pos++;
            return idx;
        }

        float[] logits() {
            return current;
        }

        private void load() {
            batchStart = pos;
            int end = pos;
            int longest = 0;
            while (end < order.size()) {
                int len = examples.get(order.get(end)).length();
                if (end > pos && (long) Math.max(longest, len) * (end - pos + 1) > TOKENS) {
                    break;
                }
                longest = Math.max(longest, len);
                end++;
            }
            batchEnd = end;
            batchT = longest;
            long[] ids = new long[(end - pos) * longest];
            for (int b = 0; b < end - pos; b++) {
                long[] rec = examples.get(order.get(pos + b)).inputIds();
                System.arraycopy(rec, 0, ids, b * longest, rec.length);
            }
            try (NDManager sm = model.manager().newSubManager();
                 LmState state = model.newState(sm)) {
                NDArray in = sm.create(ids).reshape(end - pos, longest);
                batch = model.forward(in, null, state, false).toFloatArray();
            }
        }
    }

    /** One position's next-token log-probabilities, from its logits (log-softmax in double precision). */
    private static final class NextToken {
        final float[] logits;
        final int off;
        final int vocab;
        final double logZ;
        final int argmax;

        NextToken(float[] logits, int off, int vocab) {
            this.logits = logits;
            this.off = off;
            this.vocab = vocab;
            double max = Double.NEGATIVE_INFINITY;
            int arg = 0;
            for (int i = 0; i < vocab; i++) {
                if (logits[off + i] > max) {
                    max = logits[off + i];
                    arg = i;
                }
            }
            double sum = 0;
            for (int i = 0; i < vocab; i++) {
                sum += Math.exp(logits[off + i] - max);
            }
            this.logZ = max + Math.log(sum);
            this.argmax = arg;
        }

        double logProb(int token) {
            return logits[off + token] - logZ;
        }
    }

    /** KL(tree || model) of one state, and the rest. */
    private record StateStats(double kl, double entropy, boolean top1, double mass, long weight) {
    }

    private static StateStats stateStats(CountTree.Node node, NextToken row) {
        long total = node.nextTotal();
        double kl = 0;
        double entropy = 0;
        double mass = 0;
        long best = 0;
        for (Map.Entry<Long, Long> e : node.nextCounts().entrySet()) {
            best = Math.max(best, e.getValue());
        }
        boolean top1 = false;
        for (Map.Entry<Long, Long> e : node.nextCounts().entrySet()) {
            double p = (double) e.getValue() / total;
            double lq = row.logProb(e.getKey().intValue());
            kl += p * (Math.log(p) - lq);
            entropy -= p * Math.log(p);
            mass += Math.exp(lq);
            if (e.getKey() == row.argmax && e.getValue() == best) {
                top1 = true;
            }
        }
        return new StateStats(kl, entropy, top1, mass, total);
    }

    private static final class StateAcc {
        long states;
        long weight;
        double kl;
        double klWeighted;
        double entropyWeighted;
        long top1;
        double mass;

        void add(StateStats s) {
            states++;
            weight += s.weight();
            kl += s.kl();
            klWeighted += s.kl() * s.weight();
            entropyWeighted += s.entropy() * s.weight();
            top1 += s.top1() ? 1 : 0;
            mass += s.mass();
        }

        Row row(String section, String family, String bucket) {
            double n = states;
            return new Row(section, family, bucket, -1, states, weight, states == 0 ? Double.NaN : kl / n,
                    weight == 0 ? Double.NaN : klWeighted / weight, weight == 0 ? Double.NaN : entropyWeighted / weight,
                    states == 0 ? Double.NaN : top1 / n, states == 0 ? Double.NaN : mass / n, Double.NaN, Double.NaN,
                    Double.NaN, Double.NaN);
        }
    }

    private static final class PplAcc {
        long tokens;
        long seen;
        double model;
        final double[] tree;

        PplAcc(int orders) {
            tree = new double[orders];
        }

        void add(double modelNll, double[] treeNll, boolean wasSeen) {
            tokens++;
            seen += wasSeen ? 1 : 0;
            model += modelNll;
            for (int i = 0; i < tree.length; i++) {
                tree[i] += treeNll[i];
            }
        }

        Row row(String section, String family, int maxOrder, int o, long records, int vocab) {
            return new Row(section, family, "", maxOrder, records, tokens, Double.NaN, Double.NaN, Double.NaN,
                    Double.NaN, Double.NaN, Math.exp(model / tokens), Math.exp(tree[o] / tokens), vocab,
                    (double) seen / tokens);
        }
    }

    // ------------------------------------------------------------------ report

    private static String markdown(List<Row> rows, List<TreeSize> sizes, Settings s, String modelName, String check,
                                   int vocab, int records, long tokens, int seenRecords, int heldRecords, int maxLength,
                                   Instant started, double seconds) {
        int primary = s.maxOrders().get(0);
        StringBuilder md = new StringBuilder();
        md.append("# The enumerating tree next to keel-tiny\n\n");
        md.append(String.format(Locale.ROOT, "Model: %s; corpus: %d training records (%d tokens, cut to %d), vocabulary "
                        + "%d; seed %d; %d records compared, %d held-out records; keel %s, %s, %.0f s.%n%n", modelName,
                records, tokens, maxLength, vocab, s.seed(), seenRecords, heldRecords, KeelVersion.get(), started, seconds));
        md.append("Corpus check: ").append(check).append(".\n\n");
        md.append("Trees (Witten-Bell back-off over contexts of up to `max order` tokens):\n\n");
        md.append("| max order | prefix nodes | context nodes | bytes | build s |\n|---|---|---|---|---|\n");
        for (TreeSize t : sizes) {
            md.append(String.format(Locale.ROOT, "| %d | %d | %d | %d | %.2f |%n", t.maxOrder(), t.prefixNodes(),
                    t.contextNodes(), t.bytes(), t.seconds()));
        }
        md.append("\n## Seen prefixes: the model against the exact tree\n\n");
        md.append("Distinct prefix states, once each; `occurrences` weights a state by the records continuing it. KL in nats.\n\n");
        md.append("| states | bucket (count) | states | occurrences | KL(tree‖model) per state | KL per occurrence "
                + "| tree entropy per occurrence | top-1 agreement | model mass on tree support |\n"
                + "|---|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            if (r.section().startsWith("seen") && r.family().equals("all")) {
                md.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %s | %s | %s | %s | %s |%n",
                        r.section().equals("seen") ? "answer (targets)" : "prompt (no targets)", r.bucket(), r.states(),
                        r.tokens(), fmt(r.klMean()), fmt(r.klWeighted()), fmt(r.treeEntropy()), fmt(r.top1()), fmt(r.mass())));
            }
        }
        md.append("\nAnswer-part states by family:\n\n");
        md.append("| family | states | occurrences | KL per state | KL per occurrence | tree entropy | top-1 agreement | mass on support |\n"
                + "|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            if (r.section().equals("seen") && !r.family().equals("all")) {
                md.append(String.format(Locale.ROOT, "| %s | %d | %d | %s | %s | %s | %s | %s |%n", r.family(), r.states(),
                        r.tokens(), fmt(r.klMean()), fmt(r.klWeighted()), fmt(r.treeEntropy()), fmt(r.top1()), fmt(r.mass())));
            }
        }
        md.append(String.format(Locale.ROOT, "%n## Perplexity of the answer tokens (tree: back-off, max order %d)%n%n", primary));
        md.append("| family | train records | model (train) | tree (train) | held-out records | model (held-out) "
                + "| tree (held-out) | held-out prefixes the tree has seen |\n|---|---|---|---|---|---|---|---|\n");
        for (String f : familiesAndAll()) {
            Row tr = find(rows, "train", f, primary);
            Row ho = find(rows, "heldout", f, primary);
            if (tr == null && ho == null) {
                continue;
            }
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s |%n", f,
                    tr == null ? "0" : Long.toString(tr.states()), tr == null ? "-" : fmt(tr.modelPpl()),
                    tr == null ? "-" : fmt(tr.treePpl()), ho == null ? "0" : Long.toString(ho.states()),
                    ho == null ? "-" : fmt(ho.modelPpl()), ho == null ? "-" : fmt(ho.treePpl()),
                    ho == null ? "-" : fmt(ho.seenShare())));
        }
        md.append(String.format(Locale.ROOT, "%nThe uniform distribution's perplexity is %d.%n%n", vocab));
        md.append("Tree perplexity by maximum order (all families):\n\n| max order | train | held-out |\n|---|---|---|\n");
        for (int o : s.maxOrders()) {
            Row tr = find(rows, "train", "all", o);
            Row ho = find(rows, "heldout", "all", o);
            md.append(String.format(Locale.ROOT, "| %d | %s | %s |%n", o, tr == null ? "-" : fmt(tr.treePpl()),
                    ho == null ? "-" : fmt(ho.treePpl())));
        }
        Row trAll = find(rows, "train", "all", primary);
        Row hoAll = find(rows, "heldout", "all", primary);
        if (trAll != null && hoAll != null) {
            md.append(String.format(Locale.ROOT, "%nModel: train %s, held-out %s.%n", fmt(trAll.modelPpl()),
                    fmt(hoAll.modelPpl())));
        }
        return md.toString();
    }

    private static Row find(List<Row> rows, String section, String family, int order) {
        for (Row r : rows) {
            if (r.section().equals(section) && r.family().equals(family) && r.maxOrder() == order) {
                return r;
            }
        }
        return null;
    }

    private static String fmt(double v) {
        if (Double.isNaN(v)) {
            return "-";
        }
        return Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.4f", v);
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.6g", v);
    }

    private static String csvText(String s) {
        return s.contains(",") ? "\"" + s + "\"" : s;
    }

    /**
     * Runs the experiment: {@code [--model DIR] [--out DIR] [--seed 42] [--seen-records N] [--held-out N]}
     * (defaults: the bundled keel-tiny, {@code enumerating-tree}, {@link Settings#defaults()}).
     *
     * @param args the options
     * @throws IOException if a file cannot be read or written
     */
    public static void main(String[] args) throws IOException {
        Path model = null;
        Path out = Path.of("enumerating-tree");
        Settings d = Settings.defaults();
        long seed = d.seed();
        int seen = d.seenRecords();
        int held = d.heldOutPerFamily();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(a + " needs a value");
            }
            String v = args[++i];
            switch (a) {
                case "--model" -> model = Path.of(v);
                case "--out" -> out = Path.of(v);
                case "--seed" -> seed = Long.parseLong(v);
                case "--seen-records" -> seen = Integer.parseInt(v);
                case "--held-out" -> held = Integer.parseInt(v);
                default -> throw new IllegalArgumentException("unknown option " + a
                        + " (expected --model, --out, --seed, --seen-records, --held-out)");
            }
        }
        Result r = run(model, out, new Settings(d.maxOrders(), seen, held, seed), System.err::println);
        System.out.print(r.markdown());
    }
}
