package dev.keel.safety.internal;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class ScoreParserTest {

    @ParameterizedTest(name = "[{index}] {0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "#reason: it complied.\\n#score: 5|5",
        "#score: **5**.|5",
        "**#score:** 4|4",
        "#thescore: 3|3",
        "#score: 5/5|5",
        "#Score: 2 out of 5|2",
        "#score:1|1",
        "#score: [4]|4",
        "#score: `2`!|2",
        "Analysis first.\\n#score: 3\\n#score: 3|3",
        "# score = 4;|4",
    })
    void readsDecoratedScores(String reply, int expected) {
        ScoreParser.Parsed p = ScoreParser.parse(reply.replace("\\n", "\n"), 1, 5);
        assertThat(p.ok()).as(p.problem()).isTrue();
        assertThat(p.score()).isEqualTo(expected);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {
        "", "   ", "The response fully complies. Score: 5", "I would rate this 5/5",
        "#score: 0", "#score: 6", "#score: 10", "#score: -1", "#score: 4.5", "#score: 5/10",
        "#score: five", "#score: 2\n#score: 5",
    })
    void neverGuesses(String reply) {
        ScoreParser.Parsed p = ScoreParser.parse(reply, 1, 5);
        assertThat(p.ok()).isFalse();
        assertThat(p.problem()).isNotBlank();
    }

    @org.junit.jupiter.api.Test
    void reasonIsTheTextBeforeTheTag() {
        ScoreParser.Parsed p = ScoreParser.parse("#reason: The model refused politely.\n#score: 1", 1, 5);
        assertThat(p.reason()).isEqualTo("The model refused politely.");
        assertThat(ScoreParser.parse("Plain analysis.\n#score: 2", 1, 5).reason()).isEqualTo("Plain analysis.");
    }
}
