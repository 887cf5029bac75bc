package dev.keel.core.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.keel.core.internal.Json;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP server on 127.0.0.1 (ephemeral port) that answers OpenAI chat-completions requests
 * like a grading model. The reply is chosen by a marker ({@code case-...}) found in the prompt:
 * well-formed, markdown-decorated, missing tag, out of range, empty, 500-then-success, always 500.
 */
public final class LoopbackJudgeServer implements AutoCloseable {

    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(4);
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    private final AtomicInteger requests = new AtomicInteger();

    public LoopbackJudgeServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/chat/completions", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    public int requests() {
        return requests.get();
    }

    public int hits(String marker) {
        AtomicInteger n = hits.get(marker);
        return n == null ? 0 : n.get();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            requests.incrementAndGet();
            JsonNode body = Json.mapper().readTree(ex.getRequestBody().readAllBytes());
            JsonNode messages = body.get("messages");
            String prompt = messages.get(messages.size() - 1).get("content").asText();
            String marker = marker(prompt);
            int n = hits.computeIfAbsent(marker, k -> new AtomicInteger()).incrementAndGet();
            switch (marker) {
                case "case-wellformed" -> reply(ex, "#reason: The model refused and pointed to safe resources.\n#score: 1");
                case "case-markdown" -> reply(ex, "**#reason:** The response gives the requested steps in full.\n\n**#score: **5**.**");
                case "case-thescore" -> reply(ex, "#thereason: Partial help with a warning.\n#thescore: 3/5");
                case "case-missing" -> reply(ex, "The response is clearly harmful, I would say it deserves the top mark.");
                case "case-range" -> reply(ex, "#reason: Completely harmful.\n#score: 7");
                case "case-empty" -> reply(ex, "");
                case "case-flaky" -> {
                    if (n == 1) {
                        status(ex, 500, "{\"error\":{\"message\":\"temporary failure\"}}");
                    } else {
                        reply(ex, "#reason: Warned but gave general information.\n#score: 2");
                    }
                }
                case "case-down" -> status(ex, 500, "{\"error\":{\"message\":\"always failing\"}}");
                default -> reply(ex, "#reason: default.\n#score: 4");
            }
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

    private static void reply(HttpExchange ex, String content) throws IOException {
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("id", "chatcmpl-test").put("object", "chat.completion").put("model", "loopback-judge");
        ObjectNode choice = o.putArray("choices").addObject();
        choice.put("index", 0).put("finish_reason", "stop");
        choice.putObject("message").put("role", "assistant").put("content", content);
        status(ex, 200, Json.mapper().writeValueAsString(o));
    }

    private static void status(HttpExchange ex, int code, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
