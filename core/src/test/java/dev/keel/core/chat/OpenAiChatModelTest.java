package dev.keel.core.chat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.core.internal.Json;
import dev.keel.core.testkit.OpenAiTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OpenAiChatModelTest {

    private static final String KEY = "sk-test-0123456789-secret";

    private OpenAiTestServer server;
    private final List<Duration> sleeps = Collections.synchronizedList(new ArrayList<>());

    @BeforeEach
    void startServer() throws IOException {
        server = OpenAiTestServer.start();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    /** A client of the scripted server that records its waits instead of sleeping. */
    private OpenAiChatModel.Builder client() {
        return OpenAiChatModel.builder()
                .baseUrl(server.baseUrl())
                .model("test-model")
                .apiKey(KEY)
                .connectTimeout(Duration.ofSeconds(2))
                .requestTimeout(Duration.ofSeconds(5))
                .retryBaseDelay(Duration.ofMillis(100))
                .sleeper(sleeps::add)
                .jitter(() -> 0.5);
    }

    private static ChatModelException failure(OpenAiChatModel model, ChatRequest request) {
        ChatResponse r = model.generateAll(List.of(request)).get(0);
        assertThat(r.isOk()).as("expected a failure, got %s", r.text()).isFalse();
        return r.error();
    }

    @Test
    void successReturnsContentOfFirstChoiceAndPostsToChatCompletions() {
        server.thenReply("Paris");
        try (OpenAiChatModel model = client().build()) {
            assertThat(model.generate("Capital of France?")).isEqualTo("Paris");
        }
        assertThat(server.received()).singleElement().satisfies(r -> {
            assertThat(r.method()).isEqualTo("POST");
            assertThat(r.path()).isEqualTo("/v1/chat/completions");
            assertThat(r.contentType()).isEqualTo("application/json");
        });
        assertThat(sleeps).isEmpty();
    }

    @Test
    void requestBodyCarriesModelMessagesAndOptions() throws Exception {
        server.thenReply("a").thenReply("b");
        GenerationOptions options = GenerationOptions.builder().temperature(0.7).topP(0.9).maxTokens(42)
                .stop(List.of("\n\n", "END")).seed(1234567890123L).build();
        List<ChatMessage> messages = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi \"there\"\n"),
                ChatMessage.assistant("Hello."), ChatMessage.user("Again"));
        try (OpenAiChatModel model = client().build()) {
            model.generate(messages, options);
            model.generate("plain");
        }
        JsonNode body = Json.mapper().readTree(server.received().get(0).body());
        assertThat(body.get("model").asText()).isEqualTo("test-model");
        assertThat(body.get("messages")).hasSize(4);
        assertThat(body.get("messages").get(0).get("role").asText()).isEqualTo("system");
        assertThat(body.get("messages").get(1).get("role").asText()).isEqualTo("user");
        assertThat(body.get("messages").get(1).get("content").asText()).isEqualTo("Hi \"there\"\n");
        assertThat(body.get("messages").get(2).get("role").asText()).isEqualTo("assistant");
        assertThat(body.get("messages").get(3).get("content").asText()).isEqualTo("Again");
        assertThat(body.get("temperature").asDouble()).isEqualTo(0.7);
        assertThat(body.get("top_p").asDouble()).isEqualTo(0.9);
        assertThat(body.get("max_tokens").asInt()).isEqualTo(42);
        assertThat(body.get("stop")).hasSize(2);
        assertThat(body.get("stop").get(0).asText()).isEqualTo("\n\n");
        assertThat(body.get("stop").get(1).asText()).isEqualTo("END");
        assertThat(body.get("seed").isIntegralNumber()).isTrue();
        assertThat(body.get("seed").asLong()).isEqualTo(1234567890123L);

        JsonNode plain = Json.mapper().readTree(server.received().get(1).body());
        assertThat(plain.get("temperature").asDouble()).isEqualTo(0.0);
        assertThat(plain.get("max_tokens").asInt()).isEqualTo(256);
        assertThat(plain.has("stop")).as("empty stop is left out").isFalse();
        assertThat(plain.has("seed")).as("unset seed is left out").isFalse();
    }

    @Test
    void tooManyRequestsWithRetryAfterSecondsWaitsThatLongThenSucceeds() {
        server.then(429, "{\"error\":{\"message\":\"slow down\"}}", "Retry-After", "1").thenReply("ok");
        try (OpenAiChatModel model = client().build()) {
            assertThat(model.generate("q")).isEqualTo("ok");
        }
        assertThat(server.count()).isEqualTo(2);
        assertThat(sleeps).containsExactly(Duration.ofSeconds(1));
    }

    @Test
    void serviceUnavailableWithRetryAfterDateWaitsUntilThatDate() {
        Instant now = Instant.parse("2026-01-05T10:00:00Z");
        String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.ofInstant(now.plusSeconds(3), ZoneOffset.UTC));
        server.then(503, "busy", "Retry-After", date).thenReply("ok");
        try (OpenAiChatModel model = client().clock(Clock.fixed(now, ZoneOffset.UTC)).build()) {
            assertThat(model.generate("q")).isEqualTo("ok");
        }
        assertThat(server.count()).isEqualTo(2);
        assertThat(sleeps).containsExactly(Duration.ofSeconds(3));
    }

    @Test
    void retryAfterIsCappedAtRetryMaxDelay() {
        server.then(429, "", "Retry-After", "3600").thenReply("ok");
        try (OpenAiChatModel model = client().retryMaxDelay(Duration.ofSeconds(20)).build()) {
            assertThat(model.generate("q")).isEqualTo("ok");
        }
        assertThat(sleeps).containsExactly(Duration.ofSeconds(20));
    }

    @Test
    void twoServerErrorsThenSuccessTakesThreeRequestsWithGrowingBackoff() {
        server.then(500, "oops").then(502, "bad gateway").thenReply("third time");
        try (OpenAiChatModel model = client().build()) {
            assertThat(model.generate("q")).isEqualTo("third time");
        }
        assertThat(server.count()).isEqualTo(3);
        // base 100 ms, doubled per retry, equal jitter at 0.5: d/2 + d/4
        assertThat(sleeps).containsExactly(Duration.ofMillis(75), Duration.ofMillis(150));
    }

    @Test
    void requestTimeoutIsRetriedThenReportedAsTimeout() throws Exception {
        server.thenHang().thenHang();
        long start = System.nanoTime();
        ChatModelException e;
        try (OpenAiChatModel model = client().requestTimeout(Duration.ofMillis(200)).maxRetries(1).build()) {
            e = failure(model, ChatRequest.ofUser("slow"));
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(e.kind()).isEqualTo(ChatModelException.Kind.TIMEOUT);
        assertThat(e.getMessage()).contains("2 attempts");
        assertThat(server.awaitCount(2, 2000)).isEqualTo(2);
        assertThat(sleeps).hasSize(1);
        assertThat(millis).as("two attempts of 200 ms each").isBetween(300L, 4000L);
    }

    @Test
    void retriedStatusThatNeverRecoversFailsAfterMaxRetriesPlusOneAttempts() {
        server.otherwise(r -> OpenAiTestServer.Reply.of(503, "down for maintenance"));
        ChatModelException e;
        try (OpenAiChatModel model = client().maxRetries(2).build()) {
            e = failure(model, ChatRequest.ofUser("q"));
        }
        assertThat(server.count()).isEqualTo(3);
        assertThat(e.kind()).isEqualTo(ChatModelException.Kind.HTTP_STATUS);
        assertThat(e.statusCode()).isEqualTo(503);
        assertThat(e.getMessage()).contains("503", "down for maintenance", "3 attempts");
    }

    @Test
    void malformedJsonIsReportedClearlyAndNotRetried() {
        server.then(200, "{\"choices\": [ this is not json");
        ChatModelException e;
        try (OpenAiChatModel model = client().build()) {
            e = failure(model, ChatRequest.ofUser("q"));
        }
        assertThat(e.kind()).isEqualTo(ChatModelException.Kind.MALFORMED_RESPONSE);
        assertThat(e.getMessage()).contains("not valid JSON", "this is not json");
        assertThat(server.count()).isEqualTo(1);
    }

    @Test
    void missingFieldsAreMalformedResponsesNamingTheField() {
        server.then(200, "{\"choices\": []}")
                .then(200, "{\"choices\": [{\"message\": {\"role\": \"assistant\"}}]}")
                .then(200, "{\"choices\": [{\"text\": \"legacy\"}]}")
                .then(200, "{\"error\": {\"message\": \"model not loaded\"}}");
        try (OpenAiChatModel model = client().build()) {
            assertThat(failure(model, ChatRequest.ofUser("q")).getMessage()).contains("\"choices\"");
            assertThat(failure(model, ChatRequest.ofUser("q")).getMessage()).contains("choices[0].message.content", "missing");
            assertThat(failure(model, ChatRequest.ofUser("q")).getMessage()).contains("choices[0].message");
            ChatModelException e = failure(model, ChatRequest.ofUser("q"));
            assertThat(e.kind()).isEqualTo(ChatModelException.Kind.MALFORMED_RESPONSE);
            assertThat(e.getMessage()).contains("model not loaded");
        }
        assertThat(server.count()).isEqualTo(4);
    }

    @Test
    void unauthorizedFailsAtOnceWithoutLeakingTheKey() {
        server.then(401, "{\"error\":{\"message\":\"Incorrect API key provided: " + KEY + "\"}}");
        ChatModelException e;
        String description;
        try (OpenAiChatModel model = client().build()) {
            e = failure(model, ChatRequest.ofUser("q"));
            description = model.toString();
        }
        assertThat(server.count()).isEqualTo(1);
        assertThat(sleeps).isEmpty();
        assertThat(server.received().get(0).authorization()).isEqualTo("Bearer " + KEY);
        assertThat(e.kind()).isEqualTo(ChatModelException.Kind.HTTP_STATUS);
        assertThat(e.statusCode()).isEqualTo(401);
        assertThat(e.getMessage()).contains("401", "Incorrect API key provided").doesNotContain(KEY);
        assertThat(description).doesNotContain(KEY).contains("apiKey=set");
    }

    @Test
    void otherClientErrorsAreNotRetriedButRequestTimeoutIs() {
        server.then(404, "no such model").then(400, "bad request").then(408, "request timeout").thenReply("ok");
        try (OpenAiChatModel model = client().build()) {
            assertThat(failure(model, ChatRequest.ofUser("q")).statusCode()).isEqualTo(404);
            assertThat(failure(model, ChatRequest.ofUser("q")).statusCode()).isEqualTo(400);
            assertThat(model.generate("q")).isEqualTo("ok");
        }
        assertThat(server.count()).isEqualTo(4);
        assertThat(sleeps).hasSize(1);
    }

    @Test
    void connectionRefusedIsAnIoFailureAfterRetries() throws IOException {
        String url;
        try (OpenAiTestServer gone = OpenAiTestServer.start()) {
            url = gone.baseUrl();
        }
        ChatModelException e;
        try (OpenAiChatModel model = client().baseUrl(url).maxRetries(2).build()) {
            e = failure(model, ChatRequest.ofUser("q"));
        }
        assertThat(e.kind()).isEqualTo(ChatModelException.Kind.IO);
        assertThat(e.getMessage()).contains("3 attempts");
        assertThat(sleeps).hasSize(2);
    }

    @Test
    void interruptDuringBackoffGivesInterruptedAndKeepsTheFlag() {
        server.then(500, "oops");
        ChatModelException e;
        try (OpenAiChatModel model = client().sleeper(d -> {
            throw new InterruptedException("test");
        }).build()) {
            e = failure(model, ChatRequest.ofUser("q"));
            assertThat(Thread.interrupted()).as("interrupt flag restored (and cleared here)").isTrue();
        }
        assertThat(e.kind()).isEqualTo(ChatModelException.Kind.INTERRUPTED);
        assertThat(server.count()).isEqualTo(1);
    }

    @Test
    void concurrencyLimitIsHonoured() throws Exception {
        Object lock = new Object();
        int[] inFlight = {0};
        int[] maxInFlight = {0};
        server.otherwise(r -> {
            synchronized (lock) {
                inFlight[0]++;
                maxInFlight[0] = Math.max(maxInFlight[0], inFlight[0]);
                lock.notifyAll();
                // wait (briefly) for a partner, so that a broken limit would show as 3 or more
                long end = System.currentTimeMillis() + 300;
                while (inFlight[0] < 2 && System.currentTimeMillis() < end) {
                    lock.wait(Math.max(1, end - System.currentTimeMillis()));
                }
            }
            Thread.sleep(30);
            synchronized (lock) {
                inFlight[0]--; // before answering, so the client's next request cannot overlap this one
            }
            return OpenAiTestServer.Reply.of(200, OpenAiTestServer.completion("r"));
        });
        List<ChatRequest> requests = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            requests.add(ChatRequest.ofUser("q" + i));
        }
        List<ChatResponse> out;
        try (OpenAiChatModel model = client().maxConcurrency(2).build()) {
            out = model.generateAll(requests);
            synchronized (lock) {
                assertThat(maxInFlight[0]).as("one batch").isEqualTo(2);
            }
            // single requests run on their callers' threads: only the semaphore limits them
            ExecutorService callers = Executors.newFixedThreadPool(5);
            try {
                List<Future<String>> singles = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    singles.add(callers.submit(() -> model.generate("single")));
                }
                for (Future<String> f : singles) {
                    assertThat(f.get(10, TimeUnit.SECONDS)).isEqualTo("r");
                }
            } finally {
                callers.shutdownNow();
            }
        }
        assertThat(out).hasSize(8).allMatch(ChatResponse::isOk);
        assertThat(server.count()).isEqualTo(13);
        synchronized (lock) {
            assertThat(maxInFlight[0]).as("batch and concurrent single callers").isEqualTo(2);
        }
    }

    @Test
    void generateAllKeepsOrderAndIsolatesAFailure() {
        server.otherwise(r -> {
            String content = Json.mapper().readTree(r.body()).get("messages").get(0).get("content").asText();
            return content.equals("boom")
                    ? OpenAiTestServer.Reply.of(400, "cannot do " + content)
                    : OpenAiTestServer.Reply.of(200, OpenAiTestServer.completion("echo " + content));
        });
        List<ChatRequest> requests = List.of(ChatRequest.ofUser("a"), ChatRequest.ofUser("b"), ChatRequest.ofUser("boom"),
                ChatRequest.ofUser("d"), ChatRequest.ofUser("e"));
        List<ChatResponse> out;
        try (OpenAiChatModel model = client().maxConcurrency(3).build()) {
            out = model.generateAll(requests);
        }
        assertThat(out).hasSize(5);
        assertThat(out.get(0).text()).isEqualTo("echo a");
        assertThat(out.get(1).text()).isEqualTo("echo b");
        assertThat(out.get(2).isOk()).isFalse();
        assertThat(out.get(2).error().kind()).isEqualTo(ChatModelException.Kind.HTTP_STATUS);
        assertThat(out.get(2).error().getMessage()).contains("400", "cannot do boom");
        assertThat(out.get(3).text()).isEqualTo("echo d");
        assertThat(out.get(4).text()).isEqualTo("echo e");
        assertThat(server.count()).isEqualTo(5);
    }

    @Test
    void closeIsIdempotentAndUseAfterCloseThrows() {
        OpenAiChatModel model = client().build();
        model.close();
        model.close();
        assertThatThrownBy(() -> model.generate("q")).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> model.generateAll(List.of(ChatRequest.ofUser("a"), ChatRequest.ofUser("b"))))
                .isInstanceOf(IllegalStateException.class);
        assertThat(server.count()).isZero();
    }

    @Test
    void apiKeyIsReadFromTheNamedEnvironmentVariable() {
        server.thenReply("ok");
        Map<String, String> env = Map.of("MY_LLM_KEY", "sk-from-env");
        try (OpenAiChatModel model = client().apiKeyEnv("MY_LLM_KEY").environment(env::get).build()) {
            model.generate("q");
        }
        assertThat(server.received().get(0).authorization()).isEqualTo("Bearer sk-from-env");
    }

    @Test
    void noKeyMeansNoAuthorizationHeader() {
        server.thenReply("ok");
        try (OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(server.baseUrl() + "/").model("m").build()) {
            assertThat(model.endpoint().getPath()).isEqualTo("/v1/chat/completions");
            assertThat(model.id()).isEqualTo("m");
            model.generate("q");
        }
        assertThat(server.received().get(0).authorization()).isNull();
    }

    @Test
    void builderChecksEachValue() {
        assertThatThrownBy(() -> OpenAiChatModel.builder().model("m").build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("baseUrl");
        assertThatThrownBy(() -> OpenAiChatModel.builder().baseUrl("http://h/v1").build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("model");
        assertThatThrownBy(() -> OpenAiChatModel.builder().baseUrl("ftp://h/v1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ftp://h/v1");
        assertThatThrownBy(() -> OpenAiChatModel.builder().baseUrl("localhost:8000"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> OpenAiChatModel.builder().maxRetries(11))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxRetries").hasMessageContaining("11");
        assertThatThrownBy(() -> OpenAiChatModel.builder().maxRetries(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> OpenAiChatModel.builder().maxConcurrency(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxConcurrency");
        assertThatThrownBy(() -> OpenAiChatModel.builder().requestTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("requestTimeout");
        assertThatThrownBy(() -> OpenAiChatModel.builder().connectTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("connectTimeout");
        assertThatThrownBy(() -> OpenAiChatModel.builder().apiKey(" "))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("apiKey");
        assertThatThrownBy(() -> OpenAiChatModel.builder().baseUrl("http://h/v1").model("m")
                .retryBaseDelay(Duration.ofSeconds(10)).retryMaxDelay(Duration.ofSeconds(1)).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("retryMaxDelay");
        assertThatThrownBy(() -> OpenAiChatModel.builder().baseUrl("http://h/v1").model("m")
                .apiKeyEnv("KEEL_SURELY_UNSET_VARIABLE").environment(name -> null).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("KEEL_SURELY_UNSET_VARIABLE");
    }

    @Test
    void retryAfterParsing() {
        Instant now = Instant.parse("2026-01-05T10:00:00Z");
        assertThat(OpenAiChatModel.parseRetryAfter("7", now)).contains(Duration.ofSeconds(7));
        assertThat(OpenAiChatModel.parseRetryAfter(" 0 ", now)).contains(Duration.ZERO);
        assertThat(OpenAiChatModel.parseRetryAfter("Mon, 05 Jan 2026 10:00:30 GMT", now)).contains(Duration.ofSeconds(30));
        assertThat(OpenAiChatModel.parseRetryAfter("Mon, 05 Jan 2026 09:00:00 GMT", now)).contains(Duration.ZERO);
        assertThat(OpenAiChatModel.parseRetryAfter("soon", now)).isEmpty();
        assertThat(OpenAiChatModel.parseRetryAfter("-5", now)).isEmpty();
        assertThat(OpenAiChatModel.parseRetryAfter("99999999999999999999999", now)).isEmpty();
        assertThat(OpenAiChatModel.parseRetryAfter("", now)).isEqualTo(Optional.empty());
    }
}
