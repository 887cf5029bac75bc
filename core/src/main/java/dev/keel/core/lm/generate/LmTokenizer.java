package dev.keel.core.lm.generate;

import dev.keel.core.internal.TextFiles;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.core.internal.CloseGuard;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.JsonFields;
import dev.keel.core.internal.JsonLines;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * A Hugging Face {@code tokenizer.json} (through DJL's {@link HuggingFaceTokenizer}) for a language
 * model: no truncation, no padding, and special tokens only where the text (e.g. a chat template)
 * writes them. Thread-safe, also against {@link #close()}: close waits for the calls in flight, is
 * idempotent, and makes any later call an {@link IllegalStateException}.
 */
public final class LmTokenizer implements AutoCloseable {

    private final HuggingFaceTokenizer tokenizer;
    private final int vocabSize;
    private final String source;
    private final Map<String, Long> addedTokens;
    private final CloseGuard guard;

    private LmTokenizer(HuggingFaceTokenizer tokenizer, int vocabSize, String source, Map<String, Long> addedTokens) {
        this.tokenizer = tokenizer;
        this.vocabSize = vocabSize;
        this.source = source;
        this.addedTokens = addedTokens;
        this.guard = new CloseGuard("LmTokenizer " + source);
    }

    /**
     * Loads {@code tokenizer.json}, or the one inside a directory.
     *
     * @param path a file, or the directory holding it
     * @return the tokenizer (the caller closes it)
     * @throws IOException if a file cannot be read or written
     */
    public static LmTokenizer load(Path path) throws IOException {
        Preconditions.notNull(path, "path");
        Path file = Files.isDirectory(path) ? path.resolve("tokenizer.json") : path;
        if (!Files.isRegularFile(file)) {
            throw new java.nio.file.NoSuchFileException(file.toString(), null, "no tokenizer.json");
        }
        JsonNode root = Json.readFile(file);
        int vocab;
        Map<String, Long> added = new HashMap<>();
        try {
            vocab = vocabSize(root);
            JsonNode addedTokens = root.path("added_tokens");
            for (int i = 0; i < addedTokens.size(); i++) {
                JsonNode t = addedTokens.get(i);
                String content = JsonFields.text(t, "content", null);
                if (content == null) {
                    throw new IllegalArgumentException("added_tokens[" + i + "].content must be a string, was " + t.get("content"));
                }
                added.put(content, JsonLines.checkedLong(t.get("id"), "added_tokens[" + i + "].id", 0, Integer.MAX_VALUE - 1));
            }
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        HuggingFaceTokenizer t;
        try {
            // the bytes Keel's own reader checked (UTF-8, a leading byte order mark removed), not the file again
            byte[] json = TextFiles.utf8WithoutBom(Files.readAllBytes(file), file.toString());
            t = HuggingFaceTokenizer.newInstance(new java.io.ByteArrayInputStream(json), Map.of(
                    "addSpecialTokens", "false", "truncation", "false", "padding", "false"));
        } catch (RuntimeException e) {
            throw new IOException(file + ": cannot load the tokenizer: " + e.getMessage(), e);
        }
        return new LmTokenizer(t, vocab, file.toString(), Map.copyOf(added));
    }

    /** The largest token id in {@code model.vocab} and {@code added_tokens}, plus one; ids are range-checked, never wrapped. */
    private static int vocabSize(JsonNode root) {
        long max = -1;
        JsonNode vocab = root.path("model").path("vocab");
        if (vocab.isObject()) {
            for (java.util.Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                max = Math.max(max, JsonLines.checkedLong(e.getValue(), "model.vocab[" + Json.toLine(e.getKey()) + "]", 0, Integer.MAX_VALUE - 1));
            }
        } else if (vocab.isArray()) {
            max = vocab.size() - 1;
        }
        JsonNode addedTokens = root.path("added_tokens");
        for (int i = 0; i < addedTokens.size(); i++) {
            max = Math.max(max, JsonLines.checkedLong(addedTokens.get(i).get("id"), "added_tokens[" + i + "].id", 0, Integer.MAX_VALUE - 1));
        }
        if (max < 0) {
            throw new IllegalArgumentException("no vocabulary found under model.vocab");
        }
        return (int) (max + 1);
    }

    /**
     * The number of token ids the tokenizer can produce (its largest id plus one).
     *
     * @return the vocab size
     */
    public int vocabSize() {
        return vocabSize;
    }

    /**
     * Throws unless every token id fits an embedding of {@code modelVocabSize} rows.
     *
     * @param modelVocabSize the model vocab size
     */
    public void checkCompatible(int modelVocabSize) {
        if (vocabSize > modelVocabSize) {
            throw new IllegalArgumentException("tokenizer " + source + " has " + vocabSize
                    + " token ids but the model's embedding has vocab_size " + modelVocabSize);
        }
    }

    /**
     * The id of a token written as text, e.g. {@code <|im_end|>}: an added (special) token of
     * {@code tokenizer.json}, else a text that encodes to exactly one id.
     *
     * @param token the token's text
     * @return the id, or empty where the text is not one token
     */
    public OptionalLong tokenId(String token) {
        checkOpen();
        Preconditions.notNull(token, "token");
        Long id = addedTokens.get(token);
        if (id != null) {
            return OptionalLong.of(id);
        }
        if (token.isEmpty()) {
            return OptionalLong.empty();
        }
        long[] ids = encode(token);
        return ids.length == 1 ? OptionalLong.of(ids[0]) : OptionalLong.empty();
    }

    /**
     * The special token that {@code tokenizer.json}'s post-processor puts before a text when special
     * tokens are added (what transformers' {@code tokenizer(text)} prepends, e.g. Llama's BOS).
     *
     * @return the id, or empty where the post-processor prepends nothing
     */
    public OptionalLong prependedSpecialToken() {
        String probe = "Keel";
        long[] plain;
        long[] special;
        try (CloseGuard.Call call = guard.enter()) {
            plain = tokenizer.encode(probe, false, false).getIds();
            special = tokenizer.encode(probe, true, false).getIds();
        }
        if (special.length > plain.length && special.length > 0
                && Arrays.equals(Arrays.copyOfRange(special, 1, 1 + plain.length), plain)) {
            return OptionalLong.of(special[0]);
        }
        return OptionalLong.empty();
    }

    /**
     * Token ids of {@code text}; special tokens appear only where the text writes them.
     *
     * @param text the text to encode
     * @return the token ids
     */
    public long[] encode(String text) {
        Preconditions.notNull(text, "text");
        try (CloseGuard.Call call = guard.enter()) {
            return tokenizer.encode(text, false, false).getIds();
        }
    }

    /**
     * Token ids of {@code text} with the special tokens the tokenizer's post-processor adds (transformers'
     * {@code add_special_tokens=True}: Llama 3's {@code <|begin_of_text|>}, Gemma's {@code <bos>}; nothing for Qwen).
     *
     * @param text the text to encode
     * @return the token ids
     */
    public long[] encodeAddingSpecialTokens(String text) {
        Preconditions.notNull(text, "text");
        try (CloseGuard.Call call = guard.enter()) {
            return tokenizer.encode(text, true, false).getIds();
        }
    }

    /**
     * The text of {@code ids}, without special tokens.
     *
     * @param ids the token ids
     * @return the text
     */
    public String decode(long[] ids) {
        Preconditions.notNull(ids, "ids");
        try (CloseGuard.Call call = guard.enter()) {
            return tokenizer.decode(ids, true);
        }
    }

    /**
     * The text of {@code ids}, special tokens included.
     *
     * @param ids the token ids
     * @return the text, special tokens included
     */
    public String decodeWithSpecialTokens(long[] ids) {
        Preconditions.notNull(ids, "ids");
        try (CloseGuard.Call call = guard.enter()) {
            return tokenizer.decode(ids, false);
        }
    }

    private void checkOpen() {
        guard.checkOpen();
    }

    /**
     * Releases the native tokenizer; idempotent. Calls in flight on other threads finish first
     * (close waits for them); a call that starts later throws {@link IllegalStateException}.
     */
    @Override
    public void close() {
        guard.close(tokenizer::close);
    }

    @Override
    public String toString() {
        return "LmTokenizer[" + source + ", " + vocabSize + " ids]";
    }
}
