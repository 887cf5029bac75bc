package dev.keel.examples.tiny;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.internal.AtomicFiles;
import dev.keel.core.internal.Json;

import java.io.IOException;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes keel-tiny's {@code tokenizer.json}: a Hugging Face word-level model whose vocabulary is
 * built from a corpus. Text is NFKC-normalised with runs of white space made one space; each word
 * gets a leading {@code ▁} (Metaspace), punctuation and digits are split off one character at a
 * time, so numbers never meet {@code <unk>} and decoding restores the spacing exactly.
 *
 * <p>Words seen fewer than {@code minCount} times become {@code <unk>}, so the model also learns
 * what to do with words it does not know.
 */
public final class TinyTokenizer {

    /** Special tokens, in id order: 0 pad, 1 unknown, 2 end of turn, then the chat markers. */
    public static final List<String> SPECIAL = List.of("<pad>", "<unk>", TinyChatTemplate.END, TinyChatTemplate.USER,
            TinyChatTemplate.ASSISTANT, TinyChatTemplate.SYSTEM);
    public static final int PAD_ID = 0;
    public static final int UNK_ID = 1;
    public static final int END_ID = 2;

    private static final String SPACE = "\u2581";

    private TinyTokenizer() {
    }

    /** The pre-tokenized pieces of {@code text} (no special tokens), as the tokenizer.json splits them. */
    public static List<String> pieces(String text) {
        String norm = Normalizer.normalize(text, Normalizer.Form.NFKC).replaceAll("\\s+", " ");
        List<String> out = new ArrayList<>();
        if (norm.isEmpty()) {
            return out;
        }
        // Metaspace: a leading space stands for the prepended one; a trailing space is a piece of its own
        if (norm.startsWith(" ")) {
            norm = norm.substring(1);
        }
        for (String chunk : norm.split(" ", -1)) {
            StringBuilder cur = new StringBuilder(SPACE);
            for (int i = 0; i < chunk.length(); ) {
                int cp = chunk.codePointAt(i);
                i += Character.charCount(cp);
                if (isPunctuation(cp) || Character.isDigit(cp)) {
                    if (cur.length() > 0) {
                        out.add(cur.toString());
                        cur.setLength(0);
                    }
                    out.add(new String(Character.toChars(cp)));
                } else {
                    cur.appendCodePoint(cp);
                }
            }
            if (cur.length() > 0) {
                out.add(cur.toString());
            }
        }
        return out;
    }

    private static boolean isPunctuation(int cp) {
        if (cp < 128) {
            return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
        }
        int t = Character.getType(cp);
        return t == Character.CONNECTOR_PUNCTUATION || t == Character.DASH_PUNCTUATION
                || t == Character.START_PUNCTUATION || t == Character.END_PUNCTUATION
                || t == Character.INITIAL_QUOTE_PUNCTUATION || t == Character.FINAL_QUOTE_PUNCTUATION
                || t == Character.OTHER_PUNCTUATION;
    }

    /**
     * The vocabulary for {@code texts}: the special tokens, {@code ▁}, the digits and ASCII
     * punctuation, then every piece seen at least {@code minCount} times (most frequent first, ties
     * in string order).
     */
    public static Map<String, Integer> vocabulary(List<String> texts, int minCount) {
        Preconditions.checkPositive(minCount, "minCount");
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (String s : SPECIAL) {
            vocab.put(s, vocab.size());
        }
        vocab.put(SPACE, vocab.size());
        for (char c = '0'; c <= '9'; c++) {
            vocab.put(String.valueOf(c), vocab.size());
        }
        for (int c = 33; c < 127; c++) {
            if (isPunctuation(c)) {
                vocab.put(String.valueOf((char) c), vocab.size());
            }
        }
        Map<String, Integer> counts = new HashMap<>();
        for (String t : texts) {
            for (String p : pieces(t)) {
                counts.merge(p, 1, Integer::sum);
            }
        }
        List<Map.Entry<String, Integer>> sorted = new ArrayList<>(counts.entrySet());
        sorted.sort((a, b) -> !a.getValue().equals(b.getValue()) ? Integer.compare(b.getValue(), a.getValue())
                : a.getKey().compareTo(b.getKey()));
        for (Map.Entry<String, Integer> e : sorted) {
            if (e.getValue() >= minCount && !vocab.containsKey(e.getKey())) {
                vocab.put(e.getKey(), vocab.size());
            }
        }
        return vocab;
    }

    /** The {@code tokenizer.json} document for {@code vocab}. */
    public static ObjectNode toJson(Map<String, Integer> vocab) {
        ObjectNode root = Json.mapper().createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (String s : SPECIAL) {
            ObjectNode t = added.addObject();
            t.put("id", vocab.get(s));
            t.put("content", s);
            t.put("single_word", false);
            boolean marker = s.startsWith("<|");
            t.put("lstrip", marker);
            t.put("rstrip", marker);
            t.put("normalized", false);
            t.put("special", true);
        }
        ObjectNode normalizer = root.putObject("normalizer");
        normalizer.put("type", "Sequence");
        ArrayNode norms = normalizer.putArray("normalizers");
        norms.addObject().put("type", "NFKC");
        ObjectNode replace = norms.addObject();
        replace.put("type", "Replace");
        replace.putObject("pattern").put("Regex", "\\s+");
        replace.put("content", " ");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Sequence");
        ArrayNode pres = pre.putArray("pretokenizers");
        pres.add(metaspace());
        ObjectNode punct = pres.addObject();
        punct.put("type", "Punctuation");
        punct.put("behavior", "Isolated");
        ObjectNode digits = pres.addObject();
        digits.put("type", "Digits");
        digits.put("individual_digits", true);
        root.putNull("post_processor");
        root.set("decoder", metaspace());
        ObjectNode model = root.putObject("model");
        model.put("type", "WordLevel");
        ObjectNode v = model.putObject("vocab");
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            v.put(e.getKey(), e.getValue());
        }
        model.put("unk_token", "<unk>");
        return root;
    }

    private static ObjectNode metaspace() {
        ObjectNode m = Json.mapper().createObjectNode();
        m.put("type", "Metaspace");
        m.put("replacement", SPACE);
        m.put("prepend_scheme", "always");
        m.put("split", true);
        return m;
    }

    /** Builds the vocabulary of {@code texts} and writes {@code tokenizer.json} atomically; returns its size. */
    public static int write(Path file, List<String> texts, int minCount) throws IOException {
        Map<String, Integer> vocab = vocabulary(texts, minCount);
        AtomicFiles.writeString(file, Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(toJson(vocab)));
        return vocab.size();
    }
}
