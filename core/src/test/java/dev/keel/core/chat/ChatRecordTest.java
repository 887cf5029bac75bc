package dev.keel.core.chat;

import dev.keel.core.data.DatasetException;


import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChatRecordTest {

    @Test
    void roundTripsTheOpenAiFormat(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("train.jsonl");
        List<ChatRecord> records = List.of(
                ChatRecord.of("be brief", "2+2?", "4").withCategory("benign").withSource("generated"),
                ChatRecord.of(null, "hi", "hello"));
        ChatRecord.writeAll(f, records);
        assertThat(Files.readAllLines(f).get(0)).isEqualTo(
                "{\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},{\"role\":\"user\",\"content\":\"2+2?\"},"
                        + "{\"role\":\"assistant\",\"content\":\"4\"}],\"category\":\"benign\",\"source\":\"generated\"}");
        assertThat(ChatRecord.readAll(f)).isEqualTo(records);
        assertThat(records.get(1).messages()).extracting(ChatMessage::role).containsExactly(Role.USER, Role.ASSISTANT);
    }

    @Test
    void badRoleNamesTheLineAndTheValue(@TempDir Path dir) throws IOException {
        Path f = Files.writeString(dir.resolve("r.jsonl"),
                "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}\n{\"messages\":[{\"role\":\"robot\",\"content\":\"a\"}]}\n");
        assertThatThrownBy(() -> ChatRecord.readAll(f)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("r.jsonl:2").hasMessageContaining("messages[0]").hasMessageContaining("robot");
    }

    @Test
    void missingOrEmptyMessagesAreErrors(@TempDir Path dir) throws IOException {
        Path f = Files.writeString(dir.resolve("m.jsonl"), "{\"messages\":[]}\n");
        assertThatThrownBy(() -> ChatRecord.readAll(f)).hasMessageContaining("m.jsonl:1").hasMessageContaining("must not be empty");
        Path g = Files.writeString(dir.resolve("n.jsonl"), "{\"msgs\":[]}\n");
        assertThatThrownBy(() -> ChatRecord.readAll(g)).hasMessageContaining("n.jsonl:1").hasMessageContaining("missing field \"messages\"");
        Path h = Files.writeString(dir.resolve("c.jsonl"), "{\"messages\":[{\"role\":\"user\"}]}\n");
        assertThatThrownBy(() -> ChatRecord.readAll(h)).hasMessageContaining("c.jsonl:1").hasMessageContaining("\"content\"");
    }

    @Test
    void oneLineRoundTripsWithoutJackson() {
        ChatRecord r = ChatRecord.of("sys", "q \"quoted\"\n", "a").withCategory("malware");
        String line = r.toJsonLine();
        assertThat(line).doesNotContain("\n").startsWith("{\"messages\":[");
        assertThat(ChatRecord.parseLine(line)).isEqualTo(r);
    }

    @Test
    void parseLineNamesWhatIsWrong() {
        assertThatThrownBy(() -> ChatRecord.parseLine("{not json")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> ChatRecord.parseLine("[1, 2]")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected a JSON object, was array");
        assertThatThrownBy(() -> ChatRecord.parseLine("")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty text");
        assertThatThrownBy(() -> ChatRecord.parseLine("{\"messages\":[{\"role\":\"robot\",\"content\":\"a\"}]}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("messages[0]").hasMessageContaining("robot");
        assertThatThrownBy(() -> ChatRecord.parseLine(null)).isInstanceOf(NullPointerException.class);
    }
}
