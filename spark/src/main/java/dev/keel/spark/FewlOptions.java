package dev.keel.spark;

import dev.keel.core.embed.Embedder;
import dev.keel.core.internal.Preconditions;
import dev.keel.fewl.Fewl;
import dev.keel.fewl.FewlScorer;
import dev.keel.fewl.HnswIndex;
import dev.keel.fewl.NeighbourIndex;
import dev.keel.fewl.Temperature;

import java.io.Serializable;

/**
 * The settings of {@link FewlSpark#score}: the FEWL settings of {@link FewlScorer} that a
 * distributed run supports (cosine similarity of the embedder's vectors, K, τ, the penalty, λ,
 * the near-duplicate threshold, the neighbour search), and how the run is cut up. Serialisable: it
 * travels to the executors; the embedder it names is made there ({@link EmbedderFactory}).
 *
 * <pre>{@code
 * FewlOptions o = FewlOptions.builder().neighbours(25).neighbourSearch(NeighbourIndex.Kind.AUTO).build();
 * }</pre>
 *
 * <p>Immutable.
 */
public final class FewlOptions implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Items per scoring call on an executor. */
    public static final int DEFAULT_BATCH_SIZE = 256;
    /** Texts whose vectors an executor keeps. */
    public static final int DEFAULT_CACHED_TEXTS = 100_000;

    /** Makes each executor's embedder. */
    private final EmbedderFactory embedder;
    /** K. */
    private final int neighbours;
    /** A fixed τ, or NaN for the spread rule. */
    private final double fixedTemperature;
    /** The spread rule's multiplier. */
    private final double temperatureMultiplier;
    /** Whether the penalty is on. */
    private final boolean penalty;
    /** Whether λ is uniform. */
    private final boolean uniformWeights;
    /** The near-duplicate threshold. */
    private final double duplicateThreshold;
    /** The neighbour search. */
    private final NeighbourIndex.Kind search;
    /** The corpus size from which AUTO uses HNSW. */
    private final int autoThreshold;
    /** HNSW's M. */
    private final int hnswM;
    /** HNSW's beam width. */
    private final int hnswBeamWidth;
    /** HNSW's efSearch. */
    private final int hnswEfSearch;
    /** HNSW's shard size. */
    private final int hnswShardSize;
    /** HNSW's seed. */
    private final long hnswSeed;
    /** Whether a malformed row fails the job. */
    private final boolean strict;
    /** Items per scoring call. */
    private final int batchSize;
    /** Texts an executor caches. */
    private final int cachedTexts;
    /** Partitions of the neighbour search (0: Spark's default). */
    private final int searchPartitions;
    /** The seed recorded in provenance. */
    private final long seed;

    private FewlOptions(Builder b) {
        this.embedder = b.embedder;
        this.neighbours = b.neighbours;
        this.fixedTemperature = b.fixedTemperature;
        this.temperatureMultiplier = b.temperatureMultiplier;
        this.penalty = b.penalty;
        this.uniformWeights = b.uniformWeights;
        this.duplicateThreshold = b.duplicateThreshold;
        this.search = b.search;
        this.autoThreshold = b.autoThreshold;
        this.hnswM = b.hnsw.m();
        this.hnswBeamWidth = b.hnsw.beamWidth();
        this.hnswEfSearch = b.hnsw.efSearch();
        this.hnswShardSize = b.hnsw.shardSize();
        this.hnswSeed = b.hnsw.seed();
        this.strict = b.strict;
        this.batchSize = b.batchSize;
        this.cachedTexts = b.cachedTexts;
        this.searchPartitions = b.searchPartitions;
        this.seed = b.seed;
    }

    /**
     * A builder with FEWL's defaults (all-MiniLM-L6-v2, K = 25, τ by spread, penalty on,
     * {@link NeighbourIndex#auto()}).
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The defaults.
     *
     * @return {@code builder().build()}
     */
    public static FewlOptions defaults() {
        return builder().build();
    }

    /**
     * The single-JVM scorer settings these options stand for, with {@code embedder} for both the
     * similarity and the neighbour search: {@code scorerBuilder(e).build().scoreAll(items)} is what
     * {@link FewlSpark#score} computes, row by row.
     *
     * @param embedder the embedder (not owned by the scorer)
     * @return a new builder
     * @throws NullPointerException if {@code embedder} is null
     */
    public FewlScorer.Builder scorerBuilder(Embedder embedder) {
        Preconditions.notNull(embedder, "embedder");
        return Fewl.builder().embedder(embedder).neighbours(neighbours).temperature(temperature())
                .penalty(penalty).uniformWeights(uniformWeights).duplicateThreshold(duplicateThreshold)
                .neighbourIndex(neighbourIndex()).seed(seed);
    }

    /**
     * The neighbour search, as the single-JVM scorer names it.
     *
     * @return the choice
     */
    public NeighbourIndex neighbourIndex() {
        return switch (search) {
            case EXACT -> NeighbourIndex.exact();
            case HNSW -> NeighbourIndex.hnsw(hnsw());
            case AUTO -> NeighbourIndex.auto(autoThreshold, hnsw());
        };
    }

    /**
     * How τ is chosen.
     *
     * @return the rule
     */
    public Temperature temperature() {
        return Double.isNaN(fixedTemperature) ? Temperature.spread(temperatureMultiplier) : Temperature.fixed(fixedTemperature);
    }

    /** @return the embedder's factory */
    EmbedderFactory embedderFactory() {
        return embedder;
    }

    /** @return K */
    int neighbours() {
        return neighbours;
    }

    /** @return whether the penalty is on (and K > 0) */
    boolean usesPenalty() {
        return penalty && neighbours > 0;
    }

    /** @return the HNSW parameters */
    HnswIndex.Parameters hnsw() {
        return new HnswIndex.Parameters(hnswM, hnswBeamWidth, hnswEfSearch, hnswShardSize, hnswSeed);
    }

    /** @return the near-duplicate threshold */
    double duplicateThreshold() {
        return duplicateThreshold;
    }

    /** @return whether a bad row fails the job */
    boolean strict() {
        return strict;
    }

    /** @return items per scoring call */
    int batchSize() {
        return batchSize;
    }

    /** @return texts an executor caches */
    int cachedTexts() {
        return cachedTexts;
    }

    /** @return partitions of the neighbour search, 0 for Spark's default parallelism */
    int searchPartitions() {
        return searchPartitions;
    }

    @Override
    public String toString() {
        return "FewlOptions[embedder=" + embedder.key() + ", neighbours=" + neighbours + ", temperature=" + temperature()
                + ", penalty=" + penalty + ", uniformWeights=" + uniformWeights + ", duplicateThreshold=" + duplicateThreshold
                + ", neighbourIndex=" + neighbourIndex() + ", strict=" + strict + ", batchSize=" + batchSize + "]";
    }

    /** Builds {@link FewlOptions}; each value is checked as it is set. */
    public static final class Builder {
        private EmbedderFactory embedder = EmbedderFactory.allMiniLmL6V2();
        private int neighbours = FewlScorer.DEFAULT_NEIGHBOURS;
        private double fixedTemperature = Double.NaN;
        private double temperatureMultiplier = 1.0;
        private boolean penalty = true;
        private boolean uniformWeights;
        private double duplicateThreshold = FewlScorer.DEFAULT_DUPLICATE_THRESHOLD;
        private NeighbourIndex.Kind search = NeighbourIndex.Kind.AUTO;
        private int autoThreshold = NeighbourIndex.DEFAULT_AUTO_THRESHOLD;
        private HnswIndex.Parameters hnsw = HnswIndex.Parameters.defaults();
        private boolean strict;
        private int batchSize = DEFAULT_BATCH_SIZE;
        private int cachedTexts = DEFAULT_CACHED_TEXTS;
        private int searchPartitions;
        private long seed;

        private Builder() {
        }

        /**
         * The embedder's factory; default all-MiniLM-L6-v2.
         *
         * @param factory the factory
         * @return this builder
         * @throws NullPointerException if {@code factory} is null
         */
        public Builder embedder(EmbedderFactory factory) {
            this.embedder = Preconditions.notNull(factory, "embedder");
            return this;
        }

        /**
         * K, the number of neighbour questions; default 25.
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
         * A fixed τ.
         *
         * @param tau τ, {@code > 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code tau} is not positive
         */
        public Builder fixedTemperature(double tau) {
            Temperature.fixed(tau);
            this.fixedTemperature = tau;
            return this;
        }

        /**
         * τ = {@code multiplier} × the pooled within-question spread of the expertise over the
         * whole run (the default, with 1): computed in a first pass over the data set, so that
         * every partition uses the τ of the single-JVM run.
         *
         * @param multiplier the multiplier, {@code > 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code multiplier} is not positive
         */
        public Builder spreadTemperature(double multiplier) {
            Temperature.spread(multiplier);
            this.temperatureMultiplier = multiplier;
            this.fixedTemperature = Double.NaN;
            return this;
        }

        /**
         * Whether the laziness penalty is on; default true.
         *
         * @param on true for the penalty
         * @return this builder
         */
        public Builder penalty(boolean on) {
            this.penalty = on;
            return this;
        }

        /**
         * Whether λ is uniform; default false.
         *
         * @param on true for uniform weights
         * @return this builder
         */
        public Builder uniformWeights(boolean on) {
            this.uniformWeights = on;
            return this;
        }

        /**
         * The near-duplicate threshold of the neighbour search; default 0.95.
         *
         * @param t the threshold, in {@code (-1, 1]}
         * @return this builder
         * @throws IllegalArgumentException if {@code t} is outside {@code (-1, 1]}
         */
        public Builder duplicateThreshold(double t) {
            Preconditions.checkArgument(t > -1.0 && t <= 1.0, "duplicateThreshold must be in (-1, 1], was " + t);
            this.duplicateThreshold = t;
            return this;
        }

        /**
         * The neighbour search: {@link NeighbourIndex.Kind#EXACT} (a broadcast corpus and a blocked
         * search per partition), {@link NeighbourIndex.Kind#HNSW} (an index built on the driver
         * and broadcast), or {@link NeighbourIndex.Kind#AUTO} (the default: HNSW from
         * {@link #autoThreshold} corpus questions).
         *
         * @param kind the search
         * @return this builder
         * @throws NullPointerException if {@code kind} is null
         */
        public Builder neighbourSearch(NeighbourIndex.Kind kind) {
            this.search = Preconditions.notNull(kind, "neighbourSearch");
            return this;
        }

        /**
         * The corpus size from which {@link NeighbourIndex.Kind#AUTO} uses HNSW; default 100,000.
         *
         * @param threshold the size, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code threshold < 1}
         */
        public Builder autoThreshold(int threshold) {
            Preconditions.checkArgument(threshold >= 1, "autoThreshold must be >= 1, was " + threshold);
            this.autoThreshold = threshold;
            return this;
        }

        /**
         * The HNSW index's parameters; default {@link HnswIndex.Parameters#defaults()}.
         *
         * @param parameters the parameters
         * @return this builder
         * @throws NullPointerException if {@code parameters} is null
         */
        public Builder hnsw(HnswIndex.Parameters parameters) {
            this.hnsw = Preconditions.notNull(parameters, "hnsw");
            return this;
        }

        /**
         * Strict mode: a malformed row fails the job (default false: it becomes a row with an
         * {@code error}).
         *
         * @param on true for strict mode
         * @return this builder
         */
        public Builder strict(boolean on) {
            this.strict = on;
            return this;
        }

        /**
         * Items per scoring call on an executor; default 256. Each call embeds its items' texts and
         * their neighbours' reference answers (cached per executor), so larger batches share more.
         *
         * @param size the batch size, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code size < 1}
         */
        public Builder batchSize(int size) {
            Preconditions.checkArgument(size >= 1, "batchSize must be >= 1, was " + size);
            this.batchSize = size;
            return this;
        }

        /**
         * How many texts' vectors each executor caches (least recently used go first); default 100,000.
         *
         * @param texts the capacity, {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code texts < 0}
         */
        public Builder cachedTexts(int texts) {
            this.cachedTexts = Preconditions.checkNonNegative(texts, "cachedTexts");
            return this;
        }

        /**
         * Partitions of the neighbour search; default 0: Spark's default parallelism.
         *
         * @param partitions the number, {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code partitions < 0}
         */
        public Builder searchPartitions(int partitions) {
            this.searchPartitions = Preconditions.checkNonNegative(partitions, "searchPartitions");
            return this;
        }

        /**
         * The seed recorded in the scorer's provenance; default 0.
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Builds the options.
         *
         * @return the options
         */
        public FewlOptions build() {
            return new FewlOptions(this);
        }
    }
}
