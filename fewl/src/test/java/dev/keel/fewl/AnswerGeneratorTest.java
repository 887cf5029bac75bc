package dev.keel.fewl;

import dev.keel.core.testkit.TestEmbedders;

import dev.keel.core.chat.ChatModel;
import dev.keel.core.chat.ChatModelException;
import dev.keel.core.chat.ChatRequest;
import dev.keel.core.chat.ChatResponse;
import dev.keel.core.chat.GenerationOptions;
import dev.keel.fewl.internal.ListReplyParser;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AnswerGeneratorTest {

    /** Answers each request with {@code reply.apply(lastUserMessage)}; counts batches. */
    static final class FakeChat implements ChatModel {
        final Function<String, ChatResponse> reply;
        final List<Integer> batches = new ArrayList<>();

        FakeChat(Function<String, ChatResponse> reply) {
            this.reply = reply;
        }

        @Override
        public List<ChatResponse> generateAll(List<ChatRequest> requests) {
            batches.add(requests.size());
            List<ChatResponse> out = new ArrayList<>();
            for (ChatRequest r : requests) {
                out.add(reply.apply(r.messages().get(r.messages().size() - 1).content()));
            }
            return out;
        }

        @Override
        public String id() {
            return "fake";
        }
    }

    @Test
    void parsesNumberedBulletedAndPlainLists() {
        assertThat(ListReplyParser.parse("Here are three wrong answers:\n1. Paris\n2) **Lyon**\n(3) \"Nice\"\n", 5))
                .containsExactly("Paris", "Lyon", "Nice");
        assertThat(ListReplyParser.parse("- one\n* two\n• three\n- one", 5)).containsExactly("one", "two", "three");
        assertThat(ListReplyParser.parse("1. a long answer that\n   wraps onto a second line\n2. short", 5))
                .containsExactly("a long answer that wraps onto a second line", "short");
        assertThat(ListReplyParser.parse("Answer 1: x\nAnswer 2: y", 5)).containsExactly("x", "y");
        assertThat(ListReplyParser.parse("Sure:\nfirst answer\nsecond answer\n\n", 5)).containsExactly("first answer", "second answer");
        assertThat(ListReplyParser.parse("1. a\n2. b\n3. c", 2)).containsExactly("a", "b");
        assertThat(ListReplyParser.parse("3.5 billion years\n4.5 billion years", 5)).containsExactly("3.5 billion years", "4.5 billion years");
        assertThat(ListReplyParser.parse("1.\n2. real", 5)).containsExactly("real");
        assertThat(ListReplyParser.parse("", 3)).isEmpty();
        assertThat(ListReplyParser.parse(null, 3)).isEmpty();
    }

    @Test
    void generatesInTwoBatchedRoundsAndReportsShortfalls() {
        FakeChat chat = new FakeChat(prompt -> {
            if (prompt.contains("factually wrong")) {
                return prompt.contains("fails") ? ChatResponse.failed(new ChatModelException(ChatModelException.Kind.TIMEOUT, "slow"))
                        : ChatResponse.ok("Sure! Here you go:\n1. wrong one\n2. wrong two");
            }
            return ChatResponse.ok("1. right one");
        });
        AnswerGenerator g = new AnswerGenerator(chat, 3, GenerationOptions.defaults());
        List<AnswerGenerator.Generated> out = g.generateAll(List.of("Q1?", "Q2 fails?"));
        assertThat(chat.batches).containsExactly(2, 1);
        assertThat(out.get(0).wrong()).containsExactly("wrong one", "wrong two");
        assertThat(out.get(0).corrected()).containsExactly("right one");
        assertThat(out.get(0).notes()).containsExactly("generated 2 of 3 intentionally wrong answers", "generated 1 of 2 corrected answers");
        assertThat(out.get(1).wrong()).isEmpty();
        assertThat(out.get(1).notes()).singleElement().asString().contains("failed", "TIMEOUT");
        assertThat(AnswerGenerator.wrongPrompt("Q?", 25)).contains("25", "Q?", "numbered list");
        assertThat(AnswerGenerator.correctPrompt("Q?", List.of("a", "b"))).contains("1. a", "2. b", "2 corrected");
        assertThatThrownBy(() -> new AnswerGenerator(chat, 0, GenerationOptions.defaults())).hasMessageContaining("R");
    }

    @Test
    void scorerGeneratesMissingIwCoAnswersAndKeepsTheNotes() {
        FakeChat chat = new FakeChat(prompt -> prompt.contains("factually wrong")
                ? ChatResponse.ok("1. the moon is made of cheese\n2. the moon is a lamp")
                : ChatResponse.ok("1. the moon is made of rock\n2. the moon reflects sunlight"));
        FewlItem it = FewlItem.of("m1", "what is the moon", "the moon is rock",
                List.of(Reference.of("good", "the moon is made of rock"), Reference.of("bad", "the moon is made of cheese")));
        FewlItem given = new FewlItem("m2", "what is the sun", "a star", Reference.list("a star", "a lamp"), List.of("a lamp"), List.of("a star"), null);
        try (FewlScorer s = Fewl.builder().embedder(new TestEmbedders.Hashing()).generator(chat).answersPerKind(3).penalty(false).build()) {
            List<FewlScore> r = s.scoreAll(List.of(it, given));
            assertThat(chat.batches).containsExactly(1, 1);
            assertThat(r.get(0).notes()).contains("generated 2 of 3 intentionally wrong answers");
            assertThat(r.get(0).weights().get(0)).isGreaterThan(r.get(0).weights().get(1));
            assertThat(r.get(0).expertise().get(0)).isGreaterThan(r.get(0).expertise().get(1));
            assertThat(r.get(1).notes()).isEmpty();
            assertThat(s.provenance().config()).containsEntry("generator", "fake");
        }
    }
}
