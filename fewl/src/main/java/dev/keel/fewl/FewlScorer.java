package dev.keel.fewl;

import dev.keel.core.internal.Preconditions;
import dev.keel.core.Provenance;
import dev.keel.core.chat.ChatModel;
import dev.keel.core.chat.GenerationOptions;
import dev.keel.core.embed.Embedder;
import dev.keel.core.similarity.CosineSimilarity;
import dev.keel.core.similarity.Similarity;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Scores answers with FEWL:
 * <pre>
 * FEWL(y) = Σ_i λ_i(x)·Sim(y, h_i(x))  −  (1/N) Σ_i (1/K) Σ_k Sim(y, h_i(x'_k))
 * </pre>
 * with expertise weights {@code λ = softmax(e/τ)},
 * {@code e_i = mean_r Sim(h_i, CO_r) − mean_r Sim(h_i, IW_r)}, and the laziness penalty over the K
 * questions {@code x'_k} nearest to x (cosine of question embeddings; x itself and near-duplicates
 * excluded) drawn from the neighbour corpus: the scored items themselves unless
 * {@link Builder#corpus(List)} is given. Each reference is matched to the same model's answers to
 * the neighbour questions by {@link Reference#model()}.
 *
 * <p>Cost: with an embedding similarity ({@link CosineSimilarity}, or {@link Builder#embedder}),
 * {@link #scoreAll} embeds every distinct text of the call (questions, answers, reference answers,
 * IW/CO answers, the corpus) in one {@code embedAll} and works on dot products from there (two
 * calls, one per embedder, when the similarity's embedder and {@link Builder#embedder} differ); with
 * any other similarity every distinct pair goes to one {@code scoreAll} call. Neighbour search is a
 * blocked matrix product ({@link NeighbourSearch}) below {@value NeighbourIndex#DEFAULT_AUTO_THRESHOLD}
 * corpus questions and an approximate HNSW index ({@link HnswIndex}) from there, unless
 * {@link Builder#neighbourIndex} says otherwise. Wrap the embedder in a
 * {@link dev.keel.core.embed.CachingEmbedder} to share embeddings between calls.
 *
 * <pre>{@code
 * try (FewlScorer scorer = Fewl.builder().neighbours(25).build()) {
 *     List<FewlScore> scores = scorer.scoreAll(items);
 * }
 * }</pre>
 *
 * <p>Immutable and thread-safe apart from the lazily created default embedder, which is created
 * once. {@link #close()} closes only what the scorer created (the default embedder); it is
 * idempotent, and use after close is an {@link IllegalStateException}.
 */
public final class FewlScorer implements AutoCloseable {

    /** The paper's number of neighbour questions. */
    public static final int DEFAULT_NEIGHBOURS = 25;
    /** The paper's number of IW/CO answers per question. */
    public static final int DEFAULT_ANSWERS_PER_KIND = 25;
    /** Corpus questions whose embedding has a cosine above this with the scored one are near-duplicates. */
    public static final double DEFAULT_DUPLICATE_THRESHOLD = 0.95;

    private final Similarity givenSimilarity;
    private final Embedder givenEmbedder;
    private final Supplier<Embedder> defaultEmbedder;
    private final int neighbours;
    private final Temperature temperature;
    private final int answersPerKind;
    private final List<FewlItem> corpus;
    private final FDivergence divergence;
    private final int singleReference;
    private final boolean penalty;
    private final boolean uniformWeights;
    private final double duplicateThreshold;
    private final ChatModel generator;
    private final GenerationOptions generationOptions;
    private final long seed;
    private final ProgressListener progress;
    private final boolean strict;
    private final boolean agreementExpertise;
    private final NeighbourIndex neighbourIndex;
    private final Builder settings;
    /** The neighbour search the last scoring call ran ({@code exact} or the index's parameters), for provenance. */
    private volatile String lastNeighbourSearch;

    private final Object lock = new Object();
    private Embedder ownedEmbedder;
    private final AtomicBoolean closed = new AtomicBoolean();

    private FewlScorer(Builder b) {
        this.givenSimilarity = b.similarity;
        this.givenEmbedder = b.embedder;
        this.defaultEmbedder = b.defaultEmbedder;
        this.neighbours = b.neighbours;
        this.temperature = b.temperature;
        this.answersPerKind = b.answersPerKind;
        this.corpus = b.corpus;
        this.divergence = b.divergence;
        this.singleReference = b.singleReference;
        this.penalty = b.penalty;
        this.uniformWeights = b.uniformWeights;
        this.duplicateThreshold = b.duplicateThreshold;
        this.generator = b.generator;
        this.generationOptions = b.generationOptions;
        this.seed = b.seed;
        this.progress = b.progress;
        this.strict = b.strict;
        this.agreementExpertise = b.agreementExpertise;
        this.neighbourIndex = b.neighbourIndex;
        this.settings = b.copy();
    }

    /**
     * A builder holding this scorer's settings, to derive a scorer that differs in one thing
     * (e.g. {@code scorer.toBuilder().penalty(false).build()}). The embedder and similarity are
     * shared, not owned by the new scorer; a default embedder is created anew by it.
     *
     * @return a new builder with this scorer's settings
     */
    public Builder toBuilder() {
        return settings.copy();
    }

    /**
     * A builder with the paper's defaults; the same as {@link Fewl#builder()}.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Scores one item (alone: its neighbours come from the corpus, if one was given).
     *
     * @param item the item
     * @return its score
     * @throws IllegalArgumentException naming the item for bad input (see {@link #scoreAll})
     * @throws IllegalStateException    if the scorer is closed
     */
    public FewlScore score(FewlItem item) {
        return scoreAll(List.of(item)).get(0);
    }

    /**
     * Scores every item; the result is in the same order. Item ids must be distinct.
     *
     * @param items the items, none null
     * @return one score per item, in order
     * @throws NullPointerException     if {@code items} is null
     * @throws IllegalArgumentException naming the item for bad input: duplicate ids, a single
     *                                  reference index the item does not have; in
     *                                  {@link Builder#strict strict mode} also an item without an
     *                                  answered reference or with a NaN similarity (otherwise that
     *                                  item's score is NaN, with the reason in its notes)
     * @throws IllegalStateException    if the scorer is closed, or the penalty is on and no embedder is there for the neighbour search
     */
    public List<FewlScore> scoreAll(List<FewlItem> items) {
        checkOpen();
        Preconditions.notNull(items, "items");
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < items.size(); i++) {
            FewlItem it = items.get(i);
            if (it == null) {
                throw new IllegalArgumentException("items[" + i + "] is null");
            }
            Integer prev = ids.putIfAbsent(it.id(), i);
            if (prev != null) {
                throw new IllegalArgumentException("duplicate item id \"" + it.id() + "\" (items " + prev + " and " + i + ")");
            }
            if (singleReference >= it.references().size() && !it.references().isEmpty()) {
                throw new IllegalArgumentException("item " + it.id() + ": single reference index " + singleReference
                        + " but the item has " + it.references().size() + " references");
            }
        }
        if (items.isEmpty()) {
            return List.of();
        }
        Map<String, List<String>> notes = new HashMap<>();
        List<FewlItem> work = generateMissing(items, notes);
        Similarity sim = similarity();
        Embedder emb = neighbourEmbedder();
        return new Run(work, notes, sim, emb).execute();
    }

    /**
     * Ranks candidate answers to one question by FEWL, best first: the building block of best-of-N
     * answer selection, and of choosing fine-tuning or in-context examples without labels. Each
     * candidate is scored against {@code references} (a reference with the same text as the
     * candidate is still a reference: leave it out yourself for leave-one-out). The laziness penalty
     * needs other questions: it comes from {@link Builder#corpus} when one is given, and is 0 (with a
     * note) otherwise. Ties keep the candidates' order; candidates that could not be scored come last.
     *
     * <pre>{@code
     * List<RankedAnswer> ranked = scorer.rank(question, List.of(a1, a2, a3), refs);
     * String best = ranked.get(0).answer();
     * }</pre>
     *
     * @param question   the question, not blank
     * @param candidates the candidate answers, at least one, none blank
     * @param references the reference answers, at least one
     * @return the candidates with their scores, best first
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException for a blank question or candidate, or no candidates or references
     * @throws IllegalStateException    if the scorer is closed
     */
    public List<RankedAnswer> rank(String question, List<String> candidates, List<Reference> references) {
        Preconditions.notBlank(question, "question");
        Preconditions.notEmpty(candidates, "candidates");
        Preconditions.notEmpty(references, "references");
        List<FewlItem> items = new ArrayList<>(candidates.size());
        for (int i = 0; i < candidates.size(); i++) {
            String c = candidates.get(i);
            if (c == null || c.isBlank()) {
                throw new IllegalArgumentException("candidates[" + i + "] must not be blank");
            }
            items.add(FewlItem.of("candidate-" + i, question, c, references));
        }
        List<FewlScore> scores = scoreAll(items);
        List<RankedAnswer> out = new ArrayList<>(scores.size());
        for (int i = 0; i < scores.size(); i++) {
            out.add(new RankedAnswer(i, candidates.get(i), scores.get(i)));
        }
        out.sort(java.util.Comparator.comparingDouble((RankedAnswer r) -> r.score().scored() ? -r.score().total() : Double.POSITIVE_INFINITY));
        return List.copyOf(out);
    }

    private List<FewlItem> generateMissing(List<FewlItem> items, Map<String, List<String>> notes) {
        if (generator == null || uniformWeights) {
            return items;
        }
        LinkedHashMap<String, Integer> questions = new LinkedHashMap<>();
        for (FewlItem it : items) {
            if (!it.hasExpertiseAnswers()) {
                questions.putIfAbsent(it.question(), questions.size());
            }
        }
        if (questions.isEmpty()) {
            return items;
        }
        progress.progress("generating", 0, questions.size());
        List<AnswerGenerator.Generated> gen = new AnswerGenerator(generator, answersPerKind, generationOptions)
                .generateAll(new ArrayList<>(questions.keySet()));
        progress.progress("generating", questions.size(), questions.size());
        List<FewlItem> out = new ArrayList<>(items.size());
        for (FewlItem it : items) {
            if (it.hasExpertiseAnswers()) {
                out.add(it);
                continue;
            }
            AnswerGenerator.Generated g = gen.get(questions.get(it.question()));
            if (!g.notes().isEmpty()) {
                notes.computeIfAbsent(it.id(), k -> new ArrayList<>()).addAll(g.notes());
            }
            out.add(it.withExpertiseAnswers(g.wrong(), g.corrected()));
        }
        return out;
    }

    /**
     * The similarity in use (creating the default embedder on first use).
     *
     * @return the answer similarity
     * @throws IllegalStateException if the scorer is closed
     */
    public Similarity similarity() {
        checkOpen();
        if (givenSimilarity != null) {
            return givenSimilarity;
        }
        if (givenEmbedder != null) {
            return new CosineSimilarity(givenEmbedder);
        }
        return new CosineSimilarity(owned());
    }

    private Embedder neighbourEmbedder() {
        if (givenEmbedder != null) {
            return givenEmbedder;
        }
        if (givenSimilarity instanceof CosineSimilarity c) {
            return c.embedder();
        }
        if (givenSimilarity instanceof HybridSimilarity h) {
            return h.embedder();
        }
        if (givenSimilarity != null) {
            return null;
        }
        return owned();
    }

    private Embedder owned() {
        synchronized (lock) {
            checkOpen();
            if (ownedEmbedder == null) {
                ownedEmbedder = Preconditions.notNull(defaultEmbedder.get(), "default embedder");
            }
            return ownedEmbedder;
        }
    }

    /**
     * What produced the scores: the similarity model, the configuration and the seed.
     *
     * @return the provenance
     */
    public Provenance provenance() {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("similarity", givenSimilarity != null ? givenSimilarity.name() : "cosine");
        config.put("neighbours", Integer.toString(neighbours));
        config.put("temperature", temperature.toString());
        config.put("answersPerKind", Integer.toString(answersPerKind));
        config.put("fDivergence", divergence == null ? "linear" : divergence.shortName());
        config.put("references", singleReference < 0 ? "all" : "single:" + singleReference);
        config.put("penalty", Boolean.toString(penalty));
        config.put("uniformWeights", Boolean.toString(uniformWeights));
        config.put("duplicateThreshold", Double.toString(duplicateThreshold));
        config.put("corpus", corpus == null ? "scored items" : corpus.size() + " items");
        config.put("strict", Boolean.toString(strict));
        config.put("agreementExpertise", Boolean.toString(agreementExpertise));
        config.put("neighbourIndex", neighbourIndex.toString());
        String used = lastNeighbourSearch;
        if (used != null) {
            config.put("neighbourSearch", used);
        }
        if (generator != null) {
            config.put("generator", generator.id());
        }
        String model;
        Embedder e = givenEmbedder != null ? givenEmbedder
                : givenSimilarity instanceof CosineSimilarity c ? c.embedder() : null;
        if (e != null) {
            model = e.id();
        } else if (givenSimilarity != null) {
            model = givenSimilarity.name();
        } else {
            model = "sentence-transformers/all-MiniLM-L6-v2";
        }
        return Provenance.of(model, config, seed);
    }

    /**
     * K, the number of neighbour questions.
     *
     * @return K
     */
    public int neighbours() {
        return neighbours;
    }

    /**
     * How τ is chosen.
     *
     * @return the temperature rule
     */
    public Temperature temperature() {
        return temperature;
    }

    /**
     * The f-divergence of the variational form.
     *
     * @return the divergence, or {@code null} for the linear (paper) formula
     */
    public FDivergence fDivergence() {
        return divergence;
    }

    /**
     * The index of the only reference used.
     *
     * @return the index, or {@code -1} when all are used
     */
    public int singleReference() {
        return singleReference;
    }

    /**
     * Whether the laziness penalty is on.
     *
     * @return true when it is on
     */
    public boolean penalty() {
        return penalty;
    }

    /**
     * Whether λ is uniform regardless of IW/CO answers.
     *
     * @return true for uniform weights
     */
    public boolean uniformWeights() {
        return uniformWeights;
    }

    /**
     * Closes the default embedder if the scorer created one; idempotent.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            synchronized (lock) {
                if (ownedEmbedder != null) {
                    ownedEmbedder.close();
                    ownedEmbedder = null;
                }
            }
        }
    }

    private void checkOpen() {
        Preconditions.checkState(!closed.get(), "FewlScorer is closed");
    }

    // ------------------------------------------------------------------------------------------

    /** Everything one scoreAll call computes. */
    private final class Run {
        private final List<FewlItem> items;
        private final Map<String, List<String>> notes;
        private final Similarity similarity;
        private final Embedder embedder;
        private final boolean cosine;
        /** Answer-side texts and their vectors (cosine path). */
        private final LinkedHashMap<String, Integer> text = new LinkedHashMap<>();
        private float[][] vectors;
        /** Question texts and their vectors; the same map and array as above when one embedder does both. */
        private LinkedHashMap<String, Integer> qtext = new LinkedHashMap<>();
        private float[][] qvectors;
        private List<CorpusEntry> corpusEntries = List.of();
        /** For each distinct item question, its neighbours: corpus indices and similarities. */
        private final Map<String, int[]> neighbourIdx = new HashMap<>();
        private final Map<String, double[]> neighbourSim = new HashMap<>();

        Run(List<FewlItem> items, Map<String, List<String>> notes, Similarity similarity, Embedder embedder) {
            this.items = items;
            this.notes = notes;
            this.similarity = similarity;
            this.embedder = embedder;
            this.cosine = similarity instanceof CosineSimilarity;
        }

        List<FewlScore> execute() {
            boolean usePenalty = penalty && neighbours > 0;
            if (usePenalty) {
                if (embedder == null) {
                    throw new IllegalStateException("the laziness penalty needs an embedder for the neighbour search: "
                            + "give Builder.embedder(...) or turn the penalty off");
                }
                corpusEntries = CorpusEntry.of(corpus != null ? corpus : items);
            }
            if (cosine || usePenalty) {
                embedAll(usePenalty);
            }
            if (usePenalty) {
                findNeighbours();
            }
            PairSimilarity sims;
            if (cosine) {
                sims = (a, b) -> Math.max(-1.0, Math.min(1.0, NeighbourSearch.dot(vectors[text.get(a)], vectors[text.get(b)])));
            } else {
                sims = pairTable();
            }
            return compute(sims, true);
        }

        private void add(String s) {
            text.putIfAbsent(s, text.size());
        }

        private void embedAll(boolean usePenalty) {
            Embedder answerEmbedder = cosine ? ((CosineSimilarity) similarity).embedder() : null;
            boolean shared = answerEmbedder == null || answerEmbedder == embedder;
            if (shared) {
                qtext = text;
            }
            if (usePenalty) {
                for (FewlItem it : items) {
                    qtext.putIfAbsent(it.question(), qtext.size());
                }
                for (CorpusEntry e : corpusEntries) {
                    qtext.putIfAbsent(e.question(), qtext.size());
                }
            }
            if (cosine) {
                for (FewlItem it : items) {
                    add(it.answer());
                    it.references().forEach(r -> add(r.answer()));
                    it.wrongAnswers().forEach(this::add);
                    it.correctedAnswers().forEach(this::add);
                }
                if (usePenalty) {
                    for (CorpusEntry e : corpusEntries) {
                        e.answers().values().forEach(this::add);
                    }
                }
            }
            int total = text.size() + (shared ? 0 : qtext.size());
            progress.progress("embedding", 0, total);
            if (shared) {
                vectors = embed(shared && answerEmbedder != null ? answerEmbedder : embedder, text);
                qvectors = vectors;
            } else {
                vectors = embed(answerEmbedder, text);
                qvectors = qtext.isEmpty() ? new float[0][] : embed(embedder, qtext);
            }
            progress.progress("embedding", total, total);
        }

        private float[][] embed(Embedder e, LinkedHashMap<String, Integer> texts) {
            float[][] v = e.embedAll(new ArrayList<>(texts.keySet()));
            if (v == null || v.length != texts.size()) {
                throw new IllegalStateException("embedder " + e.id() + " returned "
                        + (v == null ? "null" : v.length + " vectors") + " for " + texts.size() + " texts");
            }
            return v;
        }

        private void findNeighbours() {
            LinkedHashMap<String, String> questions = new LinkedHashMap<>();
            for (FewlItem it : items) {
                questions.putIfAbsent(it.question(), it.id());
            }
            List<String> qs = new ArrayList<>(questions.keySet());
            Map<String, Integer> corpusIndex = new HashMap<>();
            float[][] corpusVectors = new float[corpusEntries.size()][];
            for (int j = 0; j < corpusEntries.size(); j++) {
                corpusIndex.put(corpusEntries.get(j).question(), j);
                corpusVectors[j] = checkFinite(qvectors[qtext.get(corpusEntries.get(j).question())],
                        "item " + corpusEntries.get(j).id() + ": the question");
            }
            float[][] queryVectors = new float[qs.size()][];
            int[] self = new int[qs.size()];
            for (int q = 0; q < qs.size(); q++) {
                queryVectors[q] = checkFinite(qvectors[qtext.get(qs.get(q))], "item " + questions.get(qs.get(q)) + ": the question");
                self[q] = corpusIndex.getOrDefault(qs.get(q), -1);
            }
            progress.progress("neighbours", 0, qs.size());
            NeighbourIndex.Searched searched = neighbourIndex.search(queryVectors, corpusVectors, neighbours, self, duplicateThreshold);
            lastNeighbourSearch = searched.search() + " over " + corpusVectors.length + " corpus questions";
            NeighbourSearch.Result r = searched.result();
            for (int q = 0; q < qs.size(); q++) {
                neighbourIdx.put(qs.get(q), r.indices()[q]);
                neighbourSim.put(qs.get(q), r.similarities()[q]);
            }
            progress.progress("neighbours", qs.size(), qs.size());
        }

        private float[] checkFinite(float[] v, String what) {
            for (float x : v) {
                if (!Float.isFinite(x)) {
                    throw new IllegalArgumentException(what + " has an embedding that contains " + x + ", so its similarities would be NaN");
                }
            }
            return v;
        }

        /**
         * The generic path: record every pair, score them in one call, then look them up. A
         * {@link QuestionAwareSimilarity} gets each text's question; pairs are then keyed by text and question.
         */
        private PairSimilarity pairTable() {
            boolean withQuestions = similarity instanceof QuestionAwareSimilarity;
            // texts (with their question where the similarity reads it) get small ids; pairs are keyed by the two ids
            Map<String, Map<String, Integer>> ids = new HashMap<>();
            List<String> texts = new ArrayList<>();
            List<String> textQuestions = new ArrayList<>();
            Map<Long, Integer> pairs = new HashMap<>();
            List<Integer> as = new ArrayList<>();
            List<Integer> bs = new ArrayList<>();
            java.util.function.BiFunction<String, String, Integer> id = (text, question) -> {
                String q = withQuestions && question != null ? question : "";
                return ids.computeIfAbsent(q, k -> new HashMap<>()).computeIfAbsent(text, k -> {
                    texts.add(text);
                    textQuestions.add(withQuestions ? question : null);
                    return texts.size() - 1;
                });
            };
            PairSimilarity recorder = new PairSimilarity() {
                @Override
                public double sim(String a, String b) {
                    return sim(a, null, b, null);
                }

                @Override
                public double sim(String a, String qa, String b, String qb) {
                    int ia = id.apply(a, qa);
                    int ib = id.apply(b, qb);
                    pairs.computeIfAbsent(pairKey(ia, ib), k -> {
                        as.add(ia);
                        bs.add(ib);
                        return as.size() - 1;
                    });
                    return 0.0;
                }
            };
            compute(recorder, false);
            progress.progress("embedding", 0, as.size());
            double[] values;
            if (as.isEmpty()) {
                values = new double[0];
            } else {
                List<String> la = new ArrayList<>(as.size());
                List<String> lb = new ArrayList<>(as.size());
                List<String> qa = withQuestions ? new ArrayList<>(as.size()) : null;
                List<String> qb = withQuestions ? new ArrayList<>(as.size()) : null;
                for (int i = 0; i < as.size(); i++) {
                    la.add(texts.get(as.get(i)));
                    lb.add(texts.get(bs.get(i)));
                    if (withQuestions) {
                        qa.add(textQuestions.get(as.get(i)));
                        qb.add(textQuestions.get(bs.get(i)));
                    }
                }
                values = withQuestions ? ((QuestionAwareSimilarity) similarity).scoreAll(la, qa, lb, qb) : similarity.scoreAll(la, lb);
            }
            if (values == null || values.length != as.size()) {
                throw new IllegalStateException("similarity " + similarity.name() + " returned "
                        + (values == null ? "null" : values.length + " scores") + " for " + as.size() + " pairs");
            }
            progress.progress("embedding", as.size(), as.size());
            return new PairSimilarity() {
                @Override
                public double sim(String a, String b) {
                    return sim(a, null, b, null);
                }

                @Override
                public double sim(String a, String qa, String b, String qb) {
                    return values[pairs.get(pairKey(id.apply(a, qa), id.apply(b, qb)))];
                }
            };
        }

        /**
         * The key of a pair of text ids: the two ids in one long, multiplied by an odd constant (a
         * bijection) so that {@link Long#hashCode()}, which folds the halves, does not collide on
         * {@code a ^ b}.
         */
        private static long pairKey(int a, int b) {
            return ((((long) a) << 32) | (b & 0xffffffffL)) * 0x9E3779B97F4A7C15L;
        }

        private List<FewlScore> compute(PairSimilarity sims, boolean report) {
            int n = items.size();
            List<int[]> usedRefs = new ArrayList<>(n);
            double[][] e = new double[n][];
            Map<List<Object>, double[]> expertiseCache = new HashMap<>();
            List<double[]> pooled = new ArrayList<>();
            String[] failed = new String[n];
            for (int i = 0; i < n; i++) {
                FewlItem it = items.get(i);
                int[] used = singleReference >= 0 ? new int[] {singleReference} : range(it.references().size());
                usedRefs.add(used);
                if (it.references().isEmpty()) {
                    failed[i] = "no reference answered (" + it.unanswered().size() + " blank or missing)";
                    if (strict) {
                        throw new IllegalArgumentException("item " + it.id() + ": " + failed[i]);
                    }
                }
            }
            for (int i = 0; i < n; i++) {
                FewlItem it = items.get(i);
                if (uniformWeights || !it.hasExpertiseAnswers() || failed[i] != null) {
                    continue;
                }
                List<Object> key = List.of(it.references(), it.wrongAnswers(), it.correctedAnswers(), usedRefs.get(i).length);
                double[] cached = expertiseCache.get(key);
                if (cached == null) {
                    try {
                        cached = ExpertiseWeights.expertise(sims, it, usedRefs.get(i));
                    } catch (IllegalArgumentException ex) {
                        if (strict) {
                            throw ex;
                        }
                        failed[i] = ex.getMessage();
                        continue;
                    }
                    expertiseCache.put(key, cached);
                    pooled.add(cached);
                }
                e[i] = cached;
            }
            if (agreementExpertise && !uniformWeights) {
                agreement(sims, usedRefs, e, failed, pooled);
            }
            double tau = temperature.resolve(ExpertiseWeights.pooledWithinStd(pooled));
            List<FewlScore> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                FewlScore sc = null;
                if (failed[i] == null) {
                    try {
                        sc = scoreItem(sims, items.get(i), usedRefs.get(i), e[i], tau);
                    } catch (IllegalArgumentException ex) {
                        if (strict) {
                            throw ex;
                        }
                        failed[i] = ex.getMessage();
                    }
                }
                out.add(sc != null ? sc : unscored(items.get(i), failed[i]));
                if (report && ((i + 1) % 1000 == 0 || i + 1 == n)) {
                    progress.progress("scoring", i + 1, n);
                }
            }
            return out;
        }

        /**
         * Expertise from the answers themselves, for items without IW/CO answers: for reference j,
         * its mean agreement with the item's other references on this question minus its mean
         * agreement with their answers to the neighbour questions (0 without neighbours), then
         * standardised per reference model over the run (so that a terse model is compared with
         * itself, not with verbose ones).
         */
        private void agreement(PairSimilarity sims, List<int[]> usedRefs, double[][] e, String[] failed, List<double[]> pooled) {
            int n = items.size();
            double[][] raw = new double[n][];
            Map<String, double[]> stats = new HashMap<>(); // model -> {count, sum, sum of squares}
            Map<List<Object>, double[]> cache = new HashMap<>();
            for (int i = 0; i < n; i++) {
                FewlItem it = items.get(i);
                int[] used = usedRefs.get(i);
                if (e[i] != null || failed[i] != null || used.length < 2) {
                    continue;
                }
                List<Object> key = List.of(it.question(), it.references());
                double[] r = cache.get(key);
                if (r == null) {
                    try {
                        r = rawAgreement(sims, it, used);
                    } catch (IllegalArgumentException ex) {
                        if (strict) {
                            throw ex;
                        }
                        failed[i] = ex.getMessage();
                        continue;
                    }
                    cache.put(key, r);
                    for (int j = 0; j < used.length; j++) {
                        double[] st = stats.computeIfAbsent(it.references().get(used[j]).model(), k -> new double[3]);
                        st[0]++;
                        st[1] += r[j];
                        st[2] += r[j] * r[j];
                    }
                }
                raw[i] = r;
            }
            Map<double[], double[]> standardised = new java.util.IdentityHashMap<>();
            for (int i = 0; i < n; i++) {
                if (raw[i] == null) {
                    continue;
                }
                double[] z = standardised.get(raw[i]);
                if (z == null) {
                    int[] used = usedRefs.get(i);
                    z = new double[used.length];
                    for (int j = 0; j < used.length; j++) {
                        double[] st = stats.get(items.get(i).references().get(used[j]).model());
                        double mean = st[1] / st[0];
                        double var = Math.max(0, st[2] / st[0] - mean * mean);
                        z[j] = var > 0 ? (raw[i][j] - mean) / Math.sqrt(var) : 0;
                    }
                    standardised.put(raw[i], z);
                    pooled.add(z);
                }
                e[i] = z;
            }
        }

        private double[] rawAgreement(PairSimilarity sims, FewlItem it, int[] used) {
            double[] r = new double[used.length];
            int[] nb = penalty && neighbours > 0 ? neighbourIdx.get(it.question()) : null;
            for (int j = 0; j < used.length; j++) {
                Reference ref = it.references().get(used[j]);
                double same = 0;
                double other = 0;
                int others = 0;
                int pairs = 0;
                for (int l = 0; l < used.length; l++) {
                    if (l == j) {
                        continue;
                    }
                    Reference o = it.references().get(used[l]);
                    same += sims.checked(it, ref.answer(), o.answer(), "references " + ref.model() + " and " + o.model());
                    others++;
                    if (nb != null) {
                        for (int k : nb) {
                            CorpusEntry c = corpusEntries.get(k);
                            String ans = c.answers().get(o.model());
                            if (ans != null) {
                                other += sims.checked(it, ref.answer(), ans, c.question(),
                                        "reference " + ref.model() + " and " + o.model() + "'s answer to a neighbour question");
                                pairs++;
                            }
                        }
                    }
                }
                r[j] = same / others - (pairs == 0 ? 0 : other / pairs);
            }
            return r;
        }

        private FewlScore unscored(FewlItem it, String why) {
            List<String> itemNotes = new ArrayList<>(notes.getOrDefault(it.id(), List.of()));
            unansweredNote(it, itemNotes);
            itemNotes.add("not scored: " + why);
            return new FewlScore(it.id(), Double.NaN, Double.NaN, Double.NaN, List.of(), List.of(), List.of(), List.of(), List.of(),
                    List.of(), Double.NaN, itemNotes);
        }

        private void unansweredNote(FewlItem it, List<String> itemNotes) {
            if (!it.unanswered().isEmpty()) {
                itemNotes.add(it.unanswered().size() + " reference(s) did not answer, skipped: " + String.join(", ", it.unanswered()));
            }
        }

        private FewlScore scoreItem(PairSimilarity sims, FewlItem it, int[] used, double[] e, double tau) {
            List<String> itemNotes = new ArrayList<>(notes.getOrDefault(it.id(), List.of()));
            unansweredNote(it, itemNotes);
            int m = used.length;
            double[] lambda;
            double usedTau = Double.NaN;
            if (m == 1) {
                lambda = new double[] {1};
            } else if (e == null) {
                lambda = ExpertiseWeights.uniform(m);
                if (!uniformWeights) {
                    itemNotes.add("no intentionally wrong or corrected answers: uniform weights");
                }
            } else {
                usedTau = tau;
                lambda = ExpertiseWeights.softmax(e, tau);
            }
            if (e != null && !it.hasExpertiseAnswers()) {
                itemNotes.add("no intentionally wrong or corrected answers: expertise from the references' agreement");
            } else if (e != null && (it.wrongAnswers().isEmpty() || it.correctedAnswers().isEmpty())) {
                itemNotes.add(it.wrongAnswers().isEmpty() ? "no intentionally wrong answers: expertise from corrected answers only"
                        : "no corrected answers: expertise from wrong answers only");
            }
            List<String> models = new ArrayList<>(m);
            List<Double> simList = new ArrayList<>(m);
            double truth = 0;
            for (int j = 0; j < m; j++) {
                Reference r = it.references().get(used[j]);
                models.add(r.model());
                double s = sims.checked(it, it.answer(), r.answer(), "the answer and reference " + r.model());
                simList.add(s);
                truth += lambda[j] * (divergence == null ? s : divergence.activation(s));
            }
            double pen = 0;
            List<List<Double>> penSims = new ArrayList<>(m);
            List<FewlScore.Neighbour> ns = new ArrayList<>();
            if (penalty && neighbours > 0) {
                int[] idx = neighbourIdx.get(it.question());
                double[] qs = neighbourSim.get(it.question());
                for (int k = 0; k < idx.length; k++) {
                    CorpusEntry c = corpusEntries.get(idx[k]);
                    ns.add(new FewlScore.Neighbour(c.id(), c.question(), qs[k]));
                }
                LazinessPenalty.Outcome p = LazinessPenalty.of(sims, it, models, idx, corpusEntries, divergence, neighbours);
                pen = p.value();
                penSims.addAll(p.similarities());
                itemNotes.addAll(p.notes());
            } else {
                for (int j = 0; j < m; j++) {
                    penSims.add(List.of());
                }
            }
            List<Double> lambdaList = new ArrayList<>(m);
            List<Double> eList = new ArrayList<>(m);
            for (int j = 0; j < m; j++) {
                lambdaList.add(lambda[j]);
                eList.add(e == null ? Double.NaN : e[j]);
            }
            return new FewlScore(it.id(), truth - pen, truth, pen, models, lambdaList, eList, simList, penSims, ns, usedTau, itemNotes);
        }
    }

    private static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }

    /**
     * Builds a {@link FewlScorer}. Each value is checked as it is set.
     *
     * <pre>{@code
     * FewlScorer s = Fewl.builder()
     *         .embedder(myEmbedder)            // or .similarity(...); default all-MiniLM-L6-v2
     *         .neighbours(25)                  // K
     *         .temperature(Temperature.spread(1))
     *         .answersPerKind(25)              // R, for generated IW/CO answers
     *         .generator(chatModel)            // generate IW/CO where items have none
     *         .build();
     * }</pre>
     */
    public static final class Builder {
        private Similarity similarity;
        private Embedder embedder;
        private Supplier<Embedder> defaultEmbedder = DefaultEmbedder::create;
        private int neighbours = DEFAULT_NEIGHBOURS;
        private NeighbourIndex neighbourIndex = NeighbourIndex.auto();
        private Temperature temperature = Temperature.defaults();
        private int answersPerKind = DEFAULT_ANSWERS_PER_KIND;
        private List<FewlItem> corpus;
        private FDivergence divergence;
        private int singleReference = -1;
        private boolean penalty = true;
        private boolean uniformWeights;
        private double duplicateThreshold = DEFAULT_DUPLICATE_THRESHOLD;
        private ChatModel generator;
        private GenerationOptions generationOptions = GenerationOptions.defaults();
        private long seed;
        private ProgressListener progress = ProgressListener.NONE;
        private boolean strict;
        private boolean agreementExpertise;

        Builder() {
        }

        /**
         * The answer similarity (not owned). A {@link CosineSimilarity} also provides the embedder
         * for the neighbour search; with any other similarity give {@link #embedder} too, or turn the
         * penalty off.
         *
         * @param similarity the similarity
         * @return this builder
         * @throws NullPointerException if {@code similarity} is null
         */
        public Builder similarity(Similarity similarity) {
            this.similarity = Preconditions.notNull(similarity, "similarity");
            return this;
        }

        /**
         * The embedder (not owned) for the neighbour search, and, unless {@link #similarity} is
         * given, for cosine answer similarity.
         *
         * @param embedder the embedder
         * @return this builder
         * @throws NullPointerException if {@code embedder} is null
         */
        public Builder embedder(Embedder embedder) {
            this.embedder = Preconditions.notNull(embedder, "embedder");
            return this;
        }

        /**
         * Where the default embedder comes from when neither similarity nor embedder is given (owned).
         *
         * @param factory creates the embedder
         * @return this builder
         */
        Builder defaultEmbedder(Supplier<Embedder> factory) {
            this.defaultEmbedder = Preconditions.notNull(factory, "defaultEmbedder");
            return this;
        }

        /**
         * K, the number of neighbour questions for the penalty; default 25.
         *
         * @param k K, {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code k < 0}
         */
        public Builder neighbours(int k) {
            this.neighbours = Preconditions.checkNonNegative(k, "neighbours");
            return this;
        }

        /**
         * How τ is chosen; default {@link Temperature#defaults()}.
         *
         * @param t the temperature rule
         * @return this builder
         * @throws NullPointerException if {@code t} is null
         */
        public Builder temperature(Temperature t) {
            this.temperature = Preconditions.notNull(t, "temperature");
            return this;
        }

        /**
         * A fixed τ.
         *
         * @param tau the temperature, {@code > 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code tau} is not a positive finite number
         */
        public Builder temperature(double tau) {
            return temperature(Temperature.fixed(tau));
        }

        /**
         * R, the number of IW and of CO answers generated per question; default 25.
         *
         * @param r R, {@code > 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code r <= 0}
         */
        public Builder answersPerKind(int r) {
            this.answersPerKind = Preconditions.checkPositive(r, "answersPerKind");
            return this;
        }

        /**
         * The neighbour corpus (question and reference answers per item); default: the scored items.
         *
         * @param items the corpus, copied
         * @return this builder
         * @throws NullPointerException     if {@code items} is null
         * @throws IllegalArgumentException if an element is null
         */
        public Builder corpus(List<FewlItem> items) {
            this.corpus = List.copyOf(Preconditions.noNulls(items, "corpus"));
            return this;
        }

        /**
         * Scores with the variational form of {@code d}.
         *
         * @param d the divergence, or {@code null} (the default) for the linear formula
         * @return this builder
         */
        public Builder fDivergence(FDivergence d) {
            this.divergence = d;
            return this;
        }

        /**
         * Uses only the reference at {@code index} (ablation "single").
         *
         * @param index the reference, {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code index < 0}
         */
        public Builder singleReference(int index) {
            this.singleReference = Preconditions.checkNonNegative(index, "singleReference");
            return this;
        }

        /**
         * Uses all references (the default).
         *
         * @return this builder
         */
        public Builder allReferences() {
            this.singleReference = -1;
            return this;
        }

        /**
         * Turns the laziness penalty on (default) or off.
         *
         * @param on whether the penalty is on
         * @return this builder
         */
        public Builder penalty(boolean on) {
            this.penalty = on;
            return this;
        }

        /**
         * Uses uniform λ regardless of IW/CO answers (ablation); default off.
         *
         * @param on whether λ is uniform
         * @return this builder
         */
        public Builder uniformWeights(boolean on) {
            this.uniformWeights = on;
            return this;
        }

        /**
         * Which neighbour search the penalty runs; default {@link NeighbourIndex#auto()} (exact below
         * {@value NeighbourIndex#DEFAULT_AUTO_THRESHOLD} corpus questions, an HNSW index from there).
         * The choice, and after a call the search it ran, are in {@link FewlScorer#provenance()}.
         *
         * @param index the choice
         * @return this builder
         * @throws NullPointerException if {@code index} is null
         */
        public Builder neighbourIndex(NeighbourIndex index) {
            this.neighbourIndex = Preconditions.notNull(index, "neighbourIndex");
            return this;
        }

        /**
         * Neighbours more similar than this (cosine of questions) are near-duplicates; default 0.95.
         *
         * @param t the threshold, in {@code (-1, 1]}
         * @return this builder
         * @throws IllegalArgumentException if {@code t} is outside {@code (-1, 1]}
         */
        public Builder duplicateThreshold(double t) {
            Preconditions.checkInRange(t, -1.0, 1.0, "duplicateThreshold");
            Preconditions.checkArgument(t > -1.0, "duplicateThreshold must be > -1, was " + t);
            this.duplicateThreshold = t;
            return this;
        }

        /**
         * Generates IW/CO answers with {@code model} (not owned) for items that have none.
         *
         * @param model the chat model
         * @return this builder
         * @throws NullPointerException if {@code model} is null
         */
        public Builder generator(ChatModel model) {
            this.generator = Preconditions.notNull(model, "generator");
            return this;
        }

        /**
         * Options for the generator's requests; default greedy.
         *
         * @param options the options
         * @return this builder
         * @throws NullPointerException if {@code options} is null
         */
        public Builder generationOptions(GenerationOptions options) {
            this.generationOptions = Preconditions.notNull(options, "generationOptions");
            return this;
        }

        /**
         * The seed recorded in the provenance (scoring itself has no random choice).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Receives progress.
         *
         * @param listener the listener
         * @return this builder
         * @throws NullPointerException if {@code listener} is null
         */
        public Builder progress(ProgressListener listener) {
            this.progress = Preconditions.notNull(listener, "progress");
            return this;
        }

        /**
         * Strict mode: an item that cannot be scored (no reference answered, a similarity that is
         * not a number) fails the whole call with an {@link IllegalArgumentException} naming it.
         * Default off: such an item gets a score of {@code NaN} with the reason in its notes
         * ({@link FewlScore#scored()} is false), and the other items are scored as usual.
         *
         * @param on whether one bad item fails the call
         * @return this builder
         */
        public Builder strict(boolean on) {
            this.strict = on;
            return this;
        }

        /**
         * Expertise without a generator (Keel's own extension, not the paper's): for items with no
         * IW/CO answers, estimate each reference's expertise from the answers themselves — its mean
         * agreement with the item's other references on the question minus its mean agreement with
         * their answers to the neighbour questions (the P-vs-Q contrast of the f-divergence form),
         * standardised per reference model over the run so that a terse model is measured against
         * itself — and weigh by {@code softmax(e/τ)}. Default off: on EVOUNA-NQ it did not beat
         * uniform weights (see the module README).
         *
         * @param on whether to estimate expertise from agreement
         * @return this builder
         */
        public Builder agreementExpertise(boolean on) {
            this.agreementExpertise = on;
            return this;
        }

        /** @return whether a generator of IW/CO answers is set */
        boolean hasGenerator() {
            return generator != null;
        }

        /** @return whether expertise from agreement is on */
        boolean agreementExpertise() {
            return agreementExpertise;
        }

        /** @return whether strict mode is on */
        boolean strict() {
            return strict;
        }

        /** @return the answer similarity given, or {@code null} */
        Similarity similarity() {
            return similarity;
        }

        /** @return the embedder given, or {@code null} */
        Embedder embedder() {
            return embedder;
        }

        /** @return where the default embedder comes from */
        Supplier<Embedder> defaultEmbedder() {
            return defaultEmbedder;
        }

        /** @return K */
        int neighbours() {
            return neighbours;
        }

        /** @return how τ is chosen */
        Temperature temperature() {
            return temperature;
        }

        /** @return the index of the only reference used, or {@code -1} for all */
        int singleReference() {
            return singleReference;
        }

        /** @return whether the penalty is on */
        boolean penalty() {
            return penalty;
        }

        /** @return the neighbour search choice */
        NeighbourIndex neighbourIndex() {
            return neighbourIndex;
        }

        /** @return whether λ is uniform */
        boolean uniformWeights() {
            return uniformWeights;
        }

        /**
         * An independent copy of this builder's settings (the embedder and similarity are shared, not copied).
         *
         * @return the copy
         */
        public Builder copy() {
            Builder b = new Builder();
            b.similarity = similarity;
            b.embedder = embedder;
            b.defaultEmbedder = defaultEmbedder;
            b.neighbours = neighbours;
            b.temperature = temperature;
            b.answersPerKind = answersPerKind;
            b.corpus = corpus;
            b.divergence = divergence;
            b.singleReference = singleReference;
            b.penalty = penalty;
            b.uniformWeights = uniformWeights;
            b.duplicateThreshold = duplicateThreshold;
            b.generator = generator;
            b.generationOptions = generationOptions;
            b.seed = seed;
            b.progress = progress;
            b.strict = strict;
            b.agreementExpertise = agreementExpertise;
            b.neighbourIndex = neighbourIndex;
            return b;
        }

        /**
         * Builds the scorer.
         *
         * @return the scorer
         * @throws IllegalStateException if the penalty is on with a similarity that is not
         *                               embedding-based and no embedder is given
         */
        public FewlScorer build() {
            if (penalty && neighbours > 0 && similarity != null && !(similarity instanceof CosineSimilarity)
                    && !(similarity instanceof HybridSimilarity) && embedder == null) {
                throw new IllegalStateException("the laziness penalty needs an embedder for the neighbour search with similarity "
                        + similarity.name() + ": give embedder(...) or penalty(false)");
            }
            return new FewlScorer(this);
        }
    }
}
