package dev.keel.fewl;

import dev.keel.core.internal.Preconditions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Which neighbour search the laziness penalty runs: the exact {@link NeighbourSearch}, the
 * approximate {@link HnswIndex}, or {@link #auto()}: exact below {@value #DEFAULT_AUTO_THRESHOLD}
 * corpus questions and HNSW from there (the exact search costs queries × corpus dot products:
 * 50,000 questions take about 36 s on 2 cores, 100,000 four times that). The scorer records the
 * choice and the search it ran in its provenance.
 *
 * <pre>{@code
 * Fewl.builder().neighbourIndex(NeighbourIndex.hnsw(HnswIndex.Parameters.defaults())).build();
 * Fewl.builder().neighbourIndex(NeighbourIndex.hnswFile(Path.of("questions.hnsw"), HnswIndex.Parameters.defaults())).build();
 * }</pre>
 *
 * <p>Immutable.
 */
public final class NeighbourIndex {

    /** Corpus size from which {@link #auto()} uses the HNSW index. */
    public static final int DEFAULT_AUTO_THRESHOLD = 100_000;

    /** The kind of search. */
    public enum Kind {
        /** Always the exact search. */
        EXACT,
        /** Always the HNSW index. */
        HNSW,
        /** Exact below the threshold, HNSW from there. */
        AUTO
    }

    private final Kind kind;
    private final int threshold;
    private final HnswIndex.Parameters parameters;
    private final Path file;

    private NeighbourIndex(Kind kind, int threshold, HnswIndex.Parameters parameters, Path file) {
        this.kind = kind;
        this.threshold = threshold;
        this.parameters = parameters;
        this.file = file;
    }

    /**
     * The exact search, whatever the size.
     *
     * @return the choice
     */
    public static NeighbourIndex exact() {
        return new NeighbourIndex(Kind.EXACT, 0, null, null);
    }

    /**
     * The default: exact below {@value #DEFAULT_AUTO_THRESHOLD} corpus questions, an HNSW index with
     * {@link HnswIndex.Parameters#defaults()} (built per run) from there.
     *
     * @return the choice
     */
    public static NeighbourIndex auto() {
        return auto(DEFAULT_AUTO_THRESHOLD, HnswIndex.Parameters.defaults());
    }

    /**
     * Exact below {@code threshold} corpus questions, HNSW with {@code parameters} from there.
     *
     * @param threshold  the corpus size from which the index is used, {@code >= 1}
     * @param parameters the index's parameters
     * @return the choice
     * @throws IllegalArgumentException if {@code threshold < 1}
     * @throws NullPointerException     if {@code parameters} is null
     */
    public static NeighbourIndex auto(int threshold, HnswIndex.Parameters parameters) {
        Preconditions.checkArgument(threshold >= 1, "threshold must be >= 1, was " + threshold);
        return new NeighbourIndex(Kind.AUTO, threshold, Preconditions.notNull(parameters, "parameters"), null);
    }

    /**
     * Always an HNSW index, built once per scoring call.
     *
     * @param parameters the index's parameters
     * @return the choice
     * @throws NullPointerException if {@code parameters} is null
     */
    public static NeighbourIndex hnsw(HnswIndex.Parameters parameters) {
        return new NeighbourIndex(Kind.HNSW, 0, Preconditions.notNull(parameters, "parameters"), null);
    }

    /**
     * Always an HNSW index, kept in {@code file}: read from it when it exists (refused if it was
     * built for other question vectors), otherwise built with {@code parameters} and written there.
     * A file read back is searched with {@code parameters.efSearch()}; its graph keeps the
     * parameters it was built with.
     *
     * @param file       the index file
     * @param parameters the parameters to build with, and the efSearch to search with
     * @return the choice
     * @throws NullPointerException if an argument is null
     */
    public static NeighbourIndex hnswFile(Path file, HnswIndex.Parameters parameters) {
        return new NeighbourIndex(Kind.HNSW, 0, Preconditions.notNull(parameters, "parameters"), Preconditions.notNull(file, "file"));
    }

    /**
     * The kind.
     *
     * @return the kind
     */
    public Kind kind() {
        return kind;
    }

    /**
     * The HNSW parameters.
     *
     * @return the parameters, or {@code null} for {@link #exact()}
     */
    public HnswIndex.Parameters parameters() {
        return parameters;
    }

    /**
     * Whether a corpus of {@code corpusSize} questions is searched with the HNSW index.
     *
     * @param corpusSize the number of corpus questions
     * @return true for the index, false for the exact search
     */
    public boolean usesIndex(int corpusSize) {
        return switch (kind) {
            case EXACT -> false;
            case HNSW -> corpusSize > 0;
            case AUTO -> corpusSize >= threshold;
        };
    }

    /**
     * The HNSW index of {@code corpus}: read from the file if one is set and exists, otherwise built
     * (and written to the file if one is set).
     *
     * @param corpus the corpus vectors
     * @return the index (the caller closes it)
     * @throws IllegalStateException    for {@link #exact()}
     * @throws IllegalArgumentException if the file was built for other vectors
     * @throws UncheckedIOException     if the file cannot be read or written
     */
    public HnswIndex open(float[][] corpus) {
        Preconditions.checkState(kind != Kind.EXACT, "the exact neighbour search has no index");
        if (file == null) {
            return HnswIndex.build(corpus, parameters);
        }
        try {
            if (Files.exists(file)) {
                return HnswIndex.load(file, corpus);
            }
            HnswIndex index = HnswIndex.build(corpus, parameters);
            try {
                index.save(file);
            } catch (IOException | RuntimeException e) {
                index.close();
                throw e;
            }
            return index;
        } catch (IOException e) {
            throw new UncheckedIOException("HNSW index file " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The search of {@code queries} against {@code corpus} this choice makes (see
     * {@link NeighbourSearch#topK} for the arguments), and which one it ran.
     *
     * @param queries            query vectors
     * @param corpus             corpus vectors
     * @param k                  neighbours per query
     * @param selfIndex          each query's own corpus row, or {@code null}
     * @param duplicateThreshold near-duplicate threshold
     * @return the neighbours and a description of the search
     * @throws IllegalArgumentException as {@link NeighbourSearch#topK} does, or if an index file was built for other vectors
     */
    public Searched search(float[][] queries, float[][] corpus, int k, int[] selfIndex, double duplicateThreshold) {
        if (!usesIndex(corpus.length) || k == 0 || queries.length == 0) {
            return new Searched(NeighbourSearch.topK(queries, corpus, k, selfIndex, duplicateThreshold), "exact");
        }
        try (HnswIndex index = open(corpus)) {
            NeighbourSearch.Result r = index.search(queries, k, selfIndex, duplicateThreshold, parameters.efSearch());
            HnswIndex.Parameters p = index.parameters().withEfSearch(parameters.efSearch());
            return new Searched(r, p.describe() + (file != null ? " file " + file : ""));
        }
    }

    /**
     * A search's result and what ran it.
     *
     * @param result the neighbours
     * @param search {@code exact} or the index's parameters
     */
    public record Searched(NeighbourSearch.Result result, String search) {
    }

    /**
     * The choice as recorded in provenance: {@code exact}, {@code hnsw(...)} (with the file, if any)
     * or {@code auto(threshold=100000,hnsw(...))}.
     *
     * @return the description
     */
    @Override
    public String toString() {
        return switch (kind) {
            case EXACT -> "exact";
            case HNSW -> parameters.describe() + (file != null ? " file " + file : "");
            case AUTO -> "auto(threshold=" + threshold + "," + parameters.describe() + ")";
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NeighbourIndex n && n.kind == kind && n.threshold == threshold
                && Objects.equals(n.parameters, parameters) && Objects.equals(n.file, file);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, threshold, parameters, file);
    }
}
