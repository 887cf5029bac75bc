package dev.keel.core.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.internal.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;
import java.util.function.UnaryOperator;

/**
 * A client for an OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, llama.cpp server, TGI,
 * Ollama's {@code /v1}, ...), built on {@link HttpClient} with no further dependencies.
 *
 * <p>Each request is a {@code POST {baseUrl}/chat/completions}; the reply is
 * {@code choices[0].message.content}. Failures are retried with exponential backoff and jitter:
 * HTTP 408, 429 and 5xx, timeouts and I/O errors, at most {@link Builder#maxRetries(int) maxRetries}
 * times. A {@code Retry-After} header on 429 or 503 (seconds or an HTTP date) replaces the computed
 * delay. Other 4xx statuses fail at once. At most {@link Builder#maxConcurrency(int) maxConcurrency}
 * requests are in flight at a time; {@link #generateAll} runs a batch concurrently within that limit
 * and returns the replies in order.
 *
 * <p>The API key is read from a named environment variable (or given directly) and sent as
 * {@code Authorization: Bearer ...}; it never appears in logs, exception messages or
 * {@link #toString()}.
 *
 * <pre>{@code
 * try (OpenAiChatModel model = OpenAiChatModel.builder()
 *         .baseUrl("http://localhost:8000/v1")
 *         .model("meta-llama/Llama-3.1-8B-Instruct")
 *         .apiKeyEnv("OPENAI_API_KEY")
 *         .maxConcurrency(8)
 *         .build()) {
 *     List<ChatResponse> replies = model.generateAll(requests);
 * }
 * }</pre>
 *
 * <p>Instances are thread-safe. {@link #close()} is idempotent; requests in progress complete, and
 * any later use throws {@link IllegalStateException}.
 */
public final class OpenAiChatModel implements ChatModel {

    /** Waits between attempts; replaced in tests so that they do not wait for real. */
    @FunctionalInterface
    interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    static final int DEFAULT_MAX_RETRIES = 3;
    static final int MAX_MAX_RETRIES = 10;
    static final int MAX_CONCURRENCY_LIMIT = 256;
    static final int SNIPPET_LENGTH = 200;

    private static final Logger LOG = LoggerFactory.getLogger(OpenAiChatModel.class);
    private static final AtomicInteger POOL_NUMBER = new AtomicInteger();

    private final URI endpoint;
    private final String model;
    private final String apiKey;
    private final Duration requestTimeout;
    private final int maxRetries;
    private final Duration retryBaseDelay;
    private final Duration retryMaxDelay;
    private final int maxConcurrency;
    private final Sleeper sleeper;
    private final Clock clock;
    private final DoubleSupplier jitter;
    private final HttpClient client;
    private final Semaphore permits;
    private final ExecutorService executor;
    private final AtomicBoolean closed = new AtomicBoolean();

    private OpenAiChatModel(Builder b, String apiKey) {
        this.endpoint = b.endpoint;
        this.model = b.model;
        this.apiKey = apiKey;
        this.requestTimeout = b.requestTimeout;
        this.maxRetries = b.maxRetries;
        this.retryBaseDelay = b.retryBaseDelay;
        this.retryMaxDelay = b.retryMaxDelay;
        this.maxConcurrency = b.maxConcurrency;
        this.sleeper = b.sleeper;
        this.clock = b.clock;
        this.jitter = b.jitter;
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(b.connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.permits = new Semaphore(maxConcurrency, true);
        this.executor = Executors.newFixedThreadPool(maxConcurrency, daemonThreads());
    }

    /** A builder; {@link Builder#baseUrl(String) baseUrl} and {@link Builder#model(String) model} are required. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Generates one reply per request, concurrently within the concurrency limit, in the order of
     * {@code requests}. A request that fails after its retries comes back as a
     * {@link ChatResponse#failed failed} response; this method does not throw for it.
     *
     * @throws IllegalStateException if this model is closed
     */
    @Override
    public List<ChatResponse> generateAll(List<ChatRequest> requests) {
        Preconditions.noNulls(requests, "requests");
        checkOpen();
        if (requests.isEmpty()) {
            return List.of();
        }
        if (requests.size() == 1) {
            return List.of(call(requests.get(0)));
        }
        List<Future<ChatResponse>> futures = new ArrayList<>(requests.size());
        try {
            for (ChatRequest r : requests) {
                futures.add(executor.submit(() -> call(r)));
            }
        } catch (RejectedExecutionException e) {
            futures.forEach(f -> f.cancel(true));
            throw new IllegalStateException("OpenAiChatModel for " + endpoint + " was closed during generateAll", e);
        }
        List<ChatResponse> out = new ArrayList<>(requests.size());
        boolean interrupted = false;
        for (Future<ChatResponse> f : futures) {
            if (interrupted) {
                f.cancel(true);
                out.add(ChatResponse.failed(interruptedFailure()));
                continue;
            }
            try {
                out.add(f.get());
            } catch (InterruptedException e) {
                interrupted = true;
                f.cancel(true);
                out.add(ChatResponse.failed(interruptedFailure()));
            } catch (CancellationException e) {
                out.add(ChatResponse.failed(interruptedFailure()));
            } catch (ExecutionException e) {
                out.add(ChatResponse.failed(new ChatModelException(ChatModelException.Kind.OTHER,
                        "chat request failed: " + e.getCause(), e.getCause())));
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return out;
    }

    /** The model name sent with each request. */
    @Override
    public String id() {
        return model;
    }

    /** The URI requests are posted to: {@code {baseUrl}/chat/completions}. */
    public URI endpoint() {
        return endpoint;
    }

    /** The most requests this model has in flight at a time. */
    public int maxConcurrency() {
        return maxConcurrency;
    }

    /** How many times a failed request is retried. */
    public int maxRetries() {
        return maxRetries;
    }

    /** Stops the worker threads; requests in progress complete. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            executor.shutdown();
        }
    }

    @Override
    public String toString() {
        return "OpenAiChatModel[endpoint=" + endpoint + ", model=" + model + ", apiKey=" + (apiKey == null ? "none" : "set")
                + ", maxConcurrency=" + maxConcurrency + ", maxRetries=" + maxRetries + "]";
    }

    private void checkOpen() {
        Preconditions.checkState(!closed.get(), "OpenAiChatModel for " + endpoint + " is closed");
    }

    /** One request with its retries; never throws. */
    private ChatResponse call(ChatRequest request) {
        try {
            return ChatResponse.ok(execute(request));
        } catch (ChatModelException e) {
            return ChatResponse.failed(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ChatResponse.failed(interruptedFailure());
        } catch (RuntimeException e) {
            return ChatResponse.failed(new ChatModelException(ChatModelException.Kind.OTHER,
                    "chat request to " + endpoint + " failed: " + e, e));
        }
    }

    private static ChatModelException interruptedFailure() {
        return new ChatModelException(ChatModelException.Kind.INTERRUPTED, "interrupted while waiting for a chat reply");
    }

    private String execute(ChatRequest request) throws InterruptedException {
        HttpRequest httpRequest = httpRequest(request);
        int attempts = maxRetries + 1;
        for (int attempt = 1; ; attempt++) {
            Attempt a = attempt(httpRequest);
            if (a.reply != null) {
                return a.reply;
            }
            ChatModelException failure = a.failure;
            if (!a.retryable || attempt >= attempts) {
                if (a.retryable && attempts > 1) {
                    throw new ChatModelException(failure.kind(), failure.statusCode(),
                            failure.getMessage() + " (after " + attempts + " attempts)", failure.getCause());
                }
                throw failure;
            }
            int retry = attempt - 1;
            Duration delay = a.retryAfter.map(this::capDelay).orElseGet(() -> backoffDelay(retry));
            LOG.warn("Chat request failed on attempt {}/{} ({}); retrying in {} ms",
                    attempt, attempts, failure.getMessage(), delay.toMillis());
            sleeper.sleep(delay);
        }
    }

    /** The outcome of one attempt: a reply, or a failure that may be retried. */
    private static final class Attempt {
        final String reply;
        final ChatModelException failure;
        final boolean retryable;
        final Optional<Duration> retryAfter;

        private Attempt(String reply, ChatModelException failure, boolean retryable, Optional<Duration> retryAfter) {
            this.reply = reply;
            this.failure = failure;
            this.retryable = retryable;
            this.retryAfter = retryAfter;
        }

        static Attempt ok(String reply) {
            return new Attempt(reply, null, false, Optional.empty());
        }

        static Attempt failed(ChatModelException failure, boolean retryable, Optional<Duration> retryAfter) {
            return new Attempt(null, failure, retryable, retryAfter);
        }
    }

    private Attempt attempt(HttpRequest httpRequest) throws InterruptedException {
        HttpResponse<String> response;
        permits.acquire();
        try {
            response = client.send(httpRequest, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (HttpTimeoutException e) {
            return Attempt.failed(new ChatModelException(ChatModelException.Kind.TIMEOUT,
                    "no reply from " + endpoint + " within the timeout: " + e.getMessage(), e), true, Optional.empty());
        } catch (IOException e) {
            return Attempt.failed(new ChatModelException(ChatModelException.Kind.IO,
                    "I/O error talking to " + endpoint + ": " + e, e), true, Optional.empty());
        } finally {
            permits.release();
        }
        int status = response.statusCode();
        String body = response.body() == null ? "" : response.body();
        if (status >= 200 && status < 300) {
            return Attempt.ok(parseReply(body));
        }
        ChatModelException failure = new ChatModelException(ChatModelException.Kind.HTTP_STATUS, status,
                "HTTP " + status + " from " + endpoint + ": " + snippet(body), null);
        boolean retryable = status == 408 || status == 429 || status >= 500;
        Optional<Duration> retryAfter = Optional.empty();
        if (status == 429 || status == 503) {
            retryAfter = response.headers().firstValue("Retry-After").flatMap(v -> parseRetryAfter(v, clock.instant()));
        }
        return Attempt.failed(failure, retryable, retryAfter);
    }

    private HttpRequest httpRequest(ChatRequest request) {
        HttpRequest.Builder b = HttpRequest.newBuilder(endpoint)
                .timeout(requestTimeout)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(requestBody(request), StandardCharsets.UTF_8));
        if (apiKey != null) {
            b.header("Authorization", "Bearer " + apiKey);
        }
        return b.build();
    }

    /** The JSON body of the chat-completions request. */
    String requestBody(ChatRequest request) {
        ObjectMapper m = Json.mapper();
        ObjectNode root = m.createObjectNode();
        root.put("model", model);
        ArrayNode messages = root.putArray("messages");
        for (ChatMessage msg : request.messages()) {
            messages.addObject().put("role", msg.role().wireName()).put("content", msg.content());
        }
        GenerationOptions o = request.options();
        root.put("temperature", o.temperature());
        root.put("top_p", o.topP());
        root.put("max_tokens", o.maxTokens());
        if (!o.stop().isEmpty()) {
            ArrayNode stop = root.putArray("stop");
            o.stop().forEach(stop::add);
        }
        if (o.seed() != null) {
            root.put("seed", o.seed().longValue());
        }
        try {
            return m.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the chat request as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** Reads {@code choices[0].message.content}, or throws a MALFORMED_RESPONSE naming what is missing. */
    String parseReply(String body) {
        JsonNode root;
        try {
            root = Json.mapper().readTree(body);
        } catch (JsonProcessingException e) {
            throw malformed("the reply is not valid JSON (" + e.getOriginalMessage() + ")", body, e);
        }
        if (root == null || !root.isObject()) {
            throw malformed("the reply is not a JSON object", body, null);
        }
        JsonNode choices = root.get("choices");
        if (choices == null || !choices.isArray() || choices.isEmpty()) {
            JsonNode error = root.get("error");
            if (error != null && !error.isNull()) {
                JsonNode message = error.isObject() ? error.get("message") : error;
                throw malformed("the reply holds an error instead of choices: "
                        + snippet(message == null ? error.toString() : message.asText()), body, null);
            }
            throw malformed("the reply has no non-empty \"choices\" array", body, null);
        }
        JsonNode message = choices.get(0).get("message");
        if (message == null || !message.isObject()) {
            throw malformed("the reply has no \"choices[0].message\" object", body, null);
        }
        JsonNode content = message.get("content");
        if (content == null || !content.isTextual()) {
            throw malformed("the reply's \"choices[0].message.content\" is "
                    + (content == null ? "missing" : content.getNodeType().toString().toLowerCase(Locale.ROOT))
                    + ", expected a string", body, null);
        }
        return content.asText();
    }

    private ChatModelException malformed(String problem, String body, Throwable cause) {
        return new ChatModelException(ChatModelException.Kind.MALFORMED_RESPONSE, 200,
                "malformed reply from " + endpoint + ": " + problem + "; body: " + snippet(body), cause);
    }

    /** The start of {@code text} on one line, at most {@link #SNIPPET_LENGTH} characters, with the key masked. */
    String snippet(String text) {
        String s = text == null ? "" : text;
        if (apiKey != null) {
            s = s.replace(apiKey, "***");
        }
        s = s.replaceAll("\\s+", " ").strip();
        if (s.length() > SNIPPET_LENGTH) {
            s = s.substring(0, SNIPPET_LENGTH) + "...";
        }
        return s.isEmpty() ? "(empty body)" : s;
    }

    /**
     * The delay before retry {@code retry} (0 for the first): {@code d = min(cap, base * 2^retry)},
     * then "equal jitter", a value in {@code [d/2, d]}.
     */
    Duration backoffDelay(int retry) {
        long base = retryBaseDelay.toMillis();
        long cap = retryMaxDelay.toMillis();
        long d = base;
        for (int i = 0; i < retry && d < cap; i++) {
            d *= 2;
        }
        d = Math.min(d, cap);
        double j = Math.min(1.0, Math.max(0.0, jitter.getAsDouble()));
        return Duration.ofMillis(d / 2 + Math.round((d - d / 2) * j));
    }

    private Duration capDelay(Duration d) {
        return d.compareTo(retryMaxDelay) > 0 ? retryMaxDelay : d;
    }

    /**
     * Parses a {@code Retry-After} value: whole seconds, or an HTTP date (RFC 1123) measured from
     * {@code now}. A date in the past gives zero; anything unreadable gives empty.
     */
    static Optional<Duration> parseRetryAfter(String value, Instant now) {
        if (value == null) {
            return Optional.empty();
        }
        String v = value.strip();
        if (v.isEmpty()) {
            return Optional.empty();
        }
        if (v.chars().allMatch(c -> c >= '0' && c <= '9')) {
            try {
                return Optional.of(Duration.ofSeconds(Long.parseLong(v)));
            } catch (NumberFormatException e) {
                return Optional.empty(); // more digits than a long holds
            }
        }
        try {
            Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            Duration d = Duration.between(now, at);
            return Optional.of(d.isNegative() ? Duration.ZERO : d);
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private static ThreadFactory daemonThreads() {
        int pool = POOL_NUMBER.incrementAndGet();
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "keel-openai-" + pool + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Builds an {@link OpenAiChatModel}; each value is checked as it is set, and {@link #build()}
     * checks that the base URL and model were given.
     */
    public static final class Builder {
        private URI endpoint;
        private String model;
        private String apiKey;
        private String apiKeyEnv;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration requestTimeout = Duration.ofSeconds(120);
        private int maxRetries = DEFAULT_MAX_RETRIES;
        private Duration retryBaseDelay = Duration.ofMillis(500);
        private Duration retryMaxDelay = Duration.ofSeconds(30);
        private int maxConcurrency = 4;
        private Sleeper sleeper = d -> Thread.sleep(d.toMillis());
        private Clock clock = Clock.systemUTC();
        private DoubleSupplier jitter = () -> ThreadLocalRandom.current().nextDouble();
        private UnaryOperator<String> environment = System::getenv;

        private Builder() {
        }

        /**
         * The API's base URL, e.g. {@code http://localhost:8000/v1}; requests go to
         * {@code {baseUrl}/chat/completions}. Must be absolute http or https.
         */
        public Builder baseUrl(String baseUrl) {
            Preconditions.notBlank(baseUrl, "baseUrl");
            String s = baseUrl.strip();
            while (s.endsWith("/")) {
                s = s.substring(0, s.length() - 1);
            }
            URI uri;
            try {
                uri = new URI(s + "/chat/completions");
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("baseUrl must be a valid URI, was \"" + baseUrl + "\": " + e.getReason(), e);
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            Preconditions.checkArgument((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null,
                    "baseUrl must be an absolute http or https URL, was \"" + baseUrl + "\"");
            Preconditions.checkArgument(uri.getRawQuery() == null && uri.getRawFragment() == null,
                    "baseUrl must not have a query or fragment, was \"" + baseUrl + "\"");
            this.endpoint = uri;
            return this;
        }

        /** The model name sent with each request (and returned by {@link OpenAiChatModel#id()}). */
        public Builder model(String model) {
            this.model = Preconditions.notBlank(model, "model").strip();
            return this;
        }

        /**
         * The name of the environment variable that holds the API key, e.g. {@code OPENAI_API_KEY};
         * it is read by {@link #build()}, which fails if it is unset or blank. Replaces
         * {@link #apiKey(String)}. Without either, no {@code Authorization} header is sent.
         */
        public Builder apiKeyEnv(String variableName) {
            Preconditions.notBlank(variableName, "apiKeyEnv");
            this.apiKeyEnv = variableName.strip();
            this.apiKey = null;
            return this;
        }

        /** The API key itself (prefer {@link #apiKeyEnv(String)} outside tests). Replaces {@link #apiKeyEnv(String)}. */
        public Builder apiKey(String apiKey) {
            Preconditions.notNull(apiKey, "apiKey");
            // The value is never echoed, not even in the error message.
            Preconditions.checkArgument(!apiKey.isBlank(), "apiKey must not be blank");
            Preconditions.checkArgument(apiKey.strip().equals(apiKey) && apiKey.chars().noneMatch(Character::isISOControl),
                    "apiKey must not hold whitespace at either end or control characters");
            this.apiKey = apiKey;
            this.apiKeyEnv = null;
            return this;
        }

        /** How long to wait for a connection; default 10 s. */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = positive(connectTimeout, "connectTimeout");
            return this;
        }

        /** How long to wait for each attempt's response; default 120 s. */
        public Builder requestTimeout(Duration requestTimeout) {
            this.requestTimeout = positive(requestTimeout, "requestTimeout");
            return this;
        }

        /** How many times a failed request is retried, in {@code [0, 10]}; default 3. */
        public Builder maxRetries(int maxRetries) {
            this.maxRetries = Preconditions.checkInRange(maxRetries, 0, MAX_MAX_RETRIES, "maxRetries");
            return this;
        }

        /** The delay before the first retry, doubled for each further one (with jitter); default 500 ms. */
        public Builder retryBaseDelay(Duration retryBaseDelay) {
            this.retryBaseDelay = positive(retryBaseDelay, "retryBaseDelay");
            return this;
        }

        /** The longest delay between attempts, also the most a {@code Retry-After} is honoured; default 30 s. */
        public Builder retryMaxDelay(Duration retryMaxDelay) {
            this.retryMaxDelay = positive(retryMaxDelay, "retryMaxDelay");
            return this;
        }

        /** The most requests in flight at a time, in {@code [1, 256]}; default 4. */
        public Builder maxConcurrency(int maxConcurrency) {
            this.maxConcurrency = Preconditions.checkInRange(maxConcurrency, 1, MAX_CONCURRENCY_LIMIT, "maxConcurrency");
            return this;
        }

        Builder sleeper(Sleeper sleeper) {
            this.sleeper = Preconditions.notNull(sleeper, "sleeper");
            return this;
        }

        Builder clock(Clock clock) {
            this.clock = Preconditions.notNull(clock, "clock");
            return this;
        }

        Builder jitter(DoubleSupplier jitter) {
            this.jitter = Preconditions.notNull(jitter, "jitter");
            return this;
        }

        Builder environment(UnaryOperator<String> environment) {
            this.environment = Preconditions.notNull(environment, "environment");
            return this;
        }

        /**
         * Builds the model.
         *
         * @throws IllegalStateException if the base URL or model is missing, the retry delays are
         *                               inconsistent, or the API key variable is unset
         */
        public OpenAiChatModel build() {
            Preconditions.checkState(endpoint != null, "baseUrl must be set");
            Preconditions.checkState(model != null, "model must be set");
            Preconditions.checkState(retryMaxDelay.compareTo(retryBaseDelay) >= 0,
                    "retryMaxDelay must be >= retryBaseDelay, was " + retryMaxDelay + " < " + retryBaseDelay);
            String key = apiKey;
            if (apiKeyEnv != null) {
                key = environment.apply(apiKeyEnv);
                Preconditions.checkState(key != null && !key.isBlank(),
                        "environment variable " + apiKeyEnv + " (the API key) is not set or blank");
                key = key.strip();
            }
            return new OpenAiChatModel(this, key);
        }

        private static Duration positive(Duration d, String name) {
            Preconditions.notNull(d, name);
            Preconditions.checkArgument(!d.isNegative() && !d.isZero() && d.toMillis() > 0,
                    name + " must be at least 1 ms, was " + d);
            return d;
        }
    }
}
