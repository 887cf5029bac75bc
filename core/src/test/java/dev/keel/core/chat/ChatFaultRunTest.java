package dev.keel.core.chat;

import dev.keel.core.testkit.OpenAiTestServer;
import dev.keel.core.testkit.OpenAiTestServer.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HTTP fault run: the chat client against a loopback server that fails in every way the
 * hardening issue lists (trickled body, huge body, headers then silence, 429 storms with and without
 * Retry-After, connections cut mid-body and mid-stream, malformed JSON, a wrong content type, empty
 * choices, invalid UTF-8, threads by concurrent calls, closing the client while calls are in flight
 * or waiting to retry). Each case has a hard per-case timeout (no hang), and asserts that every call
 * ends with a response or a clear failure naming the limit and its value, within a bound.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ChatFaultRunTest {

    private static final String KEY = "sk-fault-canary-7f3a9c1e";
    /** The short deadline of the cases about deadlines (the others use 10 s, so that a busy machine cannot fail them). */
    private static final Duration DEADLINE = Duration.ofMillis(600);

    private OpenAiTestServer server;
    private final List<Duration> sleeps = Collections.synchronizedList(new ArrayList<>());

    @BeforeEach
    void start() throws IOException {
        server = OpenAiTestServer.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private OpenAiChatModel.Builder client() {
        return OpenAiChatModel.builder().baseUrl(server.baseUrl()).model("m").apiKey(KEY)
                .connectTimeout(Duration.ofSeconds(5)).requestTimeout(Duration.ofSeconds(10))
                .retryBaseDelay(Duration.ofMillis(10)).sleeper(sleeps::add).jitter(() -> 0.5);
    }

    private static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    private static ChatModelException failed(ChatResponse r) {
        assertThat(r.isOk()).as("expected a failure, got %s", r.text()).isFalse();
        assertThat(r.error().getMessage()).doesNotContain(KEY);
        return r.error();
    }

    private static ChatResponse one(OpenAiChatModel model, String prompt) {
        return model.generateAll(List.of(ChatRequest.ofUser(prompt))).get(0);
    }

    // ---------------------------------------------------------------- deadlines

    @Test
    void trickledBodyEndsAtTheDeadlineNotWhenTheServerIsDone() {
        server.then(Reply.trickle(200, Duration.ofMillis(50))); // 10 s of body without a deadline
        long start = System.nanoTime();
        ChatModelException e;
        try (OpenAiChatModel model = client().requestTimeout(DEADLINE).maxRetries(0).build()) {
            e = failed(one(model, "q"));
        }
        assertThat(millisSince(start)).isLessThan(4_000);
        assertThat(e.kind()).isEqualTo(ChatModelException.Kind.TIMEOUT);
        assertThat(e.getMessage()).contains("600 ms", "requestTimeout");
        assertThat(server.count()).isEqualTo(1);
    }

    @Test
    void trickledBodyWithRetriesStaysBoundedByAttemptsTimesDeadline() {
        server.otherwise(r -> Reply.trickle(200, Duration.ofMillis(50)));
        long start = System.nanoTime();
        ChatModelException e;
        try (OpenAiChatModel model = client().requestTimeout(DEADLINE).maxRetries(2).build()) {
            e = failed(one(model, "q"));
        }
        assertThat(millisSince(start)).isLessThan(3 * 600 + 4_000);
        assertThat(e.kind()).isEqualTo(ChatModelException.Kind.TIMEOUT);
        assertThat(e.getMessage()).contains("after 3 attempts");
        assertThat(server.count()).isEqualTo(3);
    }

    @Test
    void headersThenSilenceIsATimeout() {
        server.then(Reply.silenceAfterHeaders());
        long start = System.nanoTime();
        ChatModelException e;
        try (OpenAiChatModel model = client().requestTimeout(DEADLINE).maxRetries(0).build()) {
            e = failed(one(model, "q"));
        }
        assertThat(millisSince(start)).isLessThan(4_000);
        assertThat(e.kind()).isEqualTo(ChatModelException.Kind.TIMEOUT);
        assertThat(e.getMessage()).contains("requestTimeout");
    }

    @Test
    void callTimeoutStopsRetriesThatWouldRunPastIt() {
        server.otherwise(r -> Reply.of(429, "{\"error\":{\"message\":\"slow down\"}}", "Retry-After", "2"));
        long start = System.nanoTime();
        ChatModelException e;
        try (OpenAiChatModel model = client().sleeper(null).maxRetries(10).retryMaxDelay(Duration.ofSeconds(5))
                .callTimeout(Duration.ofSeconds(1)).build()) {
            e = failed(one(model, "q"));
        }
        assertThat(millisSince(start)).isLessThan(4_000);
        assertThat(e.statusCode()).isEqualTo(429);
        assertThat(e.getMessage()).contains("callTimeout", "1 s", "after 1 attempts");
        assertThat(server.count()).isEqualTo(1);
    }

    @Test
    void aCallTimeoutShorterThanTheRequestTimeoutEndsTheAttemptAndSaysSo() {
        server.then(Reply.trickle(200, Duration.ofMillis(50)));
        long start = System.nanoTime();
        ChatModelException e;
        try (OpenAiChatModel model = client().callTimeout(DEADLINE).build()) {
            e = failed(one(model, "q"));
        }
        assertThat(millisSince(start)).isLessThan(4_000);
        assertThat(e.kind()).isEqualTo(ChatModelException.Kind.TIMEOUT);
        assertThat(e.getMessage()).contains("600 ms (callTimeout)");
        assertThat(server.count()).as("no retry past the call timeout").isEqualTo(1);
    }

    @Test
    void callersBeyondTheConcurrencyLimitQueueWithoutSpendingTheirDeadline() throws Exception {
        server.otherwise(r -> Reply.completion("slow " + r.prompt()).after(Duration.ofMillis(400)));
        ExecutorService callers = Executors.newFixedThreadPool(4);
        try (OpenAiChatModel model = client().requestTimeout(Duration.ofMillis(1500)).maxConcurrency(1).maxRetries(0).build()) {
            List<Future<ChatResponse>> futures = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                int n = i;
                futures.add(callers.submit(() -> one(model, "p" + n)));
            }
            for (int i = 0; i < 4; i++) {
                ChatResponse r = futures.get(i).get(20, TimeUnit.SECONDS);
                assertThat(r.isOk()).as("caller %d: %s", i, r.error()).isTrue();
                assertThat(r.text()).isEqualTo("slow p" + i);
            }
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void aStalledStreamIsATimeout() {
        server.then(Reply.trickle(500, Duration.ofMillis(50)));
        long start = System.nanoTime();
        ChatResponse r;
        try (OpenAiChatModel model = client().requestTimeout(DEADLINE).maxRetries(0).build()) {
            r = model.generateStreaming(ChatRequest.ofUser("q"), (c, t) -> { });
        }
        assertThat(millisSince(start)).isLessThan(4_000);
        assertThat(failed(r).kind()).isEqualTo(ChatModelException.Kind.TIMEOUT);
    }

    // ---------------------------------------------------------------- size limits

    @Test
    void aHugeBodyIsRefusedAtTheLimitWithoutReadingItAll() {
        long huge = 300L * 1024 * 1024;
        server.then(Reply.huge(huge)).thenReply("never asked for");
        long start = System.nanoTime();
        ChatModelException e;
        try (OpenAiChatModel model = client().requestTimeout(Duration.ofSeconds(20)).build()) {
            e = failed(one(model, "q"));
        }
        assertThat(millisSince(start)).isLessThan(15_000);
        assertThat(e.kind()).isEqualTo(ChatModelException.Kind.TOO_LARGE);
        assertThat(e.getMessage()).contains("8388608 bytes", "maxResponseBytes");
        assertThat(server.count()).as("a huge reply is not asked for again").isEqualTo(1);
        System.out.printf("fault run: a %d-byte body was refused after the server sent %d bytes, in %d ms%n",
                huge, server.bytesSent(), millisSince(start));
        assertThat(server.bytesSent()).as("the client stopped reading near the limit").isLessThan(64L * 1024 * 1024);
    }

    @Test
    void aBodyOverAConfiguredLimitIsRefusedByItsContentLength() {
        server.then(200, OpenAiTestServer.completion("y".repeat(5000)), "Content-Type", "application/json");
        ChatModelException e;
        try (OpenAiChatModel model = client().maxResponseBytes(2048).build()) {
            assertThat(model.maxResponseBytes()).isEqualTo(2048);
            e = failed(one(model, "q"));
        }
        assertThat(e.kind()).isEqualTo(ChatModelException.Kind.TOO_LARGE);
        assertThat(e.getMessage()).contains("2048 bytes", "Content-Length");
    }

    @Test
    void aHugeStreamedReplyIsRefusedToo() {
        server.then(Reply.huge(64L * 1024 * 1024));
        ChatResponse r;
        try (OpenAiChatModel model = client().requestTimeout(Duration.ofSeconds(20)).maxResponseBytes(1024 * 1024).build()) {
            r = model.generateStreaming(ChatRequest.ofUser("q"), (c, t) -> { });
        }
        assertThat(failed(r).kind()).isEqualTo(ChatModelException.Kind.TOO_LARGE);
        assertThat(server.bytesSent()).isLessThan(32L * 1024 * 1024);
    }

    // ---------------------------------------------------------------- 429 storms

    @Test
    void a429StormWithoutRetryAfterGivesUpAfterTheRetries() {
        server.otherwise(r -> Reply.of(429, "{\"error\":{\"message\":\"rate limited\"}}"));
        ChatModelException e;
        try (OpenAiChatModel model = client().maxRetries(3).build()) {
            e = failed(one(model, "q"));
        }
        assertThat(server.count()).isEqualTo(4);
        assertThat(sleeps).containsExactly(Duration.ofMillis(8), Duration.ofMillis(15), Duration.ofMillis(30));
        assertThat(e.kind()).isEqualTo(ChatModelException.Kind.HTTP_STATUS);
        assertThat(e.getMessage()).contains("429", "rate limited", "after 4 attempts");
    }

    @Test
    void a429StormWithAHugeRetryAfterWaitsAtMostTheMaximumBackoff() {
        server.otherwise(r -> Reply.of(429, "", "Retry-After", "86400"));
        ChatModelException e;
        try (OpenAiChatModel model = client().maxRetries(2).retryMaxDelay(Duration.ofSeconds(3)).build()) {
            e = failed(one(model, "q"));
        }
        assertThat(server.count()).isEqualTo(3);
        assertThat(sleeps).containsExactly(Duration.ofSeconds(3), Duration.ofSeconds(3));
        assertThat(e.statusCode()).isEqualTo(429);
    }

    @Test
    void a429StormOverManyConcurrentCallsEndsEveryCall() {
        server.otherwise(r -> Reply.of(429, "busy", "Retry-After", "0"));
        List<ChatRequest> requests = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            requests.add(ChatRequest.ofUser("q" + i));
        }
        List<ChatResponse> out;
        try (OpenAiChatModel model = client().maxRetries(2).maxConcurrency(8).build()) {
            out = model.generateAll(requests);
        }
        assertThat(out).hasSize(24).allSatisfy(r -> assertThat(failed(r).statusCode()).isEqualTo(429));
        assertThat(server.count()).isEqualTo(24 * 3);
    }

    // ---------------------------------------------------------------- broken connections and bodies

    @Test
    void aConnectionCutMidBodyIsAnIoFailureThatIsRetried() {
        server.then(Reply.cutMidBody()).thenReply("whole");
        try (OpenAiChatModel model = client().maxRetries(1).build()) {
            ChatResponse r = one(model, "q");
            assertThat(r.text()).isEqualTo("whole");
        }
        assertThat(server.count()).isEqualTo(2);

        server.otherwise(r -> Reply.cutMidBody());
        ChatModelException e;
        try (OpenAiChatModel model = client().maxRetries(1).build()) {
            e = failed(one(model, "q"));
        }
        assertThat(e.kind()).isEqualTo(ChatModelException.Kind.IO);
        assertThat(e.getMessage()).contains("after 2 attempts");
    }

    @Test
    void aStreamCutAfterDeltasIsNotRetried() {
        server.then(Reply.streamThenCut("one two three four five", 4)).thenReply("must not be asked");
        StringBuilder seen = new StringBuilder();
        ChatResponse r;
        try (OpenAiChatModel model = client().maxRetries(3).build()) {
            r = model.generateStreaming(ChatRequest.ofUser("q"), (c, t) -> seen.append(t));
        }
        ChatModelException e = failed(r);
        assertThat(e.kind()).isEqualTo(ChatModelException.Kind.IO);
        assertThat(e.getMessage()).contains("[DONE]", "not retried");
        assertThat(seen.toString()).isEqualTo("one two three");
        assertThat(server.count()).isEqualTo(1);
    }

    @Test
    void aStreamCutBeforeAnyDeltaIsRetried() {
        server.then(Reply.streamThenCut("lost", 1)).thenReply("found again");
        StringBuilder seen = new StringBuilder();
        ChatResponse r;
        try (OpenAiChatModel model = client().maxRetries(1).build()) {
            r = model.generateStreaming(ChatRequest.ofUser("q"), (c, t) -> seen.append(t));
        }
        assertThat(r.text()).isEqualTo("found again");
        assertThat(seen.toString()).isEqualTo("found again");
        assertThat(server.count()).isEqualTo(2);
    }

    @Test
    void malformedJsonWrongContentTypeEmptyChoicesAndInvalidUtf8AreMalformedAndNotRetried() {
        server.then(200, "{\"choices\": [ {\"message\": ", "Content-Type", "application/json")
                .then(200, "<html><body>Gateway login</body></html>", "Content-Type", "text/html; charset=utf-8")
                .then(200, "{\"choices\": []}", "Content-Type", "application/json")
                .then(200, "{\"choices\":[]}{\"choices\":[]}", "Content-Type", "application/json")
                .then(200, "{\"choices\":[{\"index\":0,\"message\":{\"content\":\"a\"}},{\"index\":0,\"message\":{\"content\":\"b\"}}]}");
        try (OpenAiChatModel model = client().maxRetries(3).build()) {
            assertThat(failed(one(model, "q")).getMessage()).contains("not valid JSON");
            ChatModelException html = failed(one(model, "q"));
            assertThat(html.kind()).isEqualTo(ChatModelException.Kind.MALFORMED_RESPONSE);
            assertThat(html.getMessage()).contains("content type text/html", "expected application/json", "Gateway login");
            assertThat(failed(one(model, "q")).getMessage()).contains("no non-empty \"choices\"");
            assertThat(failed(one(model, "q")).getMessage()).contains("not valid JSON");
            assertThat(failed(one(model, "q")).getMessage()).contains("two choices have index 0");
        }
        assertThat(server.count()).isEqualTo(5);
        assertThat(sleeps).isEmpty();
    }

    @Test
    void invalidUtf8IsRefusedNotReplaced() throws Exception {
        byte[] bad = {'{', '"', 'c', '"', ':', (byte) 0xC3, (byte) 0x28, '}'};
        // a raw socket server: the test server writes its bodies as UTF-8 and could not send these bytes
        try (java.net.ServerSocket raw = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (java.net.Socket s = raw.accept()) {
                    readRequest(s.getInputStream());
                    String head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + bad.length
                            + "\r\nConnection: close\r\n\r\n";
                    s.getOutputStream().write(head.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    s.getOutputStream().write(bad);
                    s.getOutputStream().flush();
                } catch (IOException ignored) {
                    // the client went away
                }
            });
            t.setDaemon(true);
            t.start();
            ChatModelException e;
            try (OpenAiChatModel model = client().baseUrl("http://127.0.0.1:" + raw.getLocalPort() + "/v1").maxRetries(0).build()) {
                e = failed(one(model, "q"));
            }
            assertThat(e.kind()).isEqualTo(ChatModelException.Kind.MALFORMED_RESPONSE);
            assertThat(e.getMessage()).contains("not valid UTF-8");
            t.join(5000);
        }
    }

    /** Reads one HTTP request (headers, then Content-Length bytes of body). */
    private static void readRequest(java.io.InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                return;
            }
            head.append((char) b);
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length:\\s*(\\d+)").matcher(head);
        int length = m.find() ? Integer.parseInt(m.group(1)) : 0;
        in.readNBytes(length);
    }

    // ---------------------------------------------------------------- threads and close

    @Test
    void threadsTimesConcurrentCallsAllSucceedInOrder() throws Exception {
        server.otherwise(r -> Reply.completion("echo " + r.prompt()).after(Duration.ofMillis(5)));
        ExecutorService callers = Executors.newFixedThreadPool(8);
        try (OpenAiChatModel model = client().maxConcurrency(6).build()) {
            List<Future<List<ChatResponse>>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                futures.add(callers.submit(() -> {
                    List<ChatRequest> batch = new ArrayList<>();
                    for (int i = 0; i < 5; i++) {
                        batch.add(ChatRequest.ofUser("t" + thread + "-" + i));
                    }
                    List<ChatResponse> out = new ArrayList<>(model.generateAll(batch));
                    StringBuilder streamed = new StringBuilder();
                    out.add(model.generateStreaming(ChatRequest.ofUser("s" + thread), (c, d) -> streamed.append(d)));
                    assertThat(streamed.toString()).isEqualTo("echo s" + thread);
                    return out;
                }));
            }
            for (int t = 0; t < 8; t++) {
                List<ChatResponse> out = futures.get(t).get(20, TimeUnit.SECONDS);
                for (int i = 0; i < 5; i++) {
                    assertThat(out.get(i).text()).isEqualTo("echo t" + t + "-" + i);
                }
                assertThat(out.get(5).text()).isEqualTo("echo s" + t);
            }
        } finally {
            callers.shutdownNow();
        }
        assertThat(server.count()).isEqualTo(8 * 6);
    }

    @Test
    void closingTheClientWhileCallsAreInFlightEndsEveryCallPromptly() throws Exception {
        server.otherwise(r -> new Reply(0, "", List.of(), Duration.ZERO, true)); // never answers
        OpenAiChatModel model = client().requestTimeout(Duration.ofSeconds(20)).maxConcurrency(4).maxRetries(3).build();
        ExecutorService callers = Executors.newFixedThreadPool(6);
        List<Future<Object>> futures = new ArrayList<>();
        try {
            for (int t = 0; t < 6; t++) {
                int thread = t;
                Callable<Object> call = () -> {
                    try {
                        if (thread % 3 == 0) {
                            return model.generateStreaming(ChatRequest.ofUser("s" + thread), (c, d) -> { });
                        }
                        if (thread % 3 == 1) {
                            return model.generateAll(List.of(ChatRequest.ofUser("a" + thread), ChatRequest.ofUser("b" + thread)));
                        }
                        return one(model, "c" + thread);
                    } catch (IllegalStateException e) {
                        return e; // closed before the call started: a clear exception
                    }
                };
                futures.add(callers.submit(call));
            }
            assertThat(server.awaitCount(4, 5000)).as("the first four requests arrived").isGreaterThanOrEqualTo(4);
            long start = System.nanoTime();
            model.close();
            for (Future<Object> f : futures) {
                Object o = f.get(5, TimeUnit.SECONDS);
                List<ChatResponse> responses = o instanceof ChatResponse r ? List.of(r)
                        : o instanceof List<?> l ? l.stream().map(ChatResponse.class::cast).toList() : List.of();
                if (o instanceof IllegalStateException e) {
                    assertThat(e.getMessage()).contains("closed");
                }
                for (ChatResponse r : responses) {
                    assertThat(failed(r).kind()).isEqualTo(ChatModelException.Kind.CLOSED);
                    assertThat(r.error().getMessage()).contains("closed");
                }
            }
            assertThat(millisSince(start)).as("close does not wait for the hung requests").isLessThan(5_000);
            assertThat(server.count()).as("no retry after close").isLessThanOrEqualTo(6 * 2);
        } finally {
            callers.shutdownNow();
            model.close();
        }
    }

    @Test
    void closingTheClientCutsARetryWaitShort() throws Exception {
        server.otherwise(r -> Reply.of(503, "maintenance", "Retry-After", "30"));
        OpenAiChatModel model = client().sleeper(null).retryMaxDelay(Duration.ofSeconds(30)).build();
        ExecutorService caller = Executors.newSingleThreadExecutor();
        try {
            Future<ChatResponse> f = caller.submit(() -> one(model, "q"));
            assertThat(server.awaitCount(1, 5000)).isEqualTo(1);
            Thread.sleep(100); // into the 30 s wait
            long start = System.nanoTime();
            model.close();
            ChatResponse r = f.get(5, TimeUnit.SECONDS);
            assertThat(millisSince(start)).isLessThan(3_000);
            assertThat(failed(r).kind()).isEqualTo(ChatModelException.Kind.CLOSED);
            assertThat(server.count()).isEqualTo(1);
        } finally {
            caller.shutdownNow();
            model.close();
        }
    }

    // ---------------------------------------------------------------- secrets under faults

    @Test
    void anEndpointEchoingTheKeyNeverGetsItIntoAMessageOrAReply() {
        server.otherwise(r -> r.marker().equals("case-error")
                ? Reply.of(500, "{\"error\":{\"message\":\"bad auth " + r.authorization() + "\"}}")
                : r.marker().equals("case-json")
                ? Reply.of(200, "{\"choices\":[{\"message\":{\"content\":\"k\"}}] trailing " + r.authorization(), "Content-Type", "application/json")
                : Reply.completion("your header was " + r.authorization()));
        try (OpenAiChatModel model = client().maxRetries(1).build()) {
            ChatResponse error = one(model, "case-error");
            assertThat(failed(error).getMessage()).contains("bad auth Bearer ***");
            ChatResponse json = one(model, "case-json");
            assertThat(failed(json).getMessage()).doesNotContain(KEY);
            ChatResponse ok = one(model, "case-echo");
            assertThat(ok.text()).isEqualTo("your header was Bearer ***");
            StringBuilder streamed = new StringBuilder();
            ChatResponse s = model.generateStreaming(ChatRequest.ofUser("case-echo"), (c, d) -> streamed.append(d));
            assertThat(s.text()).isEqualTo("your header was Bearer ***");
            assertThat(streamed.toString()).isEqualTo(s.text()).doesNotContain(KEY);
        }
    }
}
