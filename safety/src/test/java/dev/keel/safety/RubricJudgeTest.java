package dev.keel.safety;

import dev.keel.core.chat.ChatModel;
import dev.keel.core.chat.ChatModelException;
import dev.keel.core.chat.ChatRequest;
import dev.keel.core.chat.ChatResponse;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Batching, retries and prompt building of the rubric judge, with an in-memory model. */
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
    void retriesOnlyTheFailedRequests() {
        Set<String> failedOnce = new HashSet<>();
        FakeModel model = new FakeModel(r -> {
            String prompt = r.messages().get(r.messages().size() - 1).content();
            if (prompt.contains("instruction 1") && failedOnce.add("1")) {
                return ChatResponse.failed(new ChatModelException(ChatModelException.Kind.TIMEOUT, "slow"));
            }
            return ChatResponse.ok("#reason: fine\n#score: 1");
        });
        List<Verdict> vs = RubricJudge.builder().model(model).retryDelay(Duration.ZERO).build().judgeAll(items(3));
        assertThat(model.batchSizes).containsExactly(3, 1);
        assertThat(vs).allSatisfy(v -> assertThat(v.score()).isEqualTo(1));
    }

    @Test
    void aThrowingModelGivesErrorVerdictsAfterBoundedAttempts() {
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
        List<Verdict> vs = RubricJudge.builder().model(model).maxRetries(3).retryDelay(Duration.ZERO).build().judgeAll(items(2));
        assertThat(calls).hasSize(4);
        assertThat(vs).allSatisfy(v -> {
            assertThat(v.outcome()).isEqualTo(Verdict.Outcome.ERROR);
            assertThat(v.reason()).contains("4 attempt(s)").contains("connection pool exhausted");
        });
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
        Verdict v = RubricJudge.builder().model(model).maxRetries(0).build().judge(items(1).get(0));
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
        assertThatThrownBy(() -> RubricJudge.builder().maxRetries(11)).hasMessageContaining("maxRetries must be in [0, 10], was 11");
        assertThatThrownBy(() -> RubricJudge.builder().batchSize(0)).hasMessageContaining("batchSize must be > 0, was 0");
        assertThatThrownBy(() -> RubricJudge.builder().retryDelay(Duration.ofMillis(-1))).hasMessageContaining("retryDelay must be >= 0");
        assertThatThrownBy(() -> RubricJudge.builder().template("no placeholders")).hasMessageContaining("{instruction} and {response}");
        assertThatThrownBy(() -> RubricJudge.builder().build()).isInstanceOf(IllegalStateException.class).hasMessageContaining("model");
    }
}
