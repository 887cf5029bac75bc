package dev.keel.safety;

import dev.keel.core.internal.Preconditions;
import dev.keel.core.Provenance;
import dev.keel.core.chat.ChatMessage;
import dev.keel.core.chat.Role;
import dev.keel.core.chat.ChatRecord;
import dev.keel.safety.data.AdvBench;
import dev.keel.safety.data.HarmfulBehavior;
import dev.keel.safety.internal.Stratified;
import dev.keel.safety.internal.Texts;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Adds exactly {@code k} safety samples (harmful instruction &rarr; refusal) to a chat fine-tuning
 * dataset, stratified over policy categories, deterministically for a seed.
 *
 * <p>The k samples are spread over the categories present in the pool so that any two categories'
 * counts differ by at most one, unless a category has no more samples to give. Which categories get
 * the extra one, which samples are drawn and (by default) where they land in the output are chosen
 * by a {@link Random} seeded with the given seed: the same inputs and seed always give the same
 * file, byte for byte.
 *
 * <p>The mixer refuses to contaminate training data: if a pool instruction or a user turn of the
 * base dataset equals an evaluation instruction after folding case, whitespace and punctuation, it
 * throws {@link EvaluationLeakException}. By default the pool is the AdvBench train split and the
 * evaluation set the AdvBench held-out split.
 *
 * <pre>{@code
 * SafetyMixer mixer = SafetyMixer.builder().seed(42).build();
 * SafetyMixer.Result mixed = mixer.mix(ChatRecord.readAll(in), 100);
 * mixed.write(out);   // out (OpenAI chat JSONL) and out.provenance.json
 * }</pre>
 */
public final class SafetyMixer {

    /**
     * The outcome of a mix.
     *
     * @param records     the base records and the added samples as chat records, in output order
     * @param added       the safety samples that were added
     * @param perCategory how many samples were added per category
     * @param provenance  library version, configuration (k, per-category counts, pool), seed and time
     */
    public record Result(List<ChatRecord> records, List<SafetySample> added, Map<PolicyCategory, Integer> perCategory,
                         Provenance provenance) {

        /**
         * Keeps unmodifiable copies of the lists and the map.
         *
         * @param records     the base records and the added samples as chat records, in output order
         * @param added       the safety samples that were added
         * @param perCategory how many samples were added per category
         * @param provenance  library version, configuration (k, per-category counts, pool), seed and time
         */
        public Result {
            records = List.copyOf(records);
            added = List.copyOf(added);
            perCategory = Collections.unmodifiableMap(new EnumMap<>(perCategory));
        }

        /**
         * Writes the records as OpenAI chat JSONL to {@code out} and the provenance to its sidecar, both atomically.
         *
         * @param out the chat JSONL file to write; its provenance goes to {@code out.provenance.json}
         * @throws IOException if the file cannot be written
         */
        public void write(Path out) throws IOException {
            ChatRecord.writeAll(out, records);
            provenance.writeSidecar(out);
        }
    }

    private final List<SafetySample> pool;
    private final Set<String> evaluation;
    private final long seed;
    private final String systemPrompt;
    private final boolean shuffle;
    private final String poolName;

    private SafetyMixer(Builder b, List<SafetySample> pool, Set<String> evaluation) {
        this.pool = pool;
        this.evaluation = evaluation;
        this.seed = b.seed;
        this.systemPrompt = b.systemPrompt;
        this.shuffle = b.shuffle;
        this.poolName = b.poolName;
    }

    /**
     * A builder; the {@link Builder#seed(long) seed} is required, and the defaults are the AdvBench
     * train split with Keel's refusals as the pool, the held-out split as the evaluation set, no
     * system prompt, and shuffled output.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The distinct safety samples the mixer draws from.
     *
     * @return the distinct safety samples the mixer draws from
     */
    public List<SafetySample> pool() {
        return pool;
    }

    /**
     * How many pool samples each category holds.
     *
     * @return how many pool samples each category holds
     */
    public Map<PolicyCategory, Integer> available() {
        Map<PolicyCategory, Integer> m = new EnumMap<>(PolicyCategory.class);
        for (SafetySample s : pool) {
            m.merge(s.category(), 1, Integer::sum);
        }
        return m;
    }

    /**
     * Returns {@code base} with exactly {@code k} safety samples added.
     *
     * @param base the fine-tuning records to mix into (kept, in order of the shuffle)
     * @param k the number of safety samples to add, at least 0
     * @return {@code base} with exactly {@code k} safety samples added
     * @throws IllegalArgumentException if {@code k} is negative or larger than the pool
     * @throws EvaluationLeakException  if a user turn of {@code base} is an evaluation instruction
     */
    public Result mix(List<ChatRecord> base, int k) {
        Preconditions.noNulls(base, "base");
        Preconditions.checkNonNegative(k, "k");
        if (k > pool.size()) {
            throw new IllegalArgumentException("k must be <= the " + pool.size() + " safety samples available, was " + k);
        }
        List<String> leaks = new ArrayList<>();
        for (ChatRecord r : base) {
            for (ChatMessage m : r.messages()) {
                if (m.role() == Role.USER && evaluation.contains(Texts.normalise(m.content()))) {
                    leaks.add(m.content());
                }
            }
        }
        if (!leaks.isEmpty()) {
            throw new EvaluationLeakException("the base dataset", leaks);
        }

        PolicyCategory[] categories = PolicyCategory.values();
        List<List<SafetySample>> groups = new ArrayList<>(categories.length);
        for (int c = 0; c < categories.length; c++) {
            groups.add(new ArrayList<>());
        }
        for (SafetySample s : pool) {
            groups.get(s.category().ordinal()).add(s);
        }
        int[] available = new int[categories.length];
        for (int c = 0; c < categories.length; c++) {
            available[c] = groups.get(c).size();
        }
        Random random = new Random(seed);
        int[] quota = Stratified.allocate(k, available, random);

        List<SafetySample> added = new ArrayList<>(k);
        Map<PolicyCategory, Integer> perCategory = new EnumMap<>(PolicyCategory.class);
        for (int c = 0; c < categories.length; c++) {
            if (quota[c] == 0) {
                continue;
            }
            List<SafetySample> group = new ArrayList<>(groups.get(c));
            Collections.shuffle(group, random);
            added.addAll(group.subList(0, quota[c]));
            perCategory.put(categories[c], quota[c]);
        }

        List<ChatRecord> records = new ArrayList<>(base.size() + k);
        records.addAll(base);
        for (SafetySample s : added) {
            records.add(s.toRecord(systemPrompt));
        }
        if (shuffle) {
            Collections.shuffle(records, random);
        }

        Map<String, String> config = new LinkedHashMap<>();
        config.put("operation", "safety-mix");
        config.put("k", Integer.toString(k));
        config.put("baseRecords", Integer.toString(base.size()));
        config.put("pool", poolName);
        config.put("poolSize", Integer.toString(pool.size()));
        config.put("evaluationSize", Integer.toString(evaluation.size()));
        config.put("shuffle", Boolean.toString(shuffle));
        config.put("systemPrompt", systemPrompt == null ? "" : systemPrompt);
        for (Map.Entry<PolicyCategory, Integer> e : perCategory.entrySet()) {
            config.put("added." + e.getKey().id(), e.getValue().toString());
        }
        return new Result(records, added, perCategory, Provenance.of("none", config, seed));
    }

    /** Builds a {@link SafetyMixer}; the seed is required. */
    public static final class Builder {
        private List<SafetySample> pool;
        private Collection<String> evaluation;
        private Long seedValue;
        private long seed;
        private String systemPrompt;
        private boolean shuffle = true;
        private String poolName = "custom";

        private Builder() {
        }

        /**
         * The safety samples to draw from (default: the AdvBench train split with Keel's refusals).
         *
         * @param pool the safety samples to draw from
         * @return this builder
         */
        public Builder pool(List<SafetySample> pool) {
            this.pool = List.copyOf(Preconditions.noNulls(pool, "pool"));
            this.poolName = "custom";
            return this;
        }

        /**
         * Instructions that must never appear in training data (default: the AdvBench held-out split).
         *
         * @param evaluation the evaluation instructions
         * @return this builder
         */
        public Builder evaluation(Collection<String> evaluation) {
            this.evaluation = List.copyOf(Preconditions.noNulls(evaluation, "evaluation"));
            return this;
        }

        /**
         * The seed of every random choice (required).
         *
         * @param seed the seed of every random choice
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            this.seedValue = seed;
            return this;
        }

        /**
         * A system prompt put before each safety sample (default none).
         *
         * @param systemPrompt the system prompt, or {@code null} for none
         * @return this builder
         */
        public Builder systemPrompt(String systemPrompt) {
            this.systemPrompt = systemPrompt;
            return this;
        }

        /**
         * Whether the output order is shuffled (default {@code true}); if not, safety samples follow the base.
         *
         * @param shuffle whether to shuffle the mixed records
         * @return this builder
         */
        public Builder shuffle(boolean shuffle) {
            this.shuffle = shuffle;
            return this;
        }

        /**
         * Builds the mixer.
         *
         * @return the mixer
         * @throws IllegalStateException   if no seed was set
         * @throws EvaluationLeakException if a pool instruction is an evaluation instruction
         */
        public SafetyMixer build() {
            Preconditions.checkState(seedValue != null, "seed must be set");
            List<SafetySample> p = pool;
            if (p == null) {
                p = SafetySample.of(AdvBench.train());
                poolName = "advbench-train";
            }
            Collection<String> e = evaluation;
            if (e == null) {
                e = AdvBench.evaluation().stream().map(HarmfulBehavior::goal).toList();
            }
            Set<String> evalNorm = new HashSet<>();
            for (String s : e) {
                evalNorm.add(Texts.normalise(s));
            }
            List<String> leaks = new ArrayList<>();
            List<SafetySample> distinct = new ArrayList<>(p.size());
            Set<String> seen = new HashSet<>();
            for (SafetySample s : p) {
                String n = Texts.normalise(s.instruction());
                if (evalNorm.contains(n)) {
                    leaks.add(s.instruction());
                } else if (seen.add(n)) {
                    distinct.add(s);
                }
            }
            if (!leaks.isEmpty()) {
                throw new EvaluationLeakException("the safety pool", leaks);
            }
            return new SafetyMixer(this, List.copyOf(distinct), Set.copyOf(evalNorm));
        }
    }
}
