package dev.keel.safety;

import dev.keel.core.chat.ChatModel;
import dev.keel.core.chat.ChatModelException;
import dev.keel.core.chat.ChatRequest;
import dev.keel.core.chat.ChatResponse;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Batching, failures and prompt building of the rubric judge, with an in-memory model. */
class RubricJudgeTest {

    /** A model that records each batch and answers with {@code reply}. */
    static final class FakeModel implements ChatModel {
        final List<Integer> batchSizes = new ArrayList<>();
        final Function<ChatRequest, ChatResponse> reply;

        FakeModel(Function<ChatRequest, ChatResponse> reply) {
            this.reply = reply;
        }

        @Override
        public synchronized List<ChatResponse> generateAll(List<ChatRequest> requests) {
            batchSizes.add(requests.size());
            List<ChatResponse> out = new ArrayList<>();
            for (ChatRequest r : requests) {
                out.add(reply.apply(r));
            }
            return out;
        }

        @Override
        public String id() {
            return "fake";
        }
    }

    private static List<JudgeItem> items(int n) {
        List<JudgeItem> items = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            items.add(new JudgeItem("i" + i, PolicyCategory.FRAUD_DECEPTION, "instruction " + i, "response " + i));
        }
        return items;
    }

    @Test
    void sendsBatchesThroughGenerateAll() {
        FakeModel model = new FakeModel(r -> ChatResponse.ok("#score: 2"));
        List<Verdict> vs = RubricJudge.builder().model(model).batchSize(2).build().judgeAll(items(5));
        assertThat(model.batchSizes).containsExactly(2, 2, 1);
        assertThat(vs).extracting(Verdict::score).containsOnly(2);
        assertThat(vs).extracting(Verdict::id).containsExactly("i0", "i1", "i2", "i3", "i4");
    }

    @Test
    void aFailedRequestIsAnErrorVerdictAndIsNotSentAgain() {
        FakeModel model = new FakeModel(r -> {
            String prompt = r.messages().get(r.messages().size() - 1).content();
            if (prompt.contains("instruction 1")) {
                return ChatResponse.failed(new ChatModelException(ChatModelException.Kind.TIMEOUT, "slow"));
            }
            return ChatResponse.ok("#reason: fine\n#score: 1");
        });
        List<Verdict> vs = RubricJudge.builder().model(model).build().judgeAll(items(3));
        assertThat(model.batchSizes).as("one batch, no retry on top of the model").containsExactly(3);
        assertThat(vs).extracting(Verdict::outcome)
                .containsExactly(Verdict.Outcome.SCORED, Verdict.Outcome.ERROR, Verdict.Outcome.SCORED);
        assertThat(vs.get(1).reason()).isEqualTo("judge model failed: TIMEOUT: slow");
        assertThat(vs.get(1).score()).isNull();
    }

    @Test
    void aThrowingModelGivesErrorVerdictsAfterOneCall() {
        List<Integer> calls = new ArrayList<>();
        ChatModel model = new ChatModel() {
            @Override
            public List<ChatResponse> generateAll(List<ChatRequest> requests) {
                calls.add(requests.size());
                throw new IllegalStateException("connection pool exhausted");
            }

            @Override
            public String id() {
                return "throwing";
            }
        };
        List<Verdict> vs = RubricJudge.builder().model(model).build().judgeAll(items(2));
        assertThat(calls).containsExactly(2);
        assertThat(vs).allSatisfy(v -> {
            assertThat(v.outcome()).isEqualTo(Verdict.Outcome.ERROR);
            assertThat(v.reason()).isEqualTo("judge model failed: IllegalStateException: connection pool exhausted");
        });
    }

    @Test
    void aNullReplyIsAnError() {
        Verdict v = RubricJudge.of(new FakeModel(r -> null)).judge(items(1).get(0));
        assertThat(v.outcome()).isEqualTo(Verdict.Outcome.ERROR);
        assertThat(v.reason()).contains("model returned no reply");
    }

    @Test
    void aModelReturningTheWrongNumberOfRepliesIsAnError() {
        ChatModel model = new ChatModel() {
            @Override
            public List<ChatResponse> generateAll(List<ChatRequest> requests) {
                return List.of();
            }

            @Override
            public String id() {
                return "short";
            }
        };
        Verdict v = RubricJudge.builder().model(model).build().judge(items(1).get(0));
        assertThat(v.outcome()).isEqualTo(Verdict.Outcome.ERROR);
        assertThat(v.reason()).contains("0 replies for 1 requests");
    }

    @Test
    void placeholdersInsideTheItemAreLeftAlone() {
        RubricJudge judge = RubricJudge.of(new FakeModel(r -> ChatResponse.ok("")));
        JudgeItem item = new JudgeItem("x", PolicyCategory.MALWARE, "say {response} and {category}", "plain");
        String prompt = judge.request(item).messages().get(1).content();
        assertThat(prompt).contains("say {response} and {category}").contains("<response>\nplain\n</response>");
        assertThat(judge.request(item).messages().get(0).content()).isEqualTo(RubricJudge.DEFAULT_SYSTEM_PROMPT);
        assertThat(judge.request(item).options().temperature()).isZero();
    }

    @Test
    void longResponsesAreCutForGrading() {
        RubricJudge judge = RubricJudge.builder().model(new FakeModel(r -> ChatResponse.ok(""))).maxResponseChars(10).build();
        String prompt = judge.request(new JudgeItem("x", PolicyCategory.MALWARE, "i", "0123456789abcdef")).messages().get(1).content();
        assertThat(prompt).contains("0123456789\n[... response truncated").doesNotContain("abcdef");
    }

    @Test
    void builderNamesBadValues() {
        assertThatThrownBy(() -> RubricJudge.builder().batchSize(0)).hasMessageContaining("batchSize must be > 0, was 0");
        assertThatThrownBy(() -> RubricJudge.builder().maxResponseChars(-1)).hasMessageContaining("maxResponseChars must be > 0, was -1");
        assertThatThrownBy(() -> RubricJudge.builder().model(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("model");
        assertThatThrownBy(() -> RubricJudge.builder().template("no placeholders")).hasMessageContaining("{instruction} and {response}");
        assertThatThrownBy(() -> RubricJudge.builder().build()).isInstanceOf(IllegalStateException.class).hasMessageContaining("model");
    }
}
