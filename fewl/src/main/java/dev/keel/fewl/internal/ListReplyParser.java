package dev.keel.fewl.internal;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Pulls a list of answers out of a chat reply: numbered ({@code 1.}, {@code 2)}, {@code (3)},
 * {@code 4:}) or bulleted ({@code -}, {@code *}, {@code •}) lines, or {@code Answer 5:} labels. Text
 * before the first item (a preamble) is dropped, a wrapped item's continuation line is joined to
 * it, quotes and Markdown emphasis are stripped, and duplicates are kept once. Without any list
 * marker every non-blank line that does not end with a colon is an answer.
 */
public final class ListReplyParser {

    private static final Pattern ITEM = Pattern.compile(
            "^\\s*(?:\\(?\\d{1,3}\\s*[.):\\]]|[-*•‣–]|(?:answer|option)\\s*#?\\d{1,3}\\s*[.):-])(?:\\s+(.*)|\\s*$)",
            Pattern.CASE_INSENSITIVE);

    private ListReplyParser() {
    }

    /** At most {@code max} distinct answers from {@code reply}, in order. */
    public static List<String> parse(String reply, int max) {
        if (reply == null || max <= 0) {
            return List.of();
        }
        String[] lines = reply.replace("\r\n", "\n").replace('\r', '\n').split("\n");
        boolean anyMarker = false;
        for (String l : lines) {
            Matcher m = ITEM.matcher(l);
            if (m.matches() && m.group(1) != null && !clean(m.group(1)).isEmpty()) {
                anyMarker = true;
                break;
            }
        }
        List<String> raw = new ArrayList<>();
        if (anyMarker) {
            StringBuilder current = null;
            for (String l : lines) {
                Matcher m = ITEM.matcher(l);
                if (m.matches()) {
                    if (current != null) {
                        raw.add(current.toString());
                    }
                    current = new StringBuilder(m.group(1) == null ? "" : m.group(1).trim());
                } else if (l.isBlank()) {
                    if (current != null) {
                        raw.add(current.toString());
                        current = null;
                    }
                } else if (current != null) {
                    current.append(' ').append(l.trim());
                }
            }
            if (current != null) {
                raw.add(current.toString());
            }
        } else {
            for (String l : lines) {
                String t = l.trim();
                if (!t.isEmpty() && !t.endsWith(":")) {
                    raw.add(t);
                }
            }
        }
        Set<String> seen = new LinkedHashSet<>();
        List<String> out = new ArrayList<>();
        for (String r : raw) {
            String c = clean(r);
            if (!c.isEmpty() && seen.add(c.toLowerCase(Locale.ROOT)) && out.size() < max) {
                out.add(c);
            }
        }
        return out;
    }

    private static String clean(String s) {
        String t = s.trim().replace("**", "").replace("__", "").trim();
        while (t.length() >= 2 && isQuote(t.charAt(0)) && isQuote(t.charAt(t.length() - 1))) {
            t = t.substring(1, t.length() - 1).trim();
        }
        return t;
    }

    private static boolean isQuote(char c) {
        return c == '"' || c == '\'' || c == '“' || c == '”' || c == '`';
    }
}
