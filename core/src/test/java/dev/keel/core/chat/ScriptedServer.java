package dev.keel.core.chat;

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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A real HTTP server on loopback that answers each request with the next scripted reply (or, when
 * the script is empty, with the fallback handler) and records what arrived.
 */
final class ScriptedServer implements AutoCloseable {

    /** A request as it arrived. */
    record Received(String method, String path, String authorization, String contentType, String body) {
    }

    /** A reply to send; {@code hang} holds the request open until the server closes. */
    record Reply(int status, String body, List<String> headers, boolean hang) {
        static Reply of(int status, String body, String... headerPairs) {
            return new Reply(status, body, List.of(headerPairs), false);
        }
    }

    /** Computes a reply from a request (runs on a server thread; may block briefly). */
    @FunctionalInterface
    interface Handler {
        Reply handle(Received request) throws Exception;
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "scripted-server");
        t.setDaemon(true);
        return t;
    });
    private final Deque<Reply> script = new ArrayDeque<>();
    private final List<Received> received = new ArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private volatile Handler fallback = r -> Reply.of(500, "{\"error\":\"no scripted reply left\"}");

    private ScriptedServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    static ScriptedServer start() throws IOException {
        return new ScriptedServer();
    }

    /** The base URL to give the client: {@code http://127.0.0.1:<port>/v1}. */
    String baseUrl() {
        return "http://" + server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort() + "/v1";
    }

    ScriptedServer then(int status, String body, String... headerPairs) {
        synchronized (script) {
            script.add(Reply.of(status, body, headerPairs));
        }
        return this;
    }

    ScriptedServer thenReply(String content) {
        return then(200, completion(content), "Content-Type", "application/json");
    }

    /** The next request is held open (never answered) until the server closes. */
    ScriptedServer thenHang() {
        synchronized (script) {
            script.add(new Reply(0, "", List.of(), true));
        }
        return this;
    }

    /** Answers requests once the script is used up. */
    ScriptedServer otherwise(Handler handler) {
        this.fallback = handler;
        return this;
    }

    List<Received> received() {
        synchronized (received) {
            return List.copyOf(received);
        }
    }

    int count() {
        synchronized (received) {
            return received.size();
        }
    }

    /** Waits up to {@code millis} for at least {@code n} requests, then returns the count. */
    int awaitCount(int n, long millis) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (count() < n && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        return count();
    }

    /** An OpenAI-style completion whose {@code choices[0].message.content} is {@code content}. */
    static String completion(String content) {
        ObjectNode root = Json.mapper().createObjectNode();
        root.put("id", "chatcmpl-1").put("object", "chat.completion");
        root.putArray("choices").addObject().put("index", 0).put("finish_reason", "stop")
                .putObject("message").put("role", "assistant").put("content", content);
        return Json.toLine(root);
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String body;
            try (InputStream in = ex.getRequestBody()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            Received req = new Received(ex.getRequestMethod(), ex.getRequestURI().getPath(),
                    ex.getRequestHeaders().getFirst("Authorization"), ex.getRequestHeaders().getFirst("Content-Type"), body);
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

    @Override
    public void close() {
        release.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
