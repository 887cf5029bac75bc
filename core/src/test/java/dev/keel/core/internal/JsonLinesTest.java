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

    // ---------------------------------------------------------------- issue 13: never drop data

    private static Path fixture(String name) {
        try {
            return Path.of(JsonLinesTest.class.getResource("/jsonl/" + name).toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static DatasetException refused(String name) {
        return org.junit.jupiter.api.Assertions.assertThrows(DatasetException.class, () -> JsonLines.read(fixture(name), Item.class));
    }

    @Test
    void twoObjectsOnALineAreRefusedNamingFileAndLine() {
        DatasetException e = refused("two-objects.jsonl");
        assertThat(e.line()).isEqualTo(1);
        assertThat(e.getMessage()).contains("two-objects.jsonl:1").contains("malformed JSON");
    }

    @Test
    void trailingTextAfterTheObjectIsRefused() {
        DatasetException e = refused("trailing-text.jsonl");
        assertThat(e.line()).isEqualTo(2);
        assertThat(e.getMessage()).contains("trailing-text.jsonl:2");
    }

    @Test
    void aDuplicateKeyIsRefusedNamingTheKey() {
        DatasetException e = refused("duplicate-key.jsonl");
        assertThat(e.line()).isEqualTo(1);
        assertThat(e.getMessage()).contains("duplicate-key.jsonl:1").contains("Duplicate field 'n'");
    }

    @Test
    void anIntegerThatDoesNotFitIsRefusedNotWrapped() {
        DatasetException e = refused("int-overflow.jsonl");
        assertThat(e.line()).isEqualTo(1);
        assertThat(e.getMessage()).contains("4294967301");
    }

    @Test
    void invalidUtf8IsReportedOnItsOwnLineFarIntoTheFile() {
        DatasetException e = org.junit.jupiter.api.Assertions.assertThrows(DatasetException.class,
                () -> JsonLines.read(fixture("invalid-utf8-line-300.jsonl"), n -> n));
        assertThat(e.line()).isEqualTo(300);
        assertThat(e.getMessage()).contains("invalid-utf8-line-300.jsonl:300").contains("not valid UTF-8");
    }

    @Test
    void aTrailingBlankLineAndCrlfLineEndsAreFine() throws IOException {
        assertThat(JsonLines.read(fixture("trailing-blank-line.jsonl"), Item.class)).containsExactly(new Item("a", 1), new Item("b", 2));
        assertThat(JsonLines.read(fixture("crlf.jsonl"), Item.class)).containsExactly(new Item("a", 1), new Item("b", 2));
    }

    @Test
    void aByteOrderMarkCountsOnlyAtTheStartOfTheFile() {
        DatasetException e = refused("bom-on-line-2.jsonl");
        assertThat(e.line()).isEqualTo(2);
    }

    @Test
    void aLastLineWithoutLineBreakIsRead(@TempDir Path dir) throws IOException {
        Path f = Files.writeString(dir.resolve("nolf.jsonl"), "{\"id\":\"a\",\"n\":1}\n{\"id\":\"b\",\"n\":2}");
        assertThat(JsonLines.read(f, Item.class)).containsExactly(new Item("a", 1), new Item("b", 2));
        assertThat(JsonLines.read(Files.writeString(dir.resolve("empty.jsonl"), ""), Item.class)).isEmpty();
    }

    @Test
    void integersAreRangeChecked() {
        JsonNode n = Json.parseObject("{\"a\":4294967301,\"b\":99999999999999999999,\"c\":3,\"d\":3.0,\"e\":\"3\",\"f\":5e0}");
        assertThatThrownBy(() -> JsonLines.optionalInt(n, "a", 1, 5)).hasMessage("field \"a\" must be an integer 1..5, was 4294967301");
        assertThatThrownBy(() -> JsonLines.optionalLong(n, "b", 0, Long.MAX_VALUE))
                .hasMessageContaining("was 99999999999999999999");
        assertThat(JsonLines.optionalInt(n, "c", 1, 5)).isEqualTo(3);
        assertThat(JsonLines.optionalInt(n, "missing", 1, 5)).isNull();
        for (String f : List.of("d", "e", "f")) {
            assertThatThrownBy(() -> JsonLines.optionalInt(n, f, 1, 5)).hasMessageContaining("field \"" + f + "\" must be an integer");
        }
    }

    @Test
    void parseObjectIsAsStrictAsTheFileReader() {
        assertThatThrownBy(() -> Json.parseObject("{\"a\":1}{\"b\":2}")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Json.parseObject("{\"a\":1,\"a\":2}")).hasMessageContaining("Duplicate field 'a'");
    }

    @Test
    void readFileSkipsABomAndRefusesDuplicatesAndTrailingContent(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("c.json");
        Files.writeString(f, "\uFEFF{\"a\":1}");
        assertThat(Json.readFile(f).get("a").asInt()).isEqualTo(1);
        Files.writeString(f, "{\"a\":1,\"a\":2}");
        assertThatThrownBy(() -> Json.readFile(f)).isInstanceOf(IOException.class).hasMessageContaining("c.json").hasMessageContaining("Duplicate field 'a'");
        Files.writeString(f, "{\"a\":1} {\"b\":2}");
        assertThatThrownBy(() -> Json.readFile(f)).isInstanceOf(IOException.class).hasMessageContaining("c.json");
        Files.write(f, new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xFF, '"', '}'});
        assertThatThrownBy(() -> Json.readFile(f)).isInstanceOf(IOException.class).hasMessageContaining("c.json").hasMessageContaining("UTF-8");
    }
}
