package dev.keel.fewl;

import dev.keel.core.data.DatasetException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Items and scores to and from JSON Lines through the public, Jackson-free methods. */
class FewlJsonLinesTest {

    private static final FewlItem ITEM = new FewlItem("q1", "Why?", "Because.",
            List.of(Reference.of("a", "So."), Reference.of("b", "No.")), List.of("Never."), List.of(), Label.HALLUCINATED);

    @Test
    void anItemRoundTripsThroughOneLine() {
        String line = ITEM.toJsonLine();
        assertThat(line).isEqualTo("{\"id\":\"q1\",\"question\":\"Why?\",\"answer\":\"Because.\",\"references\":[{\"model\":\"a\",\"answer\":\"So.\"},"
                + "{\"model\":\"b\",\"answer\":\"No.\"}],\"wrongAnswers\":[\"Never.\"],\"label\":\"hallucinated\"}");
        assertThat(FewlItem.parse(line)).isEqualTo(ITEM);
    }

    @Test
    void itemsWrittenWithWriteAllAreReadBack(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("items.jsonl");
        FewlItem other = FewlItem.of("q2", "How?", "Thus.", Reference.list("Like this."));
        FewlItem.writeAll(f, List.of(ITEM, other));
        assertThat(FewlItem.readAll(f)).containsExactly(ITEM, other);
        FewlItem.writeAll(f, List.of(ITEM, ITEM));
        assertThatThrownBy(() -> FewlItem.readAll(f)).isInstanceOf(DatasetException.class).hasMessageContaining("duplicate id \"q1\"");
        assertThatThrownBy(() -> FewlItem.writeAll(f, null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void parseNamesWhatIsWrong() {
        assertThatThrownBy(() -> FewlItem.parse("\"text\"")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("expected a JSON object, got string");
        assertThatThrownBy(() -> FewlItem.parse("{")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("malformed JSON");
        assertThatThrownBy(() -> FewlItem.parse("{\"id\":\"x\",\"question\":\"Q\",\"answer\":\"A\",\"references\":[1]}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("item x: references[0] must be an object");
        assertThatThrownBy(() -> FewlItem.parse("{\"id\":\"x\",\"question\":\"Q\",\"references\":[]}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("item x").hasMessageContaining("answer");
        assertThatThrownBy(() -> FewlItem.parse(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void scoresAreWrittenOneLineEach(@TempDir Path dir) throws Exception {
        FewlScore s = new FewlScore("q1", 0.25, 0.5, 0.25, List.of("a"), List.of(1.0), List.of(Double.NaN), List.of(0.5),
                List.of(List.of(0.25)), List.of(new FewlScore.Neighbour("q2", "How?", 0.75)), Double.NaN, List.of());
        assertThat(s.toJsonLine()).isEqualTo("{\"id\":\"q1\",\"fewl\":0.25,\"truthfulness\":0.5,\"penalty\":0.25,"
                + "\"references\":[{\"model\":\"a\",\"weight\":1.0,\"similarity\":0.5}],"
                + "\"neighbours\":[{\"id\":\"q2\",\"question\":\"How?\",\"similarity\":0.75}]}");
        Path f = dir.resolve("scores.jsonl");
        FewlScore.writeAll(f, List.of(s, s));
        assertThat(Files.readAllLines(f)).containsExactly(s.toJsonLine(), s.toJsonLine());
        assertThatThrownBy(() -> FewlScore.writeAll(f, java.util.Arrays.asList(s, null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("element 1 was null");
    }
}
