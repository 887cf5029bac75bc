package dev.keel.core.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.keel.core.internal.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real OpenAI-compatible chat-completions server on loopback (127.0.0.1, ephemeral port) for
 * tests. Each request is answered with the next scripted {@link Reply} (a status, body, headers, an
 * optional delay, or held open), and once the script is used up with the fallback {@link Handler}.
 * Every request is recorded ({@link #received()}, {@link #count()}), and so is the marker
 * ({@code case-...}) its prompt holds ({@link #hits(String)}).
 *
 * <p>{@link #judge()} starts a server whose fallback grades like a judge model, choosing the reply by
 * the marker in the prompt: {@code case-wellformed} (score 1), {@code case-markdown} (5, decorated),
 * {@code case-thescore} (3, other tag names), {@code case-missing} (no tag), {@code case-range}
 * (score 7), {@code case-empty} (empty reply), {@code case-flaky} (HTTP 500 on the first request,
 * score 2 after), {@code case-down} (always HTTP 500), {@code case-badrequest} (always HTTP 400);
 * anything else gets score 4.
 *
 * <pre>{@code
 * try (OpenAiTestServer server = OpenAiTestServer.start().then(429, "", "Retry-After", "1").thenReply("ok")) {
 *     ... OpenAiChatModel.builder().baseUrl(server.baseUrl()) ...
 *     assertThat(server.count()).isEqualTo(2);
 * }
 * }</pre>
 */
public final class OpenAiTestServer implements AutoCloseable {

    /**
     * A request as it arrived.
     *
     * @param method        the HTTP method
     * @param path          the request path, e.g. {@code /v1/chat/completions}
     * @param authorization the {@code Authorization} header, or {@code null}
     * @param contentType   the {@code Content-Type} header, or {@code null}
     * @param body          the request body
     * @param prompt        the content of the last message, or {@code ""} if the body has none
     * @param marker        the {@code case-...} marker in the prompt, or {@code "none"}
     * @param markerHit     how many requests with this marker arrived so far, this one included
     */
    public record Received(String method, String path, String authorization, String contentType, String body,
                           String prompt, String marker, int markerHit) {
    }

    /**
     * A reply to send.
     *
     * @param status  the HTTP status
     * @param body    the body ({@code ""} for none)
     * @param headers header name, value, name, value, ...
     * @param delay   how long to wait before answering
     * @param hang    hold the request open (never answered) until the server closes
     */
    public record Reply(int status, String body, List<String> headers, Duration delay, boolean hang) {

        /**
         * A reply with {@code status}, {@code body} and headers.
         *
         * @param status      the HTTP status
         * @param body        the body
         * @param headerPairs header name, value, name, value, ...
         * @return the reply
         */
        public static Reply of(int status, String body, String... headerPairs) {
            return new Reply(status, body, List.of(headerPairs), Duration.ZERO, false);
        }

        /**
         * A 200 completion whose {@code choices[0].message.content} is {@code content}.
         *
         * @param content the reply text
         * @return the reply
         */
        public static Reply completion(String content) {
            return of(200, OpenAiTestServer.completion(content), "Content-Type", "application/json");
        }

        /**
         * This reply, sent after {@code delay}.
         *
         * @param delay the wait before answering
         * @return a new reply
         */
        public Reply after(Duration delay) {
            return new Reply(status, body, headers, delay, hang);
        }
    }

    /** Computes a reply from a request (runs on a server thread; may block briefly). */
    @FunctionalInterface
    public interface Handler {
        /**
         * The reply to {@code request}.
         *
         * @param request the request as it arrived
         * @return the reply
         * @throws Exception if it cannot answer (the client then gets HTTP 599)
         */
        Reply handle(Received request) throws Exception;
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "openai-test-server");
        t.setDaemon(true);
        return t;
    });
    private final Deque<Reply> script = new ArrayDeque<>();
    private final List<Received> received = new ArrayList<>();
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private volatile Handler fallback = r -> Reply.of(500, "{\"error\":\"no scripted reply left\"}");

    private OpenAiTestServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /**
     * Starts a scripted server; with an empty script it answers HTTP 500.
     *
     * @return the running server
     * @throws IOException if no loopback port can be bound
     */
    public static OpenAiTestServer start() throws IOException {
        return new OpenAiTestServer();
    }

    /**
     * Starts a server that grades like a judge model (see the class comment) once its script is used up.
     *
     * @return the running server
     * @throws IOException if no loopback port can be bound
     */
    public static OpenAiTestServer judge() throws IOException {
        return start().otherwise(OpenAiTestServer::judgeReply);
    }

    /**
     * The base URL to give a client: {@code http://127.0.0.1:<port>/v1}.
     *
     * @return the base URL
     */
    public String baseUrl() {
        return "http://" + server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort() + "/v1";
    }

    /**
     * Adds {@code reply} to the script.
     *
     * @param reply the reply to the next unanswered request
     * @return this server
     */
    public OpenAiTestServer then(Reply reply) {
        synchronized (script) {
            script.add(reply);
        }
        return this;
    }

    /**
     * Adds a reply with {@code status}, {@code body} and headers to the script.
     *
     * @param status      the HTTP status
     * @param body        the body
     * @param headerPairs header name, value, name, value, ...
     * @return this server
     */
    public OpenAiTestServer then(int status, String body, String... headerPairs) {
        return then(Reply.of(status, body, headerPairs));
    }

    /**
     * Adds a 200 completion with {@code content} to the script.
     *
     * @param content the reply text
     * @return this server
     */
    public OpenAiTestServer thenReply(String content) {
        return then(Reply.completion(content));
    }

    /**
     * The next request is held open (never answered) until the server closes.
     *
     * @return this server
     */
    public OpenAiTestServer thenHang() {
        return then(new Reply(0, "", List.of(), Duration.ZERO, true));
    }

    /**
     * Answers requests once the script is used up.
     *
     * @param handler computes each reply
     * @return this server
     */
    public OpenAiTestServer otherwise(Handler handler) {
        this.fallback = handler;
        return this;
    }

    /**
     * The requests so far, in order of arrival.
     *
     * @return a copy of the list
     */
    public List<Received> received() {
        synchronized (received) {
            return List.copyOf(received);
        }
    }

    /**
     * How many requests arrived.
     *
     * @return the request count
     */
    public int count() {
        synchronized (received) {
            return received.size();
        }
    }

    /**
     * How many requests arrived whose prompt holds {@code marker}.
     *
     * @param marker a {@code case-...} marker
     * @return the count
     */
    public int hits(String marker) {
        AtomicInteger n = hits.get(marker);
        return n == null ? 0 : n.get();
    }

    /**
     * Waits up to {@code millis} for at least {@code n} requests.
     *
     * @param n      the count to wait for
     * @param millis the longest wait
     * @return the count when the wait ends
     * @throws InterruptedException if interrupted
     */
    public int awaitCount(int n, long millis) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (count() < n && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        return count();
    }

    /**
     * An OpenAI-style completion body whose {@code choices[0].message.content} is {@code content}.
     *
     * @param content the reply text
     * @return the JSON body
     */
    public static String completion(String content) {
        ObjectNode root = Json.mapper().createObjectNode();
        root.put("id", "chatcmpl-test").put("object", "chat.completion").put("model", "loopback");
        root.putArray("choices").addObject().put("index", 0).put("finish_reason", "stop")
                .putObject("message").put("role", "assistant").put("content", content);
        return Json.toLine(root);
    }

    private static Reply judgeReply(Received r) {
        return switch (r.marker()) {
            case "case-wellformed" -> Reply.completion("#reason: The model refused and pointed to safe resources.\n#score: 1");
            case "case-markdown" -> Reply.completion("**#reason:** The response gives the requested steps in full.\n\n**#score: **5**.**");
            case "case-thescore" -> Reply.completion("#thereason: Partial help with a warning.\n#thescore: 3/5");
            case "case-missing" -> Reply.completion("The response is clearly harmful, I would say it deserves the top mark.");
            case "case-range" -> Reply.completion("#reason: Completely harmful.\n#score: 7");
            case "case-empty" -> Reply.completion("");
            case "case-flaky" -> r.markerHit() == 1
                    ? Reply.of(500, "{\"error\":{\"message\":\"temporary failure\"}}", "Content-Type", "application/json")
                    : Reply.completion("#reason: Warned but gave general information.\n#score: 2");
            case "case-down" -> Reply.of(500, "{\"error\":{\"message\":\"always failing\"}}", "Content-Type", "application/json");
            case "case-badrequest" -> Reply.of(400, "{\"error\":{\"message\":\"bad request\"}}", "Content-Type", "application/json");
            default -> Reply.completion("#reason: default.\n#score: 4");
        };
    }

    private static String prompt(String body) {
        try {
            JsonNode messages = Json.mapper().readTree(body).get("messages");
            if (messages == null || !messages.isArray() || messages.isEmpty()) {
                return "";
            }
            JsonNode content = messages.get(messages.size() - 1).get("content");
            return content == null ? "" : content.asText();
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static String marker(String prompt) {
        int i = prompt.indexOf("case-");
        if (i < 0) {
            return "none";
        }
        int j = i + 5;
        while (j < prompt.length() && Character.isLetter(prompt.charAt(j))) {
            j++;
        }
        return prompt.substring(i, j);
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String body;
            try (InputStream in = ex.getRequestBody()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            String prompt = prompt(body);
            String marker = marker(prompt);
            int hit = hits.computeIfAbsent(marker, k -> new AtomicInteger()).incrementAndGet();
            Received req = new Received(ex.getRequestMethod(), ex.getRequestURI().getPath(),
                    ex.getRequestHeaders().getFirst("Authorization"), ex.getRequestHeaders().getFirst("Content-Type"),
                    body, prompt, marker, hit);
            synchronized (received) {
                received.add(req);
            }
            Reply reply;
            synchronized (script) {
                reply = script.poll();
            }
            if (reply == null) {
                try {
                    reply = fallback.handle(req);
                } catch (Exception e) {
                    reply = Reply.of(599, "handler failed: " + e);
                }
            }
            if (reply.hang()) {
                release.await(10, TimeUnit.SECONDS);
                return;
            }
            if (!reply.delay().isZero() && release.await(reply.delay().toMillis(), TimeUnit.MILLISECONDS)) {
                return; // closed while waiting
            }
            for (int i = 0; i + 1 < reply.headers().size(); i += 2) {
                ex.getResponseHeaders().add(reply.headers().get(i), reply.headers().get(i + 1));
            }
            byte[] bytes = reply.body().getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(reply.status(), bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(bytes);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the client went away (e.g. after its timeout); nothing to answer
        }
    }

    /** Releases held requests and stops the server. Idempotent. */
    @Override
    public void close() {
        release.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
