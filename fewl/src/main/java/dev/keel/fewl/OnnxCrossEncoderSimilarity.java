package dev.keel.fewl;

import dev.keel.core.internal.TextFiles;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.keel.core.embed.EmbeddingException;
import dev.keel.core.embed.ModelLoadException;
import dev.keel.core.internal.CloseGuard;
import dev.keel.core.internal.OrtNatives;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.similarity.Similarity;

import java.io.IOException;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A cross-encoder (or NLI) model in ONNX that the user gives by path, as a {@link Similarity}: the
 * pair {@code (a, b)} is encoded together ({@code [CLS] a [SEP] b [SEP]} or whatever the
 * tokenizer's post-processor says), the model's first output is read as logits
 * {@code [batch, n]} (or {@code [batch]}), and the score is {@code sigmoid(logit)} when
 * {@code n = 1} and {@code softmax(logits)[scoreIndex]} otherwise (for an NLI model: the index of
 * "entailment"). Range {@code [0, 1]}. <b>Not symmetric</b> in general: a cross-encoder reads
 * {@code a} and {@code b} in different roles (an NLI model: premise and hypothesis).
 *
 * <p>The directory holds {@code model.onnx} and {@code tokenizer.json} (Hugging Face layout).
 * Inputs are fed by name: {@code input_ids}, and where the model declares them
 * {@code attention_mask} and {@code token_type_ids} (int64). Pairs go in batches of
 * {@link #BATCH}, padded with 0 and masked. Nothing is downloaded.
 *
 * <pre>{@code
 * try (OnnxCrossEncoderSimilarity nli = OnnxCrossEncoderSimilarity.load(Path.of("my-nli"), 2)) {
 *     FewlScorer s = Fewl.builder().similarity(nli).embedder(embedder).build();
 * }
 * }</pre>
 *
 * <p>Thread-safe, also against {@link #close()}, which releases the session and tokenizer once the
 * calls in flight have finished, is idempotent, and makes any later call an {@link IllegalStateException}; the process-wide {@link OrtEnvironment} is never closed.
 */
public final class OnnxCrossEncoderSimilarity implements Similarity, AutoCloseable {

    /** Pairs per model call. */
    public static final int BATCH = 32;
    private static final String INPUT_IDS = "input_ids";
    private static final String ATTENTION_MASK = "attention_mask";
    private static final String TOKEN_TYPE_IDS = "token_type_ids";

    private final String id;
    private final int scoreIndex;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final HuggingFaceTokenizer tokenizer;
    private final Set<String> inputs;
    private final String output;
    private final CloseGuard guard;

    private OnnxCrossEncoderSimilarity(Path dir, int scoreIndex, int maxTokens) throws ModelLoadException {
        this.id = dir.getFileName() == null ? dir.toString() : dir.getFileName().toString();
        this.guard = new CloseGuard("cross-encoder " + id);
        this.scoreIndex = scoreIndex;
        OrtNatives.prepare();
        this.env = OrtEnvironment.getEnvironment();
        Path model = dir.resolve("model.onnx");
        Path tok = dir.resolve("tokenizer.json");
        for (Path p : List.of(model, tok)) {
            if (!Files.isRegularFile(p)) {
                throw new ModelLoadException("cross-encoder " + dir + " has no " + p.getFileName());
            }
        }
        OrtSession s = null;
        HuggingFaceTokenizer t = null;
        try {
            s = env.createSession(model.toString(), new OrtSession.SessionOptions());
            if (!s.getInputNames().contains(INPUT_IDS)) {
                throw new ModelLoadException("cross-encoder " + dir + " has no input " + INPUT_IDS + ", only " + s.getInputNames());
            }
            for (String in : s.getInputNames()) {
                if (!Set.of(INPUT_IDS, ATTENTION_MASK, TOKEN_TYPE_IDS).contains(in)) {
                    throw new ModelLoadException("cross-encoder " + dir + " has input " + in + ", which is none of "
                            + INPUT_IDS + ", " + ATTENTION_MASK + ", " + TOKEN_TYPE_IDS);
                }
            }
            Map<String, String> options = new HashMap<>();
            options.put("padding", "false");
            options.put("truncation", "true");
            options.put("maxLength", Integer.toString(maxTokens));
            options.put("addSpecialTokens", "true");
            t = HuggingFaceTokenizer.newInstance(new java.io.ByteArrayInputStream(
                    TextFiles.utf8WithoutBom(Files.readAllBytes(tok), tok.toString())), options);
            this.inputs = Set.copyOf(s.getInputNames());
            this.output = s.getOutputNames().iterator().next();
            this.session = s;
            this.tokenizer = t;
        } catch (ModelLoadException e) {
            close(s, t);
            throw e;
        } catch (OrtException | IOException | RuntimeException e) {
            close(s, t);
            throw new ModelLoadException("cannot load cross-encoder " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void close(OrtSession s, HuggingFaceTokenizer t) {
        if (t != null) {
            t.close();
        }
        if (s != null) {
            try {
                s.close();
            } catch (OrtException ignored) {
                // nothing more to release
            }
        }
    }

    /**
     * Loads {@code dir/model.onnx} and {@code dir/tokenizer.json}; pairs longer than 512 tokens are truncated.
     *
     * @param dir        the directory
     * @param scoreIndex for a model with several logits, the class whose probability is the score
     *                   (ignored when the model has one logit)
     * @return the similarity
     * @throws ModelLoadException       if a file is missing or the model or tokenizer cannot be loaded
     * @throws NullPointerException     if {@code dir} is null
     * @throws IllegalArgumentException if {@code scoreIndex < 0}
     */
    public static OnnxCrossEncoderSimilarity load(Path dir, int scoreIndex) throws ModelLoadException {
        Preconditions.notNull(dir, "dir");
        Preconditions.checkNonNegative(scoreIndex, "scoreIndex");
        return new OnnxCrossEncoderSimilarity(dir, scoreIndex, 512);
    }

    @Override
    public double[] scoreAll(List<String> a, List<String> b) {
        guard.checkOpen();
        Preconditions.noNulls(a, "a");
        Preconditions.noNulls(b, "b");
        Preconditions.checkArgument(a.size() == b.size(), "a and b must have the same size: " + a.size() + " != " + b.size());
        double[] out = new double[a.size()];
        try (CloseGuard.Call call = guard.enter()) {
            for (int from = 0; from < out.length; from += BATCH) {
                int to = Math.min(out.length, from + BATCH);
                score(a, b, from, to, out);
            }
        }
        return out;
    }

    private void score(List<String> a, List<String> b, int from, int to, double[] out) {
        int n = to - from;
        Encoding[] enc = new Encoding[n];
        int len = 1;
        for (int i = 0; i < n; i++) {
            enc[i] = tokenizer.encode(a.get(from + i), b.get(from + i));
            len = Math.max(len, enc[i].getIds().length);
        }
        long[] ids = new long[n * len];
        long[] mask = new long[n * len];
        long[] types = new long[n * len];
        for (int i = 0; i < n; i++) {
            long[] e = enc[i].getIds();
            long[] t = enc[i].getTypeIds();
            for (int j = 0; j < e.length; j++) {
                ids[i * len + j] = e[j];
                mask[i * len + j] = 1;
                types[i * len + j] = t[j];
            }
        }
        long[] shape = {n, len};
        Map<String, OnnxTensor> feed = new HashMap<>();
        try {
            feed.put(INPUT_IDS, OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
            if (inputs.contains(ATTENTION_MASK)) {
                feed.put(ATTENTION_MASK, OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
            }
            if (inputs.contains(TOKEN_TYPE_IDS)) {
                feed.put(TOKEN_TYPE_IDS, OnnxTensor.createTensor(env, LongBuffer.wrap(types), shape));
            }
            try (OrtSession.Result r = session.run(feed, Set.of(output))) {
                OnnxValue v = r.get(0);
                Object value = v.getValue();
                for (int i = 0; i < n; i++) {
                    out[from + i] = probability(value instanceof float[][] m ? m[i] : value instanceof float[] f ? new float[] {f[i]} : null);
                }
            }
        } catch (OrtException e) {
            throw new EmbeddingException("cross-encoder " + id + " failed: " + e.getMessage(), e);
        } finally {
            feed.values().forEach(OnnxTensor::close);
        }
    }

    private double probability(float[] logits) {
        if (logits == null || logits.length == 0) {
            throw new IllegalStateException("cross-encoder " + id + " output " + output + " is not [batch, n] or [batch] floats");
        }
        if (logits.length == 1) {
            return 1.0 / (1.0 + Math.exp(-logits[0]));
        }
        if (scoreIndex >= logits.length) {
            throw new IllegalArgumentException("scoreIndex " + scoreIndex + " but cross-encoder " + id + " has " + logits.length + " logits");
        }
        double max = Double.NEGATIVE_INFINITY;
        for (float x : logits) {
            max = Math.max(max, x);
        }
        double z = 0;
        for (float x : logits) {
            z += Math.exp(x - max);
        }
        return Math.exp(logits[scoreIndex] - max) / z;
    }

    @Override
    public String name() {
        return "cross-encoder:" + id;
    }

    /**
     * Releases the session and the tokenizer; idempotent. Calls in flight on other threads finish
     * first (close waits for them); a call that starts later throws {@link IllegalStateException}.
     */
    @Override
    public void close() {
        guard.close(() -> close(session, tokenizer));
    }
}
