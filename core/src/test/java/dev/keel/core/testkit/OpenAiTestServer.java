package dev.keel.core.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
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
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
 * <p>A {@link Reply#completion completion} is answered as the real API answers: as one
 * {@code chat.completion} JSON body, or, when the request says {@code "stream": true}, as server-sent
 * events ({@code text/event-stream}) of {@code chat.completion.chunk} objects, one per piece of text
 * (a word with the white space before it), ending in {@code data: [DONE]}; with
 * {@code stream_options.include_usage} a last chunk with empty {@code choices} carries the usage. Both
 * forms honour {@code n} (choice {@code i > 0} gets the text followed by {@code " #i"}, unless the
 * reply names its own choices), {@code logprobs}/{@code top_logprobs} (piece {@code k} has logprob
 * {@code -(k+1)/10}; alternative {@code j} is the piece followed by {@code "~j"} at
 * {@code -(k+1)/10 - j}), {@code max_tokens} or {@code max_completion_tokens} (the pieces beyond it
 * are cut and {@code finish_reason} is {@code "length"}, else {@code "stop"}), and report
 * {@code usage} (prompt tokens: the pieces of all messages; completion tokens: the pieces sent).
 *
 * <p>Faults for the client's hardening ({@link Reply#trickle}, {@link Reply#huge},
 * {@link Reply#silenceAfterHeaders}, {@link Reply#cutMidBody}, {@link Reply#streamThenCut}); the
 * bytes the server managed to send are counted ({@link #bytesSent()}).
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
     * A way for the server to misbehave.
     *
     * @param kind     what it does
     * @param bytes    how many bytes it sends ({@code TRICKLE}, {@code HUGE}) or how many events
     *                 ({@code STREAM_THEN_CUT})
     * @param interval the wait between bytes ({@code TRICKLE})
     */
    public record Fault(FaultKind kind, long bytes, Duration interval) {
    }

    /** The faults a reply can have. */
    public enum FaultKind {
        /** 200 with JSON headers, then the body one byte per interval. */
        TRICKLE,
        /** 200 with JSON headers, then a completion whose content is as large as asked, sent fast. */
        HUGE,
        /** 200 with JSON headers, then nothing until the server closes. */
        SILENCE_AFTER_HEADERS,
        /** 200 with a Content-Length, half the body, then the connection is closed. */
        CUT_MID_BODY,
        /** 200 event stream with some chunks, then the stream ends without {@code [DONE]}. */
        STREAM_THEN_CUT
    }

    /**
     * A reply to send.
     *
     * @param status     the HTTP status
     * @param body       the body ({@code ""} for none); ignored when {@code completion} is set
     * @param headers    header name, value, name, value, ...
     * @param delay      how long to wait before answering
     * @param hang       hold the request open (never answered) until the server closes
     * @param completion the texts of the choices, rendered per request as JSON or as a stream (see
     *                   the class comment), or {@code null} to send {@code body} as it is
     * @param fault      how to misbehave, or {@code null}
     */
    public record Reply(int status, String body, List<String> headers, Duration delay, boolean hang,
                        List<String> completion, Fault fault) {

        /**
         * A plain reply (no completion, no fault).
         *
         * @param status  the HTTP status
         * @param body    the body
         * @param headers header name, value, name, value, ...
         * @param delay   how long to wait before answering
         * @param hang    hold the request open until the server closes
         */
        public Reply(int status, String body, List<String> headers, Duration delay, boolean hang) {
            this(status, body, headers, delay, hang, null, null);
        }

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
         * A 200 completion whose {@code choices[0].message.content} is {@code content}, sent as
         * JSON or streamed as the request asks.
         *
         * @param content the reply text
         * @return the reply
         */
        public static Reply completion(String content) {
            return completions(List.of(content));
        }

        /**
         * A 200 completion whose choice {@code i} is {@code contents.get(i)} (for {@code n} above
         * their count, the last text followed by {@code " #i"}).
         *
         * @param contents the texts, at least one
         * @return the reply
         */
        public static Reply completions(List<String> contents) {
            if (contents.isEmpty()) {
                throw new IllegalArgumentException("contents must not be empty");
            }
            return new Reply(200, "", List.of(), Duration.ZERO, false, List.copyOf(contents), null);
        }

        /**
         * 200 with JSON headers, then a completion body one byte every {@code interval}, at most
         * {@code bytes} bytes (padded with spaces if the body is shorter).
         *
         * @param bytes    how many bytes to send in all
         * @param interval the wait between bytes
         * @return the reply
         */
        public static Reply trickle(long bytes, Duration interval) {
            return fault(new Fault(FaultKind.TRICKLE, bytes, interval));
        }

        /**
         * 200 with JSON headers, then a completion with {@code bytes} bytes of content, as fast as
         * the client takes it (chunked, no Content-Length).
         *
         * @param bytes the content's size
         * @return the reply
         */
        public static Reply huge(long bytes) {
            return fault(new Fault(FaultKind.HUGE, bytes, Duration.ZERO));
        }

        /**
         * 200 with JSON headers, then silence until the server closes.
         *
         * @return the reply
         */
        public static Reply silenceAfterHeaders() {
            return fault(new Fault(FaultKind.SILENCE_AFTER_HEADERS, 0, Duration.ZERO));
        }

        /**
         * 200 with the Content-Length of a whole completion, half of it, then the connection closes.
         *
         * @return the reply
         */
        public static Reply cutMidBody() {
            return fault(new Fault(FaultKind.CUT_MID_BODY, 0, Duration.ZERO));
        }

        /**
         * A 200 event stream of {@code events} chunks of {@code content}, then the end of the body
         * without {@code data: [DONE]}.
         *
         * @param content the text the chunks would have carried
         * @param events  how many chunks to send before the cut
         * @return the reply
         */
        public static Reply streamThenCut(String content, int events) {
            return new Reply(200, "", List.of(), Duration.ZERO, false, List.of(content),
                    new Fault(FaultKind.STREAM_THEN_CUT, events, Duration.ZERO));
        }

        private static Reply fault(Fault fault) {
            return new Reply(200, "", List.of(), Duration.ZERO, false, null, fault);
        }

        /**
         * This reply, sent after {@code delay}.
         *
         * @param delay the wait before answering
         * @return a new reply
         */
        public Reply after(Duration delay) {
            return new Reply(status, body, headers, delay, hang, completion, fault);
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
    private final AtomicLong bytesSent = new AtomicLong();
    private final AtomicInteger active = new AtomicInteger();
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
     * The body bytes this server wrote to its clients so far (what reached the socket, all replies).
     *
     * @return the byte count
     */
    public long bytesSent() {
        return bytesSent.get();
    }

    /**
     * How many requests are being answered right now.
     *
     * @return the count of handlers still running
     */
    public int active() {
        return active.get();
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
        active.incrementAndGet();
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
            if (reply.fault() != null) {
                sendFault(ex, reply, body);
                return;
            }
            if (reply.completion() != null) {
                sendCompletion(ex, reply.completion(), body);
                return;
            }
            byte[] bytes = reply.body().getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(reply.status(), bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                try (OutputStream out = ex.getResponseBody()) {
                    write(out, bytes);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the client went away (e.g. after its timeout); nothing to answer
        } finally {
            active.decrementAndGet();
        }
    }

    private void write(OutputStream out, byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        bytesSent.addAndGet(bytes.length);
    }

    // ------------------------------------------------------------------ completions as the real API sends them

    private static final Pattern PIECE = Pattern.compile("\\s*\\S+|\\s+");

    /** A text cut into pieces: each word with the white space before it (trailing white space alone). */
    static List<String> pieces(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = PIECE.matcher(text);
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    /** One choice as the server renders it. */
    private record Rendered(int index, List<String> pieces, String finishReason) {
        String text() {
            return String.join("", pieces);
        }
    }

    private static List<Rendered> render(List<String> contents, JsonNode request) {
        int n = request.path("n").asInt(1);
        long limit = request.has("max_completion_tokens") ? request.get("max_completion_tokens").asLong()
                : request.has("max_tokens") ? request.get("max_tokens").asLong() : Long.MAX_VALUE;
        List<Rendered> out = new ArrayList<>();
        for (int i = 0; i < Math.max(1, n); i++) {
            String text = i < contents.size() ? contents.get(i) : contents.get(contents.size() - 1) + " #" + i;
            List<String> p = pieces(text);
            String finish = "stop";
            if (p.size() > limit) {
                p = new ArrayList<>(p.subList(0, (int) limit));
                finish = "length";
            }
            out.add(new Rendered(i, p, finish));
        }
        return out;
    }

    private static long promptTokens(JsonNode request) {
        long n = 0;
        for (JsonNode m : request.path("messages")) {
            n += pieces(m.path("content").asText("")).size();
        }
        return n;
    }

    private static ObjectNode usage(JsonNode request, List<Rendered> choices) {
        long prompt = promptTokens(request);
        long completion = choices.stream().mapToLong(c -> c.pieces().size()).sum();
        return Json.mapper().createObjectNode().put("prompt_tokens", prompt).put("completion_tokens", completion)
                .put("total_tokens", prompt + completion);
    }

    private static ObjectNode logprob(String piece, int k, int top) {
        ObjectNode t = Json.mapper().createObjectNode();
        double lp = -(k + 1) / 10.0;
        t.put("token", piece).put("logprob", lp);
        ArrayNode bytes = t.putArray("bytes");
        for (byte b : piece.getBytes(StandardCharsets.UTF_8)) {
            bytes.add(b & 0xff);
        }
        ArrayNode alternatives = t.putArray("top_logprobs");
        for (int j = 0; j < top; j++) {
            String alt = j == 0 ? piece : piece + "~" + j;
            alternatives.addObject().put("token", alt).put("logprob", lp - j).putNull("bytes");
        }
        return t;
    }

    private static JsonNode requestJson(String body) {
        try {
            JsonNode n = Json.mapper().readTree(body);
            return n == null ? Json.mapper().createObjectNode() : n;
        } catch (IOException e) {
            return Json.mapper().createObjectNode();
        }
    }

    /** The {@code chat.completion} body for {@code contents} as {@code request} asks for it. */
    static String completionBody(List<String> contents, JsonNode request) {
        List<Rendered> choices = render(contents, request);
        boolean logprobs = request.path("logprobs").asBoolean(false);
        int top = request.path("top_logprobs").asInt(0);
        ObjectNode root = Json.mapper().createObjectNode();
        root.put("id", "chatcmpl-test").put("object", "chat.completion").put("created", 0)
                .put("model", request.path("model").asText("loopback"));
        ArrayNode array = root.putArray("choices");
        for (Rendered c : choices) {
            ObjectNode choice = array.addObject().put("index", c.index());
            choice.putObject("message").put("role", "assistant").put("content", c.text());
            if (logprobs) {
                ArrayNode content = choice.putObject("logprobs").putArray("content");
                for (int k = 0; k < c.pieces().size(); k++) {
                    content.add(logprob(c.pieces().get(k), k, top));
                }
            } else {
                choice.putNull("logprobs");
            }
            choice.put("finish_reason", c.finishReason());
        }
        root.set("usage", usage(request, choices));
        return Json.toLine(root);
    }

    /** The events of the streamed form, each a {@code chat.completion.chunk} JSON text, without {@code [DONE]}. */
    static List<String> completionEvents(List<String> contents, JsonNode request) {
        List<Rendered> choices = render(contents, request);
        boolean logprobs = request.path("logprobs").asBoolean(false);
        int top = request.path("top_logprobs").asInt(0);
        boolean includeUsage = request.path("stream_options").path("include_usage").asBoolean(false);
        String model = request.path("model").asText("loopback");
        List<String> events = new ArrayList<>();
        int longest = choices.stream().mapToInt(c -> c.pieces().size()).max().orElse(0);
        for (int step = -1; step <= longest; step++) {
            for (Rendered c : choices) { // interleaved, as OpenAI does with n > 1
                ObjectNode chunk = Json.mapper().createObjectNode();
                chunk.put("id", "chatcmpl-test").put("object", "chat.completion.chunk").put("created", 0).put("model", model);
                ObjectNode choice = chunk.putArray("choices").addObject().put("index", c.index());
                if (step == -1) {
                    choice.putObject("delta").put("role", "assistant").put("content", "");
                    choice.putNull("logprobs");
                    choice.putNull("finish_reason");
                } else if (step < c.pieces().size()) {
                    choice.putObject("delta").put("content", c.pieces().get(step));
                    if (logprobs) {
                        choice.putObject("logprobs").putArray("content").add(logprob(c.pieces().get(step), step, top));
                    } else {
                        choice.putNull("logprobs");
                    }
                    choice.putNull("finish_reason");
                } else if (step == c.pieces().size()) {
                    choice.putObject("delta");
                    choice.putNull("logprobs");
                    choice.put("finish_reason", c.finishReason());
                } else {
                    continue;
                }
                if (includeUsage) {
                    chunk.putNull("usage");
                }
                events.add(Json.toLine(chunk));
            }
        }
        if (includeUsage) {
            ObjectNode last = Json.mapper().createObjectNode();
            last.put("id", "chatcmpl-test").put("object", "chat.completion.chunk").put("created", 0).put("model", model);
            last.putArray("choices");
            last.set("usage", usage(request, choices));
            events.add(Json.toLine(last));
        }
        return events;
    }

    private void sendCompletion(HttpExchange ex, List<String> contents, String requestBody) throws IOException {
        JsonNode request = requestJson(requestBody);
        if (request.path("stream").asBoolean(false)) {
            ex.getResponseHeaders().set("Content-Type", "text/event-stream");
            ex.getResponseHeaders().set("Cache-Control", "no-cache");
            ex.sendResponseHeaders(200, 0);
            try (OutputStream out = ex.getResponseBody()) {
                for (String e : completionEvents(contents, request)) {
                    write(out, ("data: " + e + "\n\n").getBytes(StandardCharsets.UTF_8));
                }
                write(out, "data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            }
        } else {
            ex.getResponseHeaders().set("Content-Type", "application/json");
            byte[] bytes = completionBody(contents, request).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                write(out, bytes);
            }
        }
    }

    // ------------------------------------------------------------------ faults

    private void sendFault(HttpExchange ex, Reply reply, String requestBody) throws IOException, InterruptedException {
        Fault f = reply.fault();
        JsonNode request = requestJson(requestBody);
        switch (f.kind()) {
            case TRICKLE -> {
                ex.getResponseHeaders().set("Content-Type", "application/json");
                ex.sendResponseHeaders(200, 0);
                byte[] body = completion("trickled").getBytes(StandardCharsets.UTF_8);
                try (OutputStream out = ex.getResponseBody()) {
                    for (long i = 0; i < f.bytes(); i++) {
                        byte b = i < body.length ? body[(int) i] : (byte) ' ';
                        write(out, new byte[] {b});
                        if (release.await(f.interval().toNanos(), TimeUnit.NANOSECONDS)) {
                            return;
                        }
                    }
                }
            }
            case HUGE -> {
                ex.getResponseHeaders().set("Content-Type", "application/json");
                ex.sendResponseHeaders(200, 0);
                try (OutputStream out = ex.getResponseBody()) {
                    write(out, "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\""
                            .getBytes(StandardCharsets.UTF_8));
                    byte[] block = new byte[64 * 1024];
                    java.util.Arrays.fill(block, (byte) 'x');
                    long left = f.bytes();
                    while (left > 0 && release.getCount() > 0) {
                        int n = (int) Math.min(block.length, left);
                        out.write(block, 0, n);
                        bytesSent.addAndGet(n);
                        left -= n;
                    }
                    write(out, "\"},\"finish_reason\":\"stop\"}]}".getBytes(StandardCharsets.UTF_8));
                }
            }
            case SILENCE_AFTER_HEADERS -> {
                ex.getResponseHeaders().set("Content-Type", "application/json");
                ex.sendResponseHeaders(200, 0);
                ex.getResponseBody().flush();
                release.await(30, TimeUnit.SECONDS);
            }
            case CUT_MID_BODY -> {
                ex.getResponseHeaders().set("Content-Type", "application/json");
                byte[] body = completionBody(List.of("a reply that will not arrive whole"), request).getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(200, body.length);
                OutputStream out = ex.getResponseBody();
                out.write(body, 0, body.length / 2);
                out.flush();
                bytesSent.addAndGet(body.length / 2);
                // closing the exchange with bytes missing makes the server drop the connection
            }
            case STREAM_THEN_CUT -> {
                ex.getResponseHeaders().set("Content-Type", "text/event-stream");
                ex.sendResponseHeaders(200, 0);
                List<String> events = completionEvents(reply.completion(), request);
                try (OutputStream out = ex.getResponseBody()) {
                    for (int i = 0; i < Math.min(f.bytes(), events.size()); i++) {
                        write(out, ("data: " + events.get(i) + "\n\n").getBytes(StandardCharsets.UTF_8));
                    }
                }
            }
            default -> throw new IllegalStateException("unknown fault " + f.kind());
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
