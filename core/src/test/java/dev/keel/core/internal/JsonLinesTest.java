package dev.keel.core.internal;

import dev.keel.core.data.DatasetException;


import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonLinesTest {

    record Item(String id, int n) {
    }

    @Test
    void roundTripsRecords(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("items.jsonl");
        JsonLines.write(f, List.of(new Item("a", 1), new Item("b\n\"x\"", 2)));
        assertThat(Files.readAllLines(f)).hasSize(2);
        assertThat(JsonLines.read(f, Item.class)).containsExactly(new Item("a", 1), new Item("b\n\"x\"", 2));
    }

    @Test
    void malformedLineNamesFileAndLine(@TempDir Path dir) throws IOException {
        Path f = Files.writeString(dir.resolve("bad.jsonl"), "{\"id\":\"a\",\"n\":1}\n\n{\"id\": oops}\n");
        assertThatThrownBy(() -> JsonLines.read(f, Item.class))
                .isInstanceOf(DatasetException.class)
                .hasMessageContaining("bad.jsonl:3")
                .hasMessageContaining("malformed JSON")
                .satisfies(e -> assertThat(((DatasetException) e).line()).isEqualTo(3));
    }

    @Test
    void aLineThatIsNotAnObjectIsRejected(@TempDir Path dir) throws IOException {
        Path f = Files.writeString(dir.resolve("arr.jsonl"), "[1,2]\n");
        assertThatThrownBy(() -> JsonLines.read(f, n -> n)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("arr.jsonl:1").hasMessageContaining("expected a JSON object, got array");
    }

    @Test
    void parserErrorsNameTheLine(@TempDir Path dir) throws IOException {
        Path f = Files.writeString(dir.resolve("q.jsonl"), "{\"question\":\"x\"}\n{\"answer\":\"y\"}\n");
        assertThatThrownBy(() -> JsonLines.read(f, n -> JsonLines.requireText(n, "question")))
                .isInstanceOf(DatasetException.class)
                .hasMessageContaining("q.jsonl:2")
                .hasMessageContaining("missing field \"question\"");
    }

    @Test
    void wrongTypeOfFieldIsNamed(@TempDir Path dir) throws IOException {
        Path f = Files.writeString(dir.resolve("t.jsonl"), "{\"question\":3}\n");
        assertThatThrownBy(() -> JsonLines.read(f, n -> JsonLines.requireText(n, "question")))
                .hasMessageContaining("t.jsonl:1").hasMessageContaining("must be a string, was number");
    }

    @Test
    void invalidUtf8IsReportedWithItsLine(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("u.jsonl");
        Files.write(f, new byte[] {'{', '}', '\n', '{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}', '\n'});
        assertThatThrownBy(() -> JsonLines.read(f, n -> n)).isInstanceOf(DatasetException.class).hasMessageContaining("UTF-8");
    }

    @Test
    void aByteOrderMarkIsIgnored(@TempDir Path dir) throws IOException {
        Path f = Files.writeString(dir.resolve("bom.jsonl"), "\uFEFF{\"id\":\"a\",\"n\":1}\n", StandardCharsets.UTF_8);
        assertThat(JsonLines.read(f, Item.class)).containsExactly(new Item("a", 1));
    }

    @Test
    void textListChecksElements() {
        JsonNode n = Json.mapper().createObjectNode().set("xs", Json.mapper().createArrayNode().add("a").add(1));
        assertThatThrownBy(() -> JsonLines.textList(n, "xs", true)).hasMessageContaining("\"xs\"[1] must be a string");
        assertThat(JsonLines.textList(n, "missing", false)).isEmpty();
        assertThatThrownBy(() -> JsonLines.textList(n, "missing", true)).hasMessageContaining("missing field \"missing\"");
    }
}
