package dev.keel.fewl;

import dev.keel.core.KeelException;
import dev.keel.core.internal.Preconditions;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.NoMergePolicy;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.IndexInput;
import org.apache.lucene.store.IndexOutput;
import org.apache.lucene.util.hnsw.HnswGraphBuilder;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;

/**
 * An approximate neighbour index over question vectors: Lucene's HNSW graphs (Lucene 9.12,
 * {@code Lucene99HnswVectorsFormat}), for the laziness penalty when the exact
 * {@link NeighbourSearch} stops being cheap (it is quadratic in the number of questions).
 *
 * <p>The vectors are split into shards of at most {@link Parameters#shardSize()} rows, one Lucene
 * segment each; shards are built in parallel (one thread each, so each graph is the same whatever
 * the machine) and every query searches all of them. The graph search proposes candidates
 * ({@code max(efSearch, K + 1)} per shard); their similarity is then the same float dot product the
 * exact search computes, so the index only ever misses neighbours, never mis-scores one. A query's
 * own row and near-duplicates are skipped as in {@link NeighbourSearch#topK}; when that leaves fewer
 * than K, the search is repeated with twice the candidates.
 *
 * <p>An index can be written to one file ({@link #save}) and read back ({@link #load}); the file
 * records the vectors' dimension, count and a SHA-256 of their values, and loading it for other
 * vectors is refused.
 *
 * <pre>{@code
 * try (HnswIndex index = HnswIndex.build(corpus, HnswIndex.Parameters.defaults())) {
 *     NeighbourSearch.Result r = index.search(queries, 25, null, 0.95);
 * }
 * }</pre>
 *
 * <p>Thread-safe for searches; {@link #close()} is idempotent and searching after it is an
 * {@link IllegalStateException}.
 */
public final class HnswIndex implements AutoCloseable {

    private static final String FIELD = "v";
    private static final String MAGIC = "keel-hnsw-1";
    /** Lucene's graph builder takes its seed from a static field: builds set it under this lock. */
    private static final Object BUILD_LOCK = new Object();

    /**
     * The graph's parameters.
     *
     * @param m          HNSW's M: neighbours kept per node (Lucene's {@code maxConn}), 2 to 512
     * @param beamWidth  candidates considered while inserting a node ({@code efConstruction}), 1 to 3200
     * @param efSearch   candidates proposed per shard for each query (at least K + 1 are), {@code >= 1}
     * @param shardSize  rows per shard (one graph each), {@code >= 1}
     * @param seed       the seed of the graph builder's level assignment
     */
    public record Parameters(int m, int beamWidth, int efSearch, int shardSize, long seed) {

        /** The default M. */
        public static final int DEFAULT_M = 16;
        /** The default beam width. */
        public static final int DEFAULT_BEAM_WIDTH = 100;
        /** The default efSearch. */
        public static final int DEFAULT_EF_SEARCH = 100;
        /** The default shard size. */
        public static final int DEFAULT_SHARD_SIZE = 250_000;

        /**
         * Checks the values.
         *
         * @param m         M
         * @param beamWidth the beam width
         * @param efSearch  efSearch
         * @param shardSize rows per shard
         * @param seed      the seed
         * @throws IllegalArgumentException naming a value out of range
         */
        public Parameters {
            Preconditions.checkArgument(m >= 2 && m <= Lucene99HnswVectorsFormat.MAXIMUM_MAX_CONN,
                    "m must be in [2, " + Lucene99HnswVectorsFormat.MAXIMUM_MAX_CONN + "], was " + m);
            Preconditions.checkArgument(beamWidth >= 1 && beamWidth <= Lucene99HnswVectorsFormat.MAXIMUM_BEAM_WIDTH,
                    "beamWidth must be in [1, " + Lucene99HnswVectorsFormat.MAXIMUM_BEAM_WIDTH + "], was " + beamWidth);
            Preconditions.checkArgument(efSearch >= 1, "efSearch must be >= 1, was " + efSearch);
            Preconditions.checkArgument(shardSize >= 1, "shardSize must be >= 1, was " + shardSize);
        }

        /**
         * M 16, beam width 100, efSearch 100, shards of 250,000 rows, seed 42.
         *
         * @return the defaults
         */
        public static Parameters defaults() {
            return new Parameters(DEFAULT_M, DEFAULT_BEAM_WIDTH, DEFAULT_EF_SEARCH, DEFAULT_SHARD_SIZE, 42L);
        }

        /**
         * These parameters with another efSearch (a search-time setting: a saved index can be
         * searched with any).
         *
         * @param ef the new efSearch, {@code >= 1}
         * @return the new parameters
         * @throws IllegalArgumentException if {@code ef < 1}
         */
        public Parameters withEfSearch(int ef) {
            return new Parameters(m, beamWidth, ef, shardSize, seed);
        }

        /**
         * The parameters as {@code hnsw(m=16,beamWidth=100,efSearch=100,shardSize=250000,seed=42)}.
         *
         * @return the description recorded in provenance
         */
        public String describe() {
            return "hnsw(m=" + m + ",beamWidth=" + beamWidth + ",efSearch=" + efSearch + ",shardSize=" + shardSize + ",seed=" + seed + ")";
        }
    }

    private final float[][] vectors;
    private final Parameters parameters;
    private final String sha256;
    private final VectorSimilarityFunction function;
    private final List<Directory> directories;
    private final List<DirectoryReader> readers;
    private final List<LeafReader> leaves;
    private final AtomicBoolean closed = new AtomicBoolean();

    private HnswIndex(float[][] vectors, Parameters parameters, String sha256, VectorSimilarityFunction function,
                      List<Directory> directories) throws IOException {
        this.vectors = vectors;
        this.parameters = parameters;
        this.sha256 = sha256;
        this.function = function;
        this.directories = directories;
        this.readers = new ArrayList<>(directories.size());
        this.leaves = new ArrayList<>(directories.size());
        try {
            for (int s = 0; s < directories.size(); s++) {
                DirectoryReader r = DirectoryReader.open(directories.get(s));
                readers.add(r);
                int expected = shardEnd(s) - shardStart(s);
                if (r.leaves().size() != 1 || r.maxDoc() != expected) {
                    throw new IOException("shard " + s + " holds " + r.leaves().size() + " segments and " + r.maxDoc()
                            + " rows, expected 1 segment and " + expected + " rows");
                }
                leaves.add(r.leaves().get(0).reader());
            }
        } catch (IOException | RuntimeException e) {
            closeAll(e);
            throw e;
        }
    }

    /**
     * Builds the index of {@code vectors} (kept by reference: do not change them afterwards).
     *
     * @param vectors    the corpus vectors, all of one length (at most 1024), all finite
     * @param parameters the graph's parameters
     * @return the index
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if the vectors are empty, of different lengths or not finite
     * @throws KeelException            if Lucene fails to build the graphs
     */
    public static HnswIndex build(float[][] vectors, Parameters parameters) {
        Preconditions.notNull(parameters, "parameters");
        int d = checkVectors(vectors);
        VectorSimilarityFunction function = allUnit(vectors) ? VectorSimilarityFunction.DOT_PRODUCT
                : VectorSimilarityFunction.MAXIMUM_INNER_PRODUCT;
        int shards = (vectors.length + parameters.shardSize() - 1) / parameters.shardSize();
        List<Directory> dirs = new ArrayList<>(shards);
        for (int s = 0; s < shards; s++) {
            dirs.add(new ByteBuffersDirectory());
        }
        int threads = Math.max(1, Math.min(shards, Runtime.getRuntime().availableProcessors()));
        synchronized (BUILD_LOCK) {
            long before = HnswGraphBuilder.randSeed;
            HnswGraphBuilder.randSeed = parameters.seed();
            ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
                Thread t = new Thread(r, "keel-hnsw-build");
                t.setDaemon(true);
                return t;
            });
            try {
                List<Future<?>> jobs = new ArrayList<>();
                for (int s = 0; s < shards; s++) {
                    int shard = s;
                    int from = s * parameters.shardSize();
                    int to = Math.min(vectors.length, from + parameters.shardSize());
                    jobs.add(pool.submit(() -> {
                        writeShard(dirs.get(shard), vectors, from, to, parameters, function);
                        return null;
                    }));
                }
                for (Future<?> f : jobs) {
                    f.get();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new KeelException("interrupted while building the HNSW index", e);
            } catch (ExecutionException e) {
                throw new KeelException("building the HNSW index of " + vectors.length + " vectors failed: " + e.getCause(), e.getCause());
            } finally {
                pool.shutdownNow();
                HnswGraphBuilder.randSeed = before;
            }
        }
        try {
            return new HnswIndex(vectors, parameters, hash(vectors, d), function, dirs);
        } catch (IOException e) {
            throw new KeelException("opening the HNSW index failed: " + e.getMessage(), e);
        }
    }

    private static void writeShard(Directory dir, float[][] vectors, int from, int to, Parameters p,
                                   VectorSimilarityFunction function) throws IOException {
        KnnVectorsFormat format = new Lucene99HnswVectorsFormat(p.m(), p.beamWidth());
        IndexWriterConfig cfg = new IndexWriterConfig()
                .setCodec(new Lucene912Codec() {
                    @Override
                    public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                        return format;
                    }
                })
                .setMergePolicy(NoMergePolicy.INSTANCE)
                .setRAMBufferSizeMB(IndexWriterConfig.DEFAULT_RAM_PER_THREAD_HARD_LIMIT_MB - 1.0)
                .setMaxBufferedDocs(to - from + 1)
                .setCommitOnClose(false);
        try (IndexWriter w = new IndexWriter(dir, cfg)) {
            for (int i = from; i < to; i++) {
                Document doc = new Document();
                doc.add(new KnnFloatVectorField(FIELD, vectors[i], function));
                w.addDocument(doc);
            }
            w.commit();
        }
    }

    /**
     * Reads an index that {@link #save} wrote, for {@code vectors}: refused unless they are the
     * vectors it was built from (same dimension, count and SHA-256 of their values).
     *
     * @param file    the file
     * @param vectors the corpus vectors (kept by reference)
     * @return the index
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if the file was built for other vectors, naming what differs
     * @throws IOException              if the file cannot be read or is not an index file
     */
    public static HnswIndex load(Path file, float[][] vectors) throws IOException {
        Preconditions.notNull(file, "file");
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, vectors, file.toString());
        }
    }

    /**
     * Reads an index that {@link #writeTo} wrote (see {@link #load}).
     *
     * @param in      the stream (not closed)
     * @param vectors the corpus vectors (kept by reference)
     * @param source  the stream's name, for messages
     * @return the index
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if the index was built for other vectors, naming what differs
     * @throws IOException              if the stream cannot be read or holds no index
     */
    public static HnswIndex read(InputStream in, float[][] vectors, String source) throws IOException {
        Preconditions.notNull(in, "in");
        Preconditions.notNull(source, "source");
        int d = checkVectors(vectors);
        DataInputStream data = new DataInputStream(new BufferedInputStream(in, 1 << 16));
        String magic;
        try {
            magic = data.readUTF();
        } catch (EOFException | java.io.UTFDataFormatException e) {
            throw new IOException(source + " is not a Keel HNSW index file (no header)", e);
        }
        if (!MAGIC.equals(magic)) {
            throw new IOException(source + " is not a Keel HNSW index file: header " + magic + ", expected " + MAGIC);
        }
        int fileDim = data.readInt();
        int fileCount = data.readInt();
        String fileHash = data.readUTF();
        String fn = data.readUTF();
        Parameters p = new Parameters(data.readInt(), data.readInt(), data.readInt(), data.readInt(), data.readLong());
        if (fileDim != d) {
            throw new IllegalArgumentException(source + " was built for vectors of dimension " + fileDim + ", these have " + d);
        }
        if (fileCount != vectors.length) {
            throw new IllegalArgumentException(source + " was built for " + fileCount + " vectors, these are " + vectors.length);
        }
        String h = hash(vectors, d);
        if (!fileHash.equals(h)) {
            throw new IllegalArgumentException(source + " was built for other vectors: their SHA-256 is " + fileHash + ", these have " + h);
        }
        VectorSimilarityFunction function = VectorSimilarityFunction.valueOf(fn);
        int shards = data.readInt();
        List<Directory> dirs = new ArrayList<>(shards);
        byte[] buf = new byte[1 << 16];
        for (int s = 0; s < shards; s++) {
            ByteBuffersDirectory dir = new ByteBuffersDirectory();
            dirs.add(dir);
            int files = data.readInt();
            for (int f = 0; f < files; f++) {
                String name = data.readUTF();
                long len = data.readLong();
                try (IndexOutput out = dir.createOutput(name, IOContext.DEFAULT)) {
                    long left = len;
                    while (left > 0) {
                        int n = (int) Math.min(buf.length, left);
                        data.readFully(buf, 0, n);
                        out.writeBytes(buf, 0, n);
                        left -= n;
                    }
                }
            }
        }
        return new HnswIndex(vectors, p, h, function, dirs);
    }

    /**
     * Writes the index to {@code file} atomically (a temporary file beside it, then a rename).
     *
     * @param file the file
     * @throws NullPointerException  if {@code file} is null
     * @throws IllegalStateException if the index is closed
     * @throws IOException           if writing fails (the old file, if any, stays as it was)
     */
    public void save(Path file) throws IOException {
        Preconditions.notNull(file, "file");
        checkOpen();
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = Files.createTempFile(dir, abs.getFileName().toString(), ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                writeTo(out);
            }
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Writes the index (the graphs, Lucene's copy of the vectors and the vectors' fingerprint) to a
     * stream; {@link #read} reads it back.
     *
     * @param out the stream (flushed, not closed)
     * @throws NullPointerException  if {@code out} is null
     * @throws IllegalStateException if the index is closed
     * @throws IOException           if writing fails
     */
    public void writeTo(OutputStream out) throws IOException {
        Preconditions.notNull(out, "out");
        checkOpen();
        DataOutputStream data = new DataOutputStream(new BufferedOutputStream(out, 1 << 16));
        data.writeUTF(MAGIC);
        data.writeInt(dimension());
        data.writeInt(vectors.length);
        data.writeUTF(sha256);
        data.writeUTF(function.name());
        data.writeInt(parameters.m());
        data.writeInt(parameters.beamWidth());
        data.writeInt(parameters.efSearch());
        data.writeInt(parameters.shardSize());
        data.writeLong(parameters.seed());
        data.writeInt(directories.size());
        byte[] buf = new byte[1 << 16];
        for (Directory dir : directories) {
            String[] names = dir.listAll();
            data.writeInt(names.length);
            for (String name : names) {
                try (IndexInput in = dir.openInput(name, IOContext.READONCE)) {
                    long len = in.length();
                    data.writeUTF(name);
                    data.writeLong(len);
                    long left = len;
                    while (left > 0) {
                        int n = (int) Math.min(buf.length, left);
                        in.readBytes(buf, 0, n);
                        data.write(buf, 0, n);
                        left -= n;
                    }
                }
            }
        }
        data.flush();
    }

    /**
     * The top {@code k} corpus rows of each query, as {@link NeighbourSearch#topK} defines them
     * (self and near-duplicates skipped, best first, ties to the lower row), but from the graphs'
     * candidates: a true neighbour can be missed, a returned one is scored exactly.
     *
     * @param queries            query vectors of the index's dimension
     * @param k                  how many neighbours, {@code >= 0}
     * @param selfIndex          for each query its own corpus row ({@code -1} if none), or {@code null}
     * @param duplicateThreshold rows with a similarity above this are skipped
     * @return the neighbours of each query
     * @throws NullPointerException     if {@code queries} is null
     * @throws IllegalArgumentException if a query has another length, {@code k < 0} or {@code selfIndex} has the wrong length
     * @throws IllegalStateException    if the index is closed
     */
    public NeighbourSearch.Result search(float[][] queries, int k, int[] selfIndex, double duplicateThreshold) {
        return search(queries, k, selfIndex, duplicateThreshold, parameters.efSearch());
    }

    /**
     * {@link #search(float[][], int, int[], double)} with another efSearch.
     *
     * @param queries            query vectors of the index's dimension
     * @param k                  how many neighbours, {@code >= 0}
     * @param selfIndex          for each query its own corpus row ({@code -1} if none), or {@code null}
     * @param duplicateThreshold rows with a similarity above this are skipped
     * @param efSearch           candidates per shard, {@code >= 1}
     * @return the neighbours of each query
     * @throws NullPointerException     if {@code queries} is null
     * @throws IllegalArgumentException if a query has another length, {@code k < 0}, {@code efSearch < 1}
     *                                  or {@code selfIndex} has the wrong length
     * @throws IllegalStateException    if the index is closed
     */
    public NeighbourSearch.Result search(float[][] queries, int k, int[] selfIndex, double duplicateThreshold, int efSearch) {
        Preconditions.notNull(queries, "queries");
        Preconditions.checkNonNegative(k, "k");
        Preconditions.checkArgument(efSearch >= 1, "efSearch must be >= 1, was " + efSearch);
        checkOpen();
        int d = dimension();
        if (selfIndex != null) {
            Preconditions.checkArgument(selfIndex.length == queries.length,
                    "size mismatch: selfIndex has " + selfIndex.length + " entries, queries " + queries.length);
        }
        for (int i = 0; i < queries.length; i++) {
            Preconditions.checkArgument(queries[i] != null && queries[i].length == d, "queries[" + i + "] must have length " + d);
        }
        int[][] idx = new int[queries.length][];
        double[][] sim = new double[queries.length][];
        IntStream.range(0, queries.length).parallel().forEach(q -> {
            int self = selfIndex == null ? -1 : selfIndex[q];
            searchOne(queries[q], k, self, duplicateThreshold, efSearch, idx, sim, q);
        });
        return new NeighbourSearch.Result(idx, sim);
    }

    private void searchOne(float[] query, int k, int self, double duplicateThreshold, int efSearch,
                           int[][] idx, double[][] sim, int q) {
        int n = vectors.length;
        int want = Math.max(efSearch, k + 1);
        while (true) {
            int[] cand = candidates(query, want);
            double[] s = new double[cand.length];
            Integer[] order = new Integer[cand.length];
            int kept = 0;
            for (int i = 0; i < cand.length; i++) {
                int j = cand[i];
                float v = NeighbourSearch.dotFloat(query, vectors[j]);
                if (j != self && !(v > duplicateThreshold)) {
                    s[i] = v;
                    order[kept++] = i;
                }
            }
            if (kept >= k || want >= n || k == 0) {
                Integer[] keep = Arrays.copyOf(order, kept);
                Arrays.sort(keep, (a, b) -> s[a] != s[b] ? Double.compare(s[b], s[a]) : Integer.compare(cand[a], cand[b]));
                int r = Math.min(k, kept);
                idx[q] = new int[r];
                sim[q] = new double[r];
                for (int i = 0; i < r; i++) {
                    idx[q][i] = cand[keep[i]];
                    sim[q][i] = s[keep[i]];
                }
                return;
            }
            want = (int) Math.min(n, 2L * want);
        }
    }

    /** The distinct corpus rows that the graphs propose for {@code query}, {@code want} per shard at most. */
    private int[] candidates(float[] query, int want) {
        int[] out = new int[0];
        int size = 0;
        for (int s = 0; s < leaves.size(); s++) {
            int start = shardStart(s);
            int rows = shardEnd(s) - start;
            TopDocs top;
            try {
                top = leaves.get(s).searchNearestVectors(FIELD, query, Math.min(want, rows), null, Integer.MAX_VALUE);
            } catch (IOException e) {
                throw new UncheckedIOException("searching HNSW shard " + s + " failed", e);
            }
            if (out.length < size + top.scoreDocs.length) {
                out = Arrays.copyOf(out, size + top.scoreDocs.length);
            }
            for (ScoreDoc sd : top.scoreDocs) {
                out[size++] = start + sd.doc;
            }
        }
        return size == out.length ? out : Arrays.copyOf(out, size);
    }

    private int shardStart(int s) {
        return s * parameters.shardSize();
    }

    private int shardEnd(int s) {
        return (int) Math.min(vectors.length, (long) (s + 1) * parameters.shardSize());
    }

    /**
     * The number of corpus vectors.
     *
     * @return the count
     */
    public int size() {
        return vectors.length;
    }

    /**
     * The vectors' dimension.
     *
     * @return the dimension
     */
    public int dimension() {
        return vectors[0].length;
    }

    /**
     * The graph's parameters.
     *
     * @return the parameters
     */
    public Parameters parameters() {
        return parameters;
    }

    /**
     * The SHA-256 (hex) of the corpus vectors: their dimension, count and float bits in row order.
     *
     * @return the fingerprint a saved index is checked against
     */
    public String vectorsSha256() {
        return sha256;
    }

    /**
     * What built this index and how, for provenance: the parameters, the shards, Lucene's
     * similarity function and the vectors' fingerprint.
     *
     * @return a map in a fixed order
     */
    public Map<String, String> describe() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("index", parameters.describe());
        m.put("shards", Integer.toString(directories.size()));
        m.put("luceneSimilarity", function.name());
        m.put("vectors", vectors.length + "x" + dimension());
        m.put("vectorsSha256", sha256);
        return m;
    }

    /** Closes the Lucene readers and directories; idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            closeAll(null);
        }
    }

    private void closeAll(Throwable primary) {
        List<AutoCloseable> all = new ArrayList<>(readers);
        all.addAll(directories);
        Throwable first = null;
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception e) {
                if (primary != null) {
                    primary.addSuppressed(e);
                } else if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw new KeelException("closing the HNSW index failed: " + first.getMessage(), first);
        }
    }

    private void checkOpen() {
        Preconditions.checkState(!closed.get(), "HnswIndex is closed");
    }

    private static int checkVectors(float[][] vectors) {
        Preconditions.notNull(vectors, "vectors");
        Preconditions.checkArgument(vectors.length > 0, "vectors must not be empty");
        Preconditions.checkArgument(vectors[0] != null, "vectors[0] must not be null");
        int d = vectors[0].length;
        Preconditions.checkArgument(d >= 1 && d <= 1024, "vectors must have a dimension in [1, 1024], was " + d);
        for (int i = 0; i < vectors.length; i++) {
            float[] v = vectors[i];
            Preconditions.checkArgument(v != null && v.length == d, "vectors[" + i + "] must have length " + d);
            for (float x : v) {
                if (!Float.isFinite(x)) {
                    throw new IllegalArgumentException("vectors[" + i + "] contains " + x);
                }
            }
        }
        return d;
    }

    private static boolean allUnit(float[][] vectors) {
        for (float[] v : vectors) {
            double s = 0;
            for (float x : v) {
                s += (double) x * x;
            }
            if (Math.abs(s - 1.0) > 1e-3) {
                return false;
            }
        }
        return true;
    }

    /**
     * The SHA-256 of the vectors' dimension, count and float bits (little-endian), row by row.
     *
     * @param vectors the vectors, all of length {@code d}
     * @param d       their dimension
     * @return the hex digest
     */
    static String hash(float[][] vectors, int d) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
        ByteBuffer b = ByteBuffer.allocate(Math.max(8, d * 4)).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(d).putInt(vectors.length);
        md.update(b.array(), 0, 8);
        for (float[] v : vectors) {
            b.clear();
            for (float x : v) {
                b.putFloat(x);
            }
            md.update(b.array(), 0, d * 4);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    @Override
    public String toString() {
        return "HnswIndex[" + vectors.length + "x" + (vectors.length == 0 ? 0 : vectors[0].length) + ", " + parameters.describe() + "]";
    }
}
