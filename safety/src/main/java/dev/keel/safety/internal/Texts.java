package dev.keel.safety.internal;

import java.text.Normalizer;
import java.util.Locale;

/** Text helpers shared by the mixer and the dataset builders. */
public final class Texts {

    private Texts() {
    }

    /**
     * Folds an instruction for comparison: Unicode NFKC, lower case, every run of characters that
     * are not letters or digits turned into one space, trimmed. {@code "Write a  Tutorial!"} and
     * {@code "write a tutorial"} fold alike.
     */
    public static String normalise(String s) {
        String n = Normalizer.normalize(s, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
        StringBuilder b = new StringBuilder(n.length());
        boolean space = false;
        for (int i = 0; i < n.length(); ) {
            int cp = n.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.isLetterOrDigit(cp)) {
                if (space && b.length() > 0) {
                    b.append(' ');
                }
                space = false;
                b.appendCodePoint(cp);
            } else {
                space = true;
            }
        }
        return b.toString();
    }
}
