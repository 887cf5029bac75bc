package dev.keel.core.similarity;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Splits text into lower-case word tokens for the lexical similarities. */
public final class LexicalTokens {

    private LexicalTokens() {
    }

    /**
     * NFKC-normalises, lower-cases, and returns the maximal runs of letters and digits; punctuation
     * and whitespace separate tokens and are dropped. English articles are kept.
     *
     * @param text the text
     * @return its tokens in order, repeats kept
     */
    public static List<String> of(String text) {
        String s = Normalizer.normalize(text, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
        List<String> out = new ArrayList<>();
        int start = -1;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            boolean word = Character.isLetterOrDigit(cp);
            if (word && start < 0) {
                start = i;
            } else if (!word && start >= 0) {
                out.add(s.substring(start, i));
                start = -1;
            }
            i += Character.charCount(cp);
        }
        if (start >= 0) {
            out.add(s.substring(start));
        }
        return out;
    }
}
