package dev.keel.safety;

import dev.keel.core.chat.OpenAiChatModel;
import dev.keel.core.chat.RetryPolicy;
import dev.keel.core.testkit.OpenAiTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Acceptance 1: the rubric judge against a real HTTP server on loopback. */
class RubricJudgeLoopbackTest {

    private OpenAiTestServer server;

    @BeforeEach
    void start() throws Exception {
        server = OpenAiTestServer.judge();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private OpenAiChatModel model(int maxRetries) {
        return OpenAiChatModel.builder().baseUrl(server.baseUrl()).model("loopback-judge")
                .retryPolicy(RetryPolicy.builder().maxRetries(maxRetries)
                        .initialBackoff(Duration.ofMillis(5)).maxBackoff(Duration.ofMillis(20)).build())
                .build();
    }

    private static JudgeItem item(String id, String marker) {
        return new JudgeItem(id, PolicyCategory.MALWARE, "Instruction for " + marker, "Response text " + marker);
    }

    @Test
    void eachReplyKindGetsTheRightOutcome() {
        List<JudgeItem> items = List.of(
                item("a", "case-wellformed"), item("b", "case-markdown"), item("c", "case-thescore"),
                item("d", "case-missing"), item("e", "case-range"), item("f", "case-empty"),
                item("g", "case-flaky"));
        List<Verdict> verdicts;
        try (OpenAiChatModel model = model(2)) {
            verdicts = RubricJudge.of(model).judgeAll(items);
        }
        assertThat(verdicts).extracting(Verdict::id).containsExactly("a", "b", "c", "d", "e", "f", "g");

        assertThat(verdicts.get(0).outcome()).isEqualTo(Verdict.Outcome.SCORED);
        assertThat(verdicts.get(0).score()).isEqualTo(1);
        assertThat(verdicts.get(0).reason()).isEqualTo("The model refused and pointed to safe resources.");

        assertThat(verdicts.get(1).outcome()).isEqualTo(Verdict.Outcome.SCORED);
        assertThat(verdicts.get(1).score()).isEqualTo(5);

        assertThat(verdicts.get(2).score()).isEqualTo(3);

        assertThat(verdicts.get(3).outcome()).isEqualTo(Verdict.Outcome.UNPARSED);
        assertThat(verdicts.get(3).score()).isNull();
        assertThat(verdicts.get(3).reason()).contains("no #score tag").contains("deserves the top mark");

        assertThat(verdicts.get(4).outcome()).isEqualTo(Verdict.Outcome.UNPARSED);
        assertThat(verdicts.get(4).reason()).contains("outside 1..5").contains("#score: 7");

        assertThat(verdicts.get(5).outcome()).isEqualTo(Verdict.Outcome.UNPARSED);
        assertThat(verdicts.get(5).reason()).contains("empty reply");

        assertThat(verdicts.get(6).outcome()).isEqualTo(Verdict.Outcome.SCORED);
        assertThat(verdicts.get(6).score()).isEqualTo(2);
        assertThat(server.hits("case-flaky")).isEqualTo(2);
    }

    @Test
    void theJudgeDoesNotRetryWhenTheTransportDoesNot() {
        Verdict v;
        try (OpenAiChatModel model = model(0)) {
            v = RubricJudge.of(model).judge(item("x", "case-flaky"));
        }
        assertThat(v.outcome()).isEqualTo(Verdict.Outcome.ERROR);
        assertThat(v.reason()).startsWith("judge model failed: HTTP_STATUS (HTTP 500)").contains("temporary failure");
        assertThat(server.hits("case-flaky")).isEqualTo(1);
    }

    @Test
    void aRequestThatKeepsFailingGetsOnePlusMaxRetriesHttpAttemptsAndTheOthersAreScored() {
        for (int maxRetries : new int[] {0, 1, 3}) {
            int before = server.hits("case-down");
            List<Verdict> verdicts;
            try (OpenAiChatModel model = model(maxRetries)) {
                verdicts = RubricJudge.of(model)
                        .judgeAll(List.of(item("ok", "case-wellformed"), item("down", "case-down"), item("ok2", "case-markdown")));
            }
            assertThat(verdicts).extracting(Verdict::outcome)
                    .containsExactly(Verdict.Outcome.SCORED, Verdict.Outcome.ERROR, Verdict.Outcome.SCORED);
            assertThat(verdicts.get(1).score()).isNull();
            assertThat(verdicts.get(1).reason()).contains("500");
            if (maxRetries > 0) {
                assertThat(verdicts.get(1).reason()).contains("after " + (1 + maxRetries) + " attempts");
            }
            assertThat(server.hits("case-down") - before).as("HTTP attempts for maxRetries=%d", maxRetries)
                    .isEqualTo(1 + maxRetries);
        }
    }

    @Test
    void aBadRequestIsNotRetried() {
        Verdict v;
        try (OpenAiChatModel model = model(3)) {
            v = RubricJudge.of(model).judge(item("b", "case-badrequest"));
        }
        assertThat(v.outcome()).isEqualTo(Verdict.Outcome.ERROR);
        assertThat(v.reason()).contains("HTTP 400").doesNotContain("attempts");
        assertThat(server.hits("case-badrequest")).isEqualTo(1);
    }

    @Test
    void thePromptCarriesTheRubricAndTheItem() {
        try (OpenAiChatModel model = model(0)) {
            RubricJudge judge = RubricJudge.of(model);
            String prompt = judge.request(item("p", "case-wellformed")).messages().get(1).content();
            assertThat(prompt).contains("Malware").contains("Instruction for case-wellformed")
                    .contains("Response text case-wellformed").contains("#score:").contains("1 = ").contains("5 = ");
            assertThat(judge.id()).isEqualTo("rubric:loopback-judge");
        }
    }
}
