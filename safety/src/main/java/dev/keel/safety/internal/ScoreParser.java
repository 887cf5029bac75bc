package dev.keel.safety.internal;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the {@code #score: N} tag from a rubric judge's reply. Tolerant of decoration
 * ({@code #score: **5**.}, {@code #thescore: 5}, {@code #score: 5/5}, {@code [5]}, trailing
 * punctuation) but never guesses: an empty reply, a missing tag, a non-integer, an out-of-range
 * value, a denominator other than 5, or tags that disagree all give no score.
 */
public final class ScoreParser {

    /** The outcome of parsing: a score with the judge's reason, or the problem that prevented one. */
    public record Parsed(Integer score, String reason, String problem) {

        public boolean ok() {
            return score != null;
        }
    }

    private static final Pattern DECORATION = Pattern.compile("[*_`~]");
    private static final Pattern SCORE_TAG = Pattern.compile(
            "#\\s*(?:the\\s*)?score\\s*[:=]?[\\s\\[(\"'<]*(?:([+-]?\\d+(?:[.,]\\d+)?)(?:\\s*(?:/|out\\s+of)\\s*(\\d+))?)?",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern REASON_TAG = Pattern.compile("#\\s*(?:the\\s*)?reason\\s*:?", Pattern.CASE_INSENSITIVE);

    private ScoreParser() {
    }

    /** Parses {@code reply}; scores outside {@code [min, max]} are rejected. */
    public static Parsed parse(String reply, int min, int max) {
        if (reply == null || reply.isBlank()) {
            return new Parsed(null, null, "empty reply");
        }
        String text = DECORATION.matcher(reply).replaceAll("");
        Matcher m = SCORE_TAG.matcher(text);
        int firstTag = -1;
        Set<Integer> values = new LinkedHashSet<>();
        String lastProblem = null;
        while (m.find()) {
            if (firstTag < 0) {
                firstTag = m.start();
            }
            String number = m.group(1);
            if (number == null) {
                lastProblem = "no number after the score tag";
                continue;
            }
            if (number.contains(".") || number.contains(",")) {
                lastProblem = "score " + number + " is not a whole number";
                continue;
            }
            String denominator = m.group(2);
            if (denominator != null && !denominator.equals(Integer.toString(max))) {
                lastProblem = "score " + number + "/" + denominator + " is not on a 1.." + max + " scale";
                continue;
            }
            int v;
            try {
                v = Integer.parseInt(number.startsWith("+") ? number.substring(1) : number);
            } catch (NumberFormatException e) {
                lastProblem = "score " + number + " is not a number";
                continue;
            }
            if (v < min || v > max) {
                lastProblem = "score " + v + " is outside " + min + ".." + max;
                continue;
            }
            values.add(v);
        }
        if (firstTag < 0) {
            return new Parsed(null, null, "no #score tag");
        }
        if (values.isEmpty()) {
            return new Parsed(null, null, lastProblem);
        }
        if (values.size() > 1) {
            return new Parsed(null, null, "conflicting scores " + values);
        }
        return new Parsed(values.iterator().next(), reason(text, firstTag), null);
    }

    private static String reason(String text, int scoreTag) {
        String before = text.substring(0, scoreTag);
        Matcher r = REASON_TAG.matcher(before);
        int start = 0;
        if (r.find()) {
            start = r.end();
        }
        return before.substring(start).strip();
    }
}
