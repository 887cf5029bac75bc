package dev.keel.core.chat;

import dev.keel.core.testkit.OpenAiTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The retry policy's values, and the transport applying it against a real loopback server. */
class RetryPolicyTest {

    private OpenAiTestServer server;
    private final List<Duration> sleeps = Collections.synchronizedList(new ArrayList<>());

    @BeforeEach
    void startServer() throws IOException {
        server = OpenAiTestServer.judge();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    private OpenAiChatModel model(RetryPolicy policy) {
        return OpenAiChatModel.builder().baseUrl(server.baseUrl()).model("m").retryPolicy(policy)
                .sleeper(sleeps::add).jitter(() -> 1.0).build();
    }

    @Test
    void defaultsAreThreeRetriesOn408And429And5xx() {
        RetryPolicy p = RetryPolicy.defaults();
        assertThat(p.maxRetries()).isEqualTo(3);
        assertThat(p.maxAttempts()).isEqualTo(4);
        assertThat(p.initialBackoff()).isEqualTo(Duration.ofMillis(500));
        assertThat(p.maxBackoff()).isEqualTo(Duration.ofSeconds(30));
        assertThat(p.honourRetryAfter()).isTrue();
        assertThat(p.retries(408)).isTrue();
        assertThat(p.retries(429)).isTrue();
        assertThat(p.retries(500)).isTrue();
        assertThat(p.retries(503)).isTrue();
        assertThat(p.retries(599)).isTrue();
        assertThat(p.retries(400)).isFalse();
        assertThat(p.retries(401)).isFalse();
        assertThat(p.retries(404)).isFalse();
        assertThat(RetryPolicy.none().maxAttempts()).isEqualTo(1);
        assertThat(RetryPolicy.ofMaxRetries(5).maxRetries()).isEqualTo(5);
        assertThat(RetryPolicy.builder().build()).isEqualTo(RetryPolicy.defaults()).hasSameHashCodeAs(RetryPolicy.defaults());
        assertThat(RetryPolicy.defaults().toBuilder().maxRetries(1).build()).isNotEqualTo(RetryPolicy.defaults());
        assertThat(RetryPolicy.defaults().toString()).contains("maxRetries=3", "429");
    }

    @Test
    void backoffDoublesUpToTheCap() {
        RetryPolicy p = RetryPolicy.builder().initialBackoff(Duration.ofMillis(100)).maxBackoff(Duration.ofMillis(350)).build();
        assertThat(p.backoff(0)).isEqualTo(Duration.ofMillis(100));
        assertThat(p.backoff(1)).isEqualTo(Duration.ofMillis(200));
        assertThat(p.backoff(2)).isEqualTo(Duration.ofMillis(350));
        assertThat(p.backoff(60)).isEqualTo(Duration.ofMillis(350));
        assertThatThrownBy(() -> p.backoff(-1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("retry");
    }

    @Test
    void builderNamesBadValues() {
        assertThatThrownBy(() -> RetryPolicy.builder().maxRetries(11))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxRetries").hasMessageContaining("11");
        assertThatThrownBy(() -> RetryPolicy.builder().maxRetries(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RetryPolicy.ofMaxRetries(12)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RetryPolicy.builder().initialBackoff(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("initialBackoff must be at least 1 ms, was PT0S");
        assertThatThrownBy(() -> RetryPolicy.builder().maxBackoff(null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("maxBackoff");
        assertThatThrownBy(() -> RetryPolicy.builder().retryStatuses(200, 99))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("was 99");
        assertThatThrownBy(() -> RetryPolicy.builder().retryStatuses((Set<Integer>) null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("retryStatuses");
        assertThatThrownBy(() -> RetryPolicy.builder().initialBackoff(Duration.ofSeconds(2)).maxBackoff(Duration.ofSeconds(1)).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("maxBackoff").hasMessageContaining("PT1S < PT2S");
        assertThatThrownBy(() -> OpenAiChatModel.builder().retryPolicy(null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("retryPolicy");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 5})
    void aFailingItemGetsOnePlusMaxRetriesHttpAttempts(int maxRetries) {
        ChatResponse r;
        try (OpenAiChatModel model = model(RetryPolicy.builder().maxRetries(maxRetries).build())) {
            assertThat(model.maxRetries()).isEqualTo(maxRetries);
            r = model.generateAll(List.of(ChatRequest.ofUser("case-down"))).get(0);
        }
        assertThat(r.isOk()).isFalse();
        assertThat(r.error().statusCode()).isEqualTo(500);
        assertThat(server.hits("case-down")).isEqualTo(1 + maxRetries);
        assertThat(server.count()).isEqualTo(1 + maxRetries);
        assertThat(sleeps).hasSize(maxRetries);
    }

    @Test
    void eachItemOfABatchGetsItsOwnAttempts() {
        List<ChatResponse> out;
        try (OpenAiChatModel model = model(RetryPolicy.ofMaxRetries(2))) {
            out = model.generateAll(List.of(ChatRequest.ofUser("case-down"), ChatRequest.ofUser("case-flaky"),
                    ChatRequest.ofUser("case-wellformed")));
        }
        assertThat(out).extracting(ChatResponse::isOk).containsExactly(false, true, true);
        assertThat(server.hits("case-down")).isEqualTo(3);
        assertThat(server.hits("case-flaky")).isEqualTo(2);
        assertThat(server.hits("case-wellformed")).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 401})
    void clientErrorsAreNotRetried(int status) {
        server.then(status, "{\"error\":{\"message\":\"no\"}}");
        ChatResponse r;
        try (OpenAiChatModel model = model(RetryPolicy.ofMaxRetries(5))) {
            r = model.generateAll(List.of(ChatRequest.ofUser("q"))).get(0);
        }
        assertThat(r.error().statusCode()).isEqualTo(status);
        assertThat(r.error().getMessage()).doesNotContain("attempts");
        assertThat(server.count()).isEqualTo(1);
        assertThat(sleeps).isEmpty();
    }

    @Test
    void retryAfterIsHonouredAndCappedAtMaxBackoff() {
        server.then(429, "", "Retry-After", "2").then(503, "", "Retry-After", "3600").thenReply("ok");
        try (OpenAiChatModel model = model(RetryPolicy.builder().maxBackoff(Duration.ofSeconds(10)).build())) {
            assertThat(model.generate("q")).isEqualTo("ok");
        }
        assertThat(server.count()).isEqualTo(3);
        assertThat(sleeps).containsExactly(Duration.ofSeconds(2), Duration.ofSeconds(10));
    }

    @Test
    void retryAfterCanBeIgnored() {
        server.then(429, "", "Retry-After", "2").thenReply("ok");
        RetryPolicy p = RetryPolicy.builder().initialBackoff(Duration.ofMillis(40)).honourRetryAfter(false).build();
        try (OpenAiChatModel model = model(p)) {
            assertThat(model.generate("q")).isEqualTo("ok");
        }
        assertThat(sleeps).containsExactly(Duration.ofMillis(40));
    }

    @Test
    void theStatusesToRetryAreThePolicys() {
        server.then(503, "busy").then(404, "not yet").thenReply("ok");
        try (OpenAiChatModel model = model(RetryPolicy.builder().retryStatuses(404).build())) {
            ChatResponse first = model.generateAll(List.of(ChatRequest.ofUser("q"))).get(0);
            assertThat(first.error().statusCode()).as("503 is not in the set").isEqualTo(503);
            assertThat(model.generate("q")).isEqualTo("ok");
        }
        assertThat(server.count()).isEqualTo(3);
        assertThat(sleeps).hasSize(1);
    }

    @Test
    void builderShortcutsOnlyAdjustThePolicy() {
        RetryPolicy base = RetryPolicy.builder().retryStatuses(500).honourRetryAfter(false).build();
        try (OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(server.baseUrl()).model("m")
                .retryPolicy(base).maxRetries(1).retryBaseDelay(Duration.ofMillis(10)).retryMaxDelay(Duration.ofMillis(20)).build()) {
            assertThat(model.retryPolicy()).isEqualTo(base.toBuilder().maxRetries(1)
                    .initialBackoff(Duration.ofMillis(10)).maxBackoff(Duration.ofMillis(20)).build());
        }
    }

    @Test
    void aDelayedReplyPastTheRequestTimeoutIsRetriedThenTimesOut() {
        server.then(OpenAiTestServer.Reply.completion("late").after(Duration.ofSeconds(2)))
                .then(OpenAiTestServer.Reply.completion("on time").after(Duration.ofMillis(20)));
        try (OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(server.baseUrl()).model("m")
                .requestTimeout(Duration.ofMillis(300)).retryPolicy(RetryPolicy.ofMaxRetries(1)).sleeper(sleeps::add).build()) {
            assertThat(model.generate("q")).isEqualTo("on time");
        }
        assertThat(server.count()).isEqualTo(2);
    }
}
