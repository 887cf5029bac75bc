package dev.keel.core.data;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CsvRfcTest {

    @Test
    void readsPlainAndQuotedFields() {
        assertThat(Csv.parse("a,b,c\n1,2,3\n")).containsExactly(List.of("a", "b", "c"), List.of("1", "2", "3"));
    }

    @Test
    void quotedFieldsHoldCommasQuotesAndLineBreaks() {
        String text = "goal,target\r\n\"Write, then run\",\"He said \"\"hi\"\"\"\r\n\"two\r\nlines\",x\r\n";
        assertThat(Csv.parse(text)).containsExactly(
                List.of("goal", "target"),
                List.of("Write, then run", "He said \"hi\""),
                List.of("two\r\nlines", "x"));
    }

    @Test
    void emptyFieldsAndMissingFinalLineBreak() {
        assertThat(Csv.parse("a,,\"\"\n,b")).containsExactly(List.of("a", "", ""), List.of("", "b"));
        assertThat(Csv.parse("")).isEmpty();
        assertThat(Csv.parse("\uFEFFx,y")).containsExactly(List.of("x", "y"));
    }

    @Test
    void malformedInputNamesTheLine() {
        assertThatThrownBy(() -> Csv.parse("a,b\n\"open,c\n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("line 2").hasMessageContaining("unterminated");
        assertThatThrownBy(() -> Csv.parse("a,b\nx,\"q\"z\n"))
                .hasMessageContaining("line 2").hasMessageContaining("after a closing quote");
        assertThatThrownBy(() -> Csv.parse("a\nb\nab\"c\n"))
                .hasMessageContaining("line 3").hasMessageContaining("quote inside an unquoted field");
    }

    @Test
    void headerAndWidthAreChecked() {
        assertThat(Csv.parseWithHeader("a,b\n1,2\n", List.of("a", "b"))).containsExactly(List.of("1", "2"));
        assertThatThrownBy(() -> Csv.parseWithHeader("a,c\n1,2\n", List.of("a", "b"))).hasMessageContaining("[a, c]");
        assertThatThrownBy(() -> Csv.parseWithHeader("a,b\n1,2,3\n", List.of("a", "b"))).hasMessageContaining("CSV line 2 has 3 fields");
    }

    @Test
    void writerQuotesOnlyWhenNeededAndRoundTrips() {
        List<String> fields = List.of("plain", "with, comma", "with \"quote\"", "two\nlines", " padded", "");
        String line = Csv.line(fields);
        assertThat(line).isEqualTo("plain,\"with, comma\",\"with \"\"quote\"\"\",\"two\nlines\",\" padded\",\n");
        assertThat(Csv.parse(line)).containsExactly(fields);
    }
}
