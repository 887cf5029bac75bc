package dev.keel.core.chat;

import dev.keel.core.data.DatasetException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RecordedChatModelTest {

    @TempDir
    Path dir;

    private Path write(String... lines) throws IOException {
        Path file = dir.resolve("replies.jsonl");
        Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        return file;
    }

    /** Answers "reply to <last content>", or fails for prompts starting with "fail". */
    private static final class EchoModel implements ChatModel {
        final List<ChatRequest> seen = new ArrayList<>();
        boolean closed;

        @Override
        public List<ChatResponse> generateAll(List<ChatRequest> requests) {
            List<ChatResponse> out = new ArrayList<>();
            for (ChatRequest r : requests) {
                seen.add(r);
                String last = r.messages().get(r.messages().size() - 1).content();
                out.add(last.startsWith("fail")
                        ? ChatResponse.failed(new ChatModelException(ChatModelException.Kind.OTHER, "no"))
                        : ChatResponse.ok("reply to " + last));
            }
            return out;
        }

        @Override
        public String id() {
            return "echo";
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void loadsMessagesAndPromptShorthandAndReplaysThem() throws IOException {
        Path file = write(
                "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Hi\"}],\"response\":\"Hello\"}",
                "",
                "{\"prompt\":\"Capital of France?\",\"response\":\"Paris\"}");
        try (RecordedChatModel model = RecordedChatModel.load(file)) {
            assertThat(model.size()).isEqualTo(2);
            assertThat(model.id()).isEqualTo("recorded:replies.jsonl");
            assertThat(model.generate(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi")),
                    GenerationOptions.builder().temperature(1).build())).isEqualTo("Hello");
            assertThat(model.generate("Capital of France?")).isEqualTo("Paris");
            // role matters, not only content
            ChatResponse wrongRole = model.generateAll(List.of(ChatRequest.of(List.of(
                    ChatMessage.user("Be brief."), ChatMessage.user("Hi"))))).get(0);
            assertThat(wrongRole.isOk()).isFalse();
        }
    }

    @Test
    void missingRecordingIsAFailedNotFoundResponseShowingThePrompt() {
        String longPrompt = "x".repeat(80) + "TAIL-NOT-SHOWN";
        try (RecordedChatModel model = RecordedChatModel.of(Map.of(List.of(ChatMessage.user("known")), "yes"))) {
            List<ChatResponse> out = model.generateAll(List.of(ChatRequest.ofUser("known"),
                    ChatRequest.of(List.of(ChatMessage.user(longPrompt), ChatMessage.assistant("a reply")))));
            assertThat(out.get(0).text()).isEqualTo("yes");
            assertThat(out.get(1).isOk()).isFalse();
            ChatModelException e = out.get(1).error();
            assertThat(e.kind()).isEqualTo(ChatModelException.Kind.NOT_FOUND);
            assertThat(e.getMessage()).contains("x".repeat(80)).doesNotContain("TAIL");
            assertThatThrownBy(() -> model.generate("unknown"))
                    .isInstanceOf(ChatModelException.class).hasMessageContaining("\"unknown\"");
        }
    }

    @Test
    void conflictingDuplicateNamesBothLines() throws IOException {
        Path file = write(
                "{\"prompt\":\"q\",\"response\":\"A\"}",
                "{\"prompt\":\"q\",\"response\":\"A\"}",
                "{\"prompt\":\"other\",\"response\":\"B\"}",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],\"response\":\"C\"}");
        assertThatThrownBy(() -> RecordedChatModel.load(file))
                .isInstanceOfSatisfying(DatasetException.class, e -> assertThat(e.line()).isEqualTo(4))
                .hasMessageContaining("replies.jsonl:4:").hasMessageContaining("line 1");
    }

    @Test
    void malformedLinesNameTheLine() throws IOException {
        Path notJson = write("{\"prompt\":\"q\",\"response\":\"A\"}", "{\"prompt\": oops");
        assertThatThrownBy(() -> RecordedChatModel.load(notJson))
                .isInstanceOfSatisfying(DatasetException.class, e -> assertThat(e.line()).isEqualTo(2))
                .hasMessageContaining(":2:").hasMessageContaining("malformed JSON");

        Path noResponse = write("{\"prompt\":\"q\"}");
        assertThatThrownBy(() -> RecordedChatModel.load(noResponse))
                .isInstanceOf(DatasetException.class).hasMessageContaining(":1:").hasMessageContaining("\"response\"");

        Path badRole = write("{\"prompt\":\"q\",\"response\":\"A\"}", "{\"prompt\":\"r\",\"response\":\"B\"}",
                "{\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}],\"response\":\"C\"}");
        assertThatThrownBy(() -> RecordedChatModel.load(badRole))
                .isInstanceOf(DatasetException.class).hasMessageContaining(":3:").hasMessageContaining("robot");

        Path both = write("{\"prompt\":\"q\",\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],\"response\":\"A\"}");
        assertThatThrownBy(() -> RecordedChatModel.load(both))
                .isInstanceOf(DatasetException.class).hasMessageContaining("not both");

        Path badOptions = write("{\"prompt\":\"q\",\"options\":{\"top_p\":2},\"response\":\"A\"}");
        assertThatThrownBy(() -> RecordedChatModel.load(badOptions))
                .isInstanceOf(DatasetException.class).hasMessageContaining(":1:").hasMessageContaining("topP");
    }

    @Test
    void recordedOptionsMustMatchAndExactMatchWinsOverAny() throws IOException {
        Path file = write(
                "{\"prompt\":\"q\",\"options\":{\"temperature\":0.0,\"seed\":7},\"response\":\"seeded\"}",
                "{\"prompt\":\"q\",\"response\":\"any\"}");
        GenerationOptions seven = GenerationOptions.builder().seed(7).build();
        try (RecordedChatModel exact = RecordedChatModel.load(file)) {
            assertThat(exact.size()).isEqualTo(2);
            assertThat(exact.generate(List.of(ChatMessage.user("q")), seven)).isEqualTo("seeded");
            assertThat(exact.generate("q")).isEqualTo("any");
        }
        // ignoring options, the two lines are the same request with different replies
        assertThatThrownBy(() -> RecordedChatModel.load(file, RecordedChatModel.Matching.MESSAGES_ONLY))
                .isInstanceOfSatisfying(DatasetException.class, e -> assertThat(e.line()).isEqualTo(2))
                .hasMessageContaining("line 1");
    }

    @Test
    void messagesOnlyMatchingIgnoresOptions() throws IOException {
        Path file = write("{\"prompt\":\"q\",\"options\":{\"temperature\":0.0,\"seed\":7},\"response\":\"seeded\"}");
        try (RecordedChatModel exact = RecordedChatModel.load(file)) {
            assertThat(exact.generateAll(List.of(ChatRequest.ofUser("q"))).get(0).error().kind())
                    .isEqualTo(ChatModelException.Kind.NOT_FOUND);
        }
        try (RecordedChatModel loose = RecordedChatModel.load(file, RecordedChatModel.Matching.MESSAGES_ONLY)) {
            assertThat(loose.generate("q")).isEqualTo("seeded");
            assertThat(loose.matching()).isEqualTo(RecordedChatModel.Matching.MESSAGES_ONLY);
        }
    }

    @Test
    void recordingSavesSuccessfulExchangesThatReplayIdentically() throws IOException {
        EchoModel echo = new EchoModel();
        GenerationOptions hot = GenerationOptions.builder().temperature(0.9).stop(List.of("END")).seed(3).build();
        List<ChatRequest> requests = List.of(
                ChatRequest.ofUser("one"),
                new ChatRequest(List.of(ChatMessage.system("sys"), ChatMessage.user("two \"quoted\"\nline é😀")), hot),
                ChatRequest.ofUser("fail please"),
                ChatRequest.ofUser("one"));
        Path file = dir.resolve("sub/recorded.jsonl");
        try (RecordingChatModel recording = RecordingChatModel.wrap(echo)) {
            List<ChatResponse> live = recording.generateAll(requests);
            assertThat(live.get(2).isOk()).isFalse();
            assertThat(recording.exchanges()).hasSize(3);
            assertThat(recording.id()).isEqualTo("echo");
            recording.save(file);
        }
        assertThat(echo.closed).as("closing the recorder closes the wrapped model").isTrue();
        assertThat(Files.readAllLines(file)).hasSize(2);
        try (RecordedChatModel replay = RecordedChatModel.load(file)) {
            List<ChatResponse> replayed = replay.generateAll(requests);
            assertThat(replayed.get(0).text()).isEqualTo("reply to one");
            assertThat(replayed.get(1).text()).isEqualTo("reply to two \"quoted\"\nline é😀");
            assertThat(replayed.get(2).error().kind()).isEqualTo(ChatModelException.Kind.NOT_FOUND);
            assertThat(replayed.get(3).text()).isEqualTo("reply to one");
            // the options were recorded: other options do not match
            assertThat(replay.generateAll(List.of(ChatRequest.of(requests.get(1).messages()))).get(0).isOk()).isFalse();
        }
    }

    @Test
    void closeIsIdempotentAndUseAfterCloseThrows() {
        RecordedChatModel model = RecordedChatModel.of(Map.of(List.of(ChatMessage.user("q")), "a"));
        model.close();
        model.close();
        assertThatThrownBy(() -> model.generate("q")).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }
}
