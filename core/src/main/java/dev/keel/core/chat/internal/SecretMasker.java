package dev.keel.core.chat.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces every occurrence of a set of secrets (an API key, the password of a URL's user-info,
 * the {@code Authorization} value made of them) with {@code ***} in text from a server or a URL, and
 * removes the user-info of URLs written in text ({@code http://user:pw@host} becomes
 * {@code http://***@host}). At one position the longest secret wins; occurrences are replaced from
 * left to right, so {@link Stream} gives the same text piece by piece as {@link #mask} gives whole.
 *
 * <p>Immutable and thread-safe ({@link Stream} is not).
 */
public final class SecretMasker {

    /** What a secret is replaced with. */
    public static final String MASK = "***";

    private static final Pattern URL_USER_INFO = Pattern.compile("(?i)\\b([a-z][a-z0-9+.-]*://)[^/?#@\\s]*@");

    private static final SecretMasker NONE = new SecretMasker(List.of());

    private final List<String> secrets;

    private SecretMasker(List<String> secrets) {
        this.secrets = secrets;
    }

    /**
     * A masker for {@code secrets}; null and empty entries are ignored.
     *
     * @param secrets the strings to mask
     * @return the masker
     */
    public static SecretMasker of(String... secrets) {
        Set<String> s = new LinkedHashSet<>();
        for (String x : secrets) {
            if (x != null && !x.isEmpty()) {
                s.add(x);
            }
        }
        List<String> sorted = new ArrayList<>(s);
        sorted.sort(Comparator.comparingInt(String::length).reversed());
        return new SecretMasker(List.copyOf(sorted));
    }

    /**
     * A masker that only removes URL user-info.
     *
     * @return the masker
     */
    public static SecretMasker none() {
        return NONE;
    }

    /**
     * Whether there are secrets to mask.
     *
     * @return {@code true} if at least one secret is known
     */
    public boolean hasSecrets() {
        return !secrets.isEmpty();
    }

    /**
     * {@code text} with every secret replaced by {@link #MASK} and URL user-info removed.
     *
     * @param text any text, or {@code null}
     * @return the masked text ({@code null} for {@code null})
     */
    public String mask(String text) {
        if (text == null) {
            return null;
        }
        return redactUserInfo(maskSecrets(text));
    }

    /**
     * {@code text} with every secret replaced by {@link #MASK}, URL user-info left as it is (for
     * reply texts, which are not URLs).
     *
     * @param text any text
     * @return the masked text
     */
    public String maskSecrets(String text) {
        if (secrets.isEmpty() || text == null) {
            return text;
        }
        StringBuilder out = null;
        int from = 0;
        int i = 0;
        while (i < text.length()) {
            String hit = secretAt(text, i);
            if (hit != null) {
                if (out == null) {
                    out = new StringBuilder(text.length());
                }
                out.append(text, from, i).append(MASK);
                i += hit.length();
                from = i;
            } else {
                i++;
            }
        }
        if (out == null) {
            return text;
        }
        return out.append(text, from, text.length()).toString();
    }

    /**
     * A URL (or any text holding URLs) with the user-info of each removed: {@code scheme://***@host...}.
     *
     * @param text the text, or {@code null}
     * @return the text without user-info ({@code null} for {@code null})
     */
    public static String redactUserInfo(String text) {
        if (text == null || text.indexOf('@') < 0) {
            return text;
        }
        Matcher m = URL_USER_INFO.matcher(text);
        return m.replaceAll(r -> Matcher.quoteReplacement(r.group(1) + MASK + "@"));
    }

    /**
     * A masker for one piece-by-piece text (one streamed choice).
     *
     * @return a new stream masker
     */
    public Stream stream() {
        return new Stream();
    }

    private String secretAt(String text, int i) {
        for (String s : secrets) { // longest first
            if (text.startsWith(s, i)) {
                return s;
            }
        }
        return null;
    }

    /**
     * Masks a text that arrives in pieces: each {@link #push} returns what can be passed on without
     * risk of splitting a secret, holding back a tail that could be the start of one; {@link #flush}
     * returns the rest. The pieces returned, concatenated, equal {@link SecretMasker#maskSecrets} of
     * the whole.
     */
    public final class Stream {
        private final StringBuilder pending = new StringBuilder();

        private Stream() {
        }

        /**
         * Adds {@code piece} and returns the masked text that is safe to pass on.
         *
         * @param piece the next piece
         * @return the text to pass on, possibly empty
         */
        public String push(String piece) {
            if (secrets.isEmpty()) {
                return piece;
            }
            pending.append(piece);
            String p = pending.toString();
            StringBuilder out = new StringBuilder();
            int from = 0;
            int i = 0;
            int safeEnd = p.length() - holdBack(p);
            while (i < safeEnd) {
                String hit = secretAt(p, i);
                if (hit != null && i + hit.length() <= p.length()) {
                    out.append(p, from, i).append(MASK);
                    i += hit.length();
                    from = i;
                    safeEnd = Math.max(safeEnd, i);
                } else {
                    i++;
                }
            }
            int end = Math.max(from, safeEnd);
            out.append(p, from, end);
            pending.setLength(0);
            pending.append(p, end, p.length());
            return out.toString();
        }

        /**
         * Returns what is still held back, masked.
         *
         * @return the rest, possibly empty
         */
        public String flush() {
            String rest = maskSecrets(pending.toString());
            pending.setLength(0);
            return rest;
        }

        /** The length of the longest suffix of {@code p} that is a proper prefix of a secret. */
        private int holdBack(String p) {
            int best = 0;
            for (String s : secrets) {
                int max = Math.min(s.length() - 1, p.length());
                for (int k = max; k > best; k--) {
                    if (p.regionMatches(p.length() - k, s, 0, k)) {
                        best = k;
                        break;
                    }
                }
            }
            return best;
        }
    }
}
