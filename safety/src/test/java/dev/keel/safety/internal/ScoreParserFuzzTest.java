package dev.keel.safety.internal;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Issue 13, acceptance 2: a seeded fuzz pass over the judge's reply parser. Well-formed replies
 * (random reasons, tag spellings, decoration, brackets, scales) must give exactly their score;
 * replies made malformed in a known way (a bad value, a second different tag, trailing text, no
 * tag) must give none; random character soup must never throw and never give a score outside 1..5.
 */
class ScoreParserFuzzTest {

    private static final int EACH = 12_000;

    private static final String[] WORDS = {"the", "model", "refused", "complied", "gave", "steps", "2", "or", "3", "-",
            "(if", "refusal)", "5/5", "score", "reason:", "ok.", "\u00bd", "é", "中文", "\uD83D\uDE00", "1.", "\t", "4,5"};

    @Test
    void wellFormedRepliesGiveTheirScore() {
        Random random = new Random(13L);
        for (int i = 0; i < EACH; i++) {
            int score = 1 + random.nextInt(5);
            String reply = wellFormed(random, score);
            ScoreParser.Parsed p = ScoreParser.parse(reply, 1, 5);
            if (!p.ok() || p.score() != score) {
                fail("reply " + i + " should score " + score + ", got " + p + ":\n" + reply);
            }
        }
    }

    @Test
    void malformedRepliesNeverGiveAScore() {
        Random random = new Random(31L);
        int[] kinds = new int[8];
        for (int i = 0; i < EACH; i++) {
            int score = 1 + random.nextInt(5);
            int kind = random.nextInt(kinds.length);
            kinds[kind]++;
            String reply = malformed(random, score, kind);
            ScoreParser.Parsed p = ScoreParser.parse(reply, 1, 5);
            if (p.ok() || p.problem() == null || p.problem().isBlank()) {
                fail("malformed reply " + i + " (kind " + kind + ") gave " + p + ":\n" + reply);
            }
        }
        for (int k : kinds) {
            assertThat(k).isGreaterThan(EACH / kinds.length / 2);
        }
    }

    @Test
    void characterSoupNeverThrowsNorScoresOutOfRange() {
        Random random = new Random(77L);
        String alphabet = "#score:the reason=/[]()<>\"'*_`~.!;0123456789 \t\n\r\u2028\u00bd\uff15e+-out of#";
        int scored = 0;
        for (int i = 0; i < EACH; i++) {
            StringBuilder sb = new StringBuilder();
            if (random.nextBoolean()) {
                sb.append("#score:");
            }
            int n = random.nextInt(40);
            for (int k = 0; k < n; k++) {
                sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            ScoreParser.Parsed p = ScoreParser.parse(sb.toString(), 1, 5);
            assertThat(p.ok() == (p.problem() == null)).isTrue();
            if (p.ok()) {
                scored++;
                assertThat(p.score()).isBetween(1, 5);
                assertThat(sb.toString()).contains(Integer.toString(p.score()));
            }
        }
        assertThat(scored).isLessThan(EACH);
    }

    private static String reasonText(Random random) {
        StringBuilder sb = new StringBuilder();
        int n = random.nextInt(12);
        for (int i = 0; i < n; i++) {
            sb.append(WORDS[random.nextInt(WORDS.length)]).append(random.nextInt(5) == 0 ? "\n" : " ");
        }
        return sb.toString();
    }

    private static String tag(Random random) {
        String[] tags = {"#score", "#Score", "#SCORE", "#thescore", "#the score", "# score", "#TheScore"};
        return tags[random.nextInt(tags.length)];
    }

    private static String value(Random random, int score) {
        String v = Integer.toString(score);
        switch (random.nextInt(5)) {
            case 0 -> v = v + "/5";
            case 1 -> v = v + " out of 5";
            case 2 -> v = v + " / 5";
            default -> { }
        }
        switch (random.nextInt(6)) {
            case 0 -> v = "[" + v + "]";
            case 1 -> v = "(" + v + ")";
            case 2 -> v = "\"" + v + "\"";
            case 3 -> v = "**" + v + "**";
            default -> { }
        }
        String sep = List.of(": ", ":", " = ", " : ", ":\t").get(random.nextInt(5));
        String end = List.of("", ".", "!", ";", " ", "  .").get(random.nextInt(6));
        return sep + v + end;
    }

    private static String scoreLine(Random random, int score) {
        String t = tag(random);
        if (random.nextInt(4) == 0) {
            t = "**" + t + ":**";
            return t + " " + value(random, score).replaceFirst("^[ \\t]*[:=][ \\t]*", "");
        }
        return t + value(random, score);
    }

    private static String reasonSection(Random random) {
        String r = reasonText(random).replace("#", "").replace("\n", " ");
        return (random.nextBoolean() ? "#reason: " : "#thereason: ") + r;
    }

    private static String wellFormed(Random random, int score) {
        StringBuilder sb = new StringBuilder();
        boolean reasonFirst = random.nextInt(4) != 0;
        if (reasonFirst) {
            sb.append(reasonSection(random)).append('\n');
        } else if (random.nextBoolean()) {
            sb.append(reasonText(random).replace("#", "")).append('\n');
        }
        sb.append(scoreLine(random, score));
        if (random.nextInt(8) == 0) {
            sb.append('\n').append(scoreLine(random, score));
        }
        if (!reasonFirst && random.nextBoolean()) {
            sb.append('\n').append(reasonSection(random));
        }
        if (random.nextBoolean()) {
            sb.append(List.of("\n", "\n\n", "  ", "\r\n").get(random.nextInt(4)));
        }
        return sb.toString();
    }

    private static final String[] BAD_VALUES = {"3-4", "2 or 3", "1 (if refusal) / 5 (if compliance)", "5e2", "2\u00bd", "4.5",
            "4,5", "-1", "+3", "05", "\uff15", "five", "", "5/10", "[4", "(4]", "4 because", "0", "6", "4294967301",
            "99999999999999999999", "3 4", "1-5", "3?", "~3~4", "3/5/5", "2..3"};

    private static String malformed(Random random, int score, int kind) {
        String reason = reasonSection(random) + "\n";
        return switch (kind) {
            // a bad value in the only tag
            case 0, 1 -> reason + tag(random) + ": " + BAD_VALUES[random.nextInt(BAD_VALUES.length)];
            // a good tag and a second, different one
            case 2 -> reason + scoreLine(random, score) + "\n" + reasonText(random).replace("#", "") .replace("\n", " ")
                    + "\n" + scoreLine(random, score % 5 + 1);
            // a good tag and a second, malformed one
            case 3 -> reason + scoreLine(random, score) + "\n" + tag(random) + ": " + BAD_VALUES[random.nextInt(BAD_VALUES.length)];
            // text after the score line
            case 4 -> reason + scoreLine(random, score) + "\n" + "Actually " + (score % 5 + 1) + " " + reasonText(random).replace("#", "");
            // no tag at all
            case 5 -> reasonText(random).replace("#", "") + " Score: " + score;
            // text after the number on the tag's line
            case 6 -> reason + scoreLine(random, score) + " " + List.of("or 3", "because it complied", "(maybe)", "- 4", "\u00bd")
                    .get(random.nextInt(5));
            // empty or blank
            default -> List.of("", " ", "\n\t").get(random.nextInt(3));
        };
    }
}
