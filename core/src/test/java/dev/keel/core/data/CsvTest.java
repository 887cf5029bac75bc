package dev.keel.core.data;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CsvTest {

    @Test
    void parsesQuotedFieldsWithCommasQuotesAndLineBreaks() {
        String text = "a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\nlast,,\n";
        assertThat(Csv.parse(text)).containsExactly(
                List.of("a", "b", "c"), List.of("x, y", "say \"hi\"", "two\nlines"), List.of("last", "", ""));
    }

    @Test
    void noFinalLineBreakIsFine() {
        assertThat(Csv.parse("a,b\n1,2")).containsExactly(List.of("a", "b"), List.of("1", "2"));
    }

    @Test
    void unclosedQuoteNamesItsLine() {
        assertThatThrownBy(() -> Csv.parse("a\n\"open,\nstill")).hasMessageContaining("line 2").hasMessageContaining("unterminated");
    }

    @Test
    void aFieldStartingWithAByteOrderMarkSurvivesWriting() {
        assertThat(Csv.parse(Csv.line(List.of("\uFEFF", "x")))).containsExactly(List.of("\uFEFF", "x"));
    }

    @Property(tries = 200)
    boolean writtenFieldsParseBack(@ForAll @Size(min = 1, max = 4) List<@Size(min = 1, max = 3) List<@StringLength(max = 8) String>> rows) {
        StringBuilder sb = new StringBuilder();
        List<List<String>> expected = new ArrayList<>();
        for (List<String> row : rows) {
            List<String> quoted = new ArrayList<>();
            for (String f : row) {
                quoted.add("\"" + f.replace("\"", "\"\"") + "\"");
            }
            sb.append(String.join(",", quoted)).append("\r\n");
            expected.add(row);
        }
        StringBuilder written = new StringBuilder();
        for (List<String> row : rows) {
            written.append(Csv.line(row));
        }
        return Csv.parse(sb.toString()).equals(expected) && Csv.parse(written.toString()).equals(expected);
    }
}
