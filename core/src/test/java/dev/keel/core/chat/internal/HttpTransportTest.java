package dev.keel.core.chat.internal;

import dev.keel.core.chat.ChatModelException;
import dev.keel.core.chat.ChatRequest;
import dev.keel.core.chat.ChatResponse;
import dev.keel.core.chat.RetryPolicy;
import dev.keel.core.testkit.OpenAiTestServer;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The transport and the wire mapping on their own. */
class HttpTransportTest {

    private static HttpTransport transport(URI endpoint, String key, RetryPolicy policy) {
        return new HttpTransport(endpoint, key, Duration.ofSeconds(2), Duration.ofSeconds(5), policy, 2,
                d -> { }, Clock.systemUTC(), () -> 0.0);
    }

    @Test
    void postReturnsTheBodyOfTheFirst2xxAndCountsAttempts() throws Exception {
        try (OpenAiTestServer server = OpenAiTestServer.start().then(500, "a").then(502, "b").then(200, "{\"x\":1}");
             HttpTransport t = transport(URI.create(server.baseUrl() + "/chat/completions"), null, RetryPolicy.ofMaxRetries(2))) {
            assertThat(t.post("{}")).isEqualTo("{\"x\":1}");
            assertThat(server.count()).isEqualTo(3);
            assertThat(t.hasApiKey()).isFalse();
            assertThat(server.received().get(0).authorization()).isNull();
        }
    }

    @Test
    void aFailureAfterRetriesSaysHowManyAttemptsAndMasksTheKey() throws Exception {
        String key = "sk-secret-123";
        try (OpenAiTestServer server = OpenAiTestServer.start().otherwise(r -> OpenAiTestServer.Reply.of(503, "key " + key));
             HttpTransport t = transport(URI.create(server.baseUrl() + "/chat/completions"), key, RetryPolicy.ofMaxRetries(1))) {
            assertThatThrownBy(() -> t.post("{}")).isInstanceOf(ChatModelException.class)
                    .hasMessageContaining("HTTP 503").hasMessageContaining("(after 2 attempts)")
                    .hasMessageContaining("key ***").hasMessageNotContaining(key);
            assertThat(server.received()).allSatisfy(r -> assertThat(r.authorization()).isEqualTo("Bearer " + key));
        }
    }

    @Test
    void runAllKeepsOrderAndTurnsAThrowingTaskIntoAFailure() {
        try (HttpTransport t = transport(URI.create("http://127.0.0.1:9/v1/chat/completions"), null, RetryPolicy.none())) {
            List<ChatResponse> out = t.runAll(List.of("a", "boom", "c"), s -> {
                if (s.equals("boom")) {
                    throw new IllegalStateException("task failed");
                }
                return ChatResponse.ok(s);
            }, "test");
            assertThat(out.get(0).text()).isEqualTo("a");
            assertThat(out.get(1).error().kind()).isEqualTo(ChatModelException.Kind.OTHER);
            assertThat(out.get(1).error().getMessage()).contains("task failed");
            assertThat(out.get(2).text()).isEqualTo("c");
            t.close();
            t.close();
            assertThatThrownBy(() -> t.runAll(List.of("x"), ChatResponse::ok, "TestClient"))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("TestClient").hasMessageContaining("closed");
        }
    }

    @Test
    void snippetIsOneShortLine() {
        try (HttpTransport t = transport(URI.create("http://127.0.0.1:9/x"), "k3y", RetryPolicy.none())) {
            assertThat(t.snippet("a\n\n b k3y")).isEqualTo("a b ***");
            assertThat(t.snippet(null)).isEqualTo("(empty body)");
            assertThat(t.snippet("x".repeat(300))).hasSize(HttpTransport.SNIPPET_LENGTH + 3).endsWith("...");
        }
    }

    @Test
    void constructorRejectsMissingParts() {
        URI u = URI.create("http://127.0.0.1:9/x");
        assertThatThrownBy(() -> new HttpTransport(null, null, Duration.ofSeconds(1), Duration.ofSeconds(1), RetryPolicy.none(),
                1, d -> { }, Clock.systemUTC(), () -> 0)).isInstanceOf(NullPointerException.class).hasMessageContaining("endpoint");
        assertThatThrownBy(() -> new HttpTransport(u, null, Duration.ofSeconds(1), Duration.ofSeconds(1), null,
                1, d -> { }, Clock.systemUTC(), () -> 0)).isInstanceOf(NullPointerException.class).hasMessageContaining("policy");
        assertThatThrownBy(() -> new HttpTransport(u, null, Duration.ofSeconds(1), Duration.ofSeconds(1), RetryPolicy.none(),
                0, d -> { }, Clock.systemUTC(), () -> 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxConcurrency");
    }

    @Test
    void retryAfterParsing() {
        Instant now = Instant.parse("2026-01-05T10:00:00Z");
        assertThat(HttpTransport.parseRetryAfter("7", now)).contains(Duration.ofSeconds(7));
        assertThat(HttpTransport.parseRetryAfter("Mon, 05 Jan 2026 10:00:30 GMT", now)).contains(Duration.ofSeconds(30));
        assertThat(HttpTransport.parseRetryAfter(null, now)).isEmpty();
        assertThat(HttpTransport.parseRetryAfter("soon", now)).isEmpty();
    }

    @Test
    void wireBuildsTheRequestAndNamesWhatIsMissingInAReply() {
        OpenAiWire wire = new OpenAiWire("m", URI.create("http://h/v1/chat/completions"), s -> s);
        assertThat(wire.requestBody(ChatRequest.ofUser("hi"))).contains("\"model\":\"m\"", "\"role\":\"user\"", "\"content\":\"hi\"");
        assertThat(wire.parseReply(OpenAiTestServer.completion("yes"))).isEqualTo("yes");
        assertThatThrownBy(() -> wire.parseReply("[1]")).isInstanceOf(ChatModelException.class)
                .hasMessageContaining("not a JSON object").hasMessageContaining("http://h/v1/chat/completions");
        assertThatThrownBy(() -> wire.parseReply("{\"choices\":[{\"message\":{\"content\":3}}]}"))
                .hasMessageContaining("choices[0].message.content\" is number");
        assertThatThrownBy(() -> wire.parseReply("{\"error\":\"overloaded\"}")).hasMessageContaining("overloaded");
        assertThatThrownBy(() -> new OpenAiWire(null, URI.create("http://h"), s -> s))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("model");
    }
}
