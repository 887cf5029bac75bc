package dev.keel.core.chat;

import dev.keel.core.chat.internal.HttpTransport;
import dev.keel.core.chat.internal.OpenAiWire;
import dev.keel.core.internal.Preconditions;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.DoubleSupplier;
import java.util.function.UnaryOperator;

/**
 * A client for an OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, llama.cpp server, TGI,
 * Ollama's {@code /v1}, ...), built on {@link java.net.http.HttpClient} with no further dependencies.
 *
 * <p>Each request is a {@code POST {baseUrl}/chat/completions}; the reply is
 * {@code choices[0].message.content}. Failures are retried under the model's {@link RetryPolicy}
 * ({@link Builder#retryPolicy(RetryPolicy)}; by default HTTP 408, 429 and 5xx, timeouts and I/O
 * errors, at most 3 times, with exponential backoff and jitter). A {@code Retry-After} header on
 * 429 or 503 (seconds or an HTTP date) replaces the computed delay, capped at the policy's maximum
 * backoff. Other 4xx statuses fail at once. At most {@link Builder#maxConcurrency(int) maxConcurrency}
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

    static final int MAX_CONCURRENCY_LIMIT = 256;

    private final String model;
    private final int maxConcurrency;
    private final HttpTransport transport;
    private final OpenAiWire wire;
    private final AtomicBoolean closed = new AtomicBoolean();

    private OpenAiChatModel(Builder b, String apiKey, RetryPolicy policy) {
        this.model = b.model;
        this.maxConcurrency = b.maxConcurrency;
        this.transport = new HttpTransport(b.endpoint, apiKey, b.connectTimeout, b.requestTimeout, policy,
                b.maxConcurrency, b.sleeper, b.clock, b.jitter);
        this.wire = new OpenAiWire(model, b.endpoint, transport::snippet);
    }

    /**
     * A builder; {@link Builder#baseUrl(String) baseUrl} and {@link Builder#model(String) model} are required.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Generates one reply per request, concurrently within the concurrency limit, in the order of
     * {@code requests}. A request that fails after its retries comes back as a
     * {@link ChatResponse#failed failed} response; this method does not throw for it.
     *
     * @param requests the requests
     * @return one response per request, in order
     * @throws NullPointerException     if {@code requests} is null
     * @throws IllegalArgumentException if {@code requests} holds null
     * @throws IllegalStateException    if this model is closed
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
        return transport.runAll(requests, this::call, "OpenAiChatModel");
    }

    /**
     * The model name sent with each request.
     *
     * @return the model name
     */
    @Override
    public String id() {
        return model;
    }

    /**
     * The URI requests are posted to: {@code {baseUrl}/chat/completions}.
     *
     * @return the endpoint
     */
    public URI endpoint() {
        return transport.endpoint();
    }

    /**
     * The most requests this model has in flight at a time.
     *
     * @return the concurrency limit
     */
    public int maxConcurrency() {
        return maxConcurrency;
    }

    /**
     * How many times a failed request is retried (the policy's {@link RetryPolicy#maxRetries()}).
     *
     * @return the retry count
     */
    public int maxRetries() {
        return transport.policy().maxRetries();
    }

    /**
     * The retry policy the HTTP transport applies to each request.
     *
     * @return the policy
     */
    public RetryPolicy retryPolicy() {
        return transport.policy();
    }

    /** Stops the worker threads; requests in progress complete. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            transport.close();
        }
    }

    @Override
    public String toString() {
        return "OpenAiChatModel[endpoint=" + endpoint() + ", model=" + model + ", apiKey="
                + (transport.hasApiKey() ? "set" : "none") + ", maxConcurrency=" + maxConcurrency
                + ", maxRetries=" + maxRetries() + "]";
    }

    /** The delay before retry {@code retry}, as the transport computes it (for tests). */
    Duration backoffDelay(int retry) {
        return transport.backoffDelay(retry);
    }

    /** Parses a {@code Retry-After} value as the transport does (for tests). */
    static Optional<Duration> parseRetryAfter(String value, Instant now) {
        return HttpTransport.parseRetryAfter(value, now);
    }

    private void checkOpen() {
        Preconditions.checkState(!closed.get(), "OpenAiChatModel for " + endpoint() + " is closed");
    }

    /** One request with its retries; never throws. */
    private ChatResponse call(ChatRequest request) {
        try {
            return ChatResponse.ok(wire.parseReply(transport.post(wire.requestBody(request))));
        } catch (ChatModelException e) {
            return ChatResponse.failed(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ChatResponse.failed(HttpTransport.interruptedFailure());
        } catch (RuntimeException e) {
            return ChatResponse.failed(new ChatModelException(ChatModelException.Kind.OTHER,
                    "chat request to " + endpoint() + " failed: " + e, e));
        }
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
        private RetryPolicy.Builder retry = RetryPolicy.builder();
        private int maxConcurrency = 4;
        private HttpTransport.Sleeper sleeper = d -> Thread.sleep(d.toMillis());
        private Clock clock = Clock.systemUTC();
        private DoubleSupplier jitter = () -> ThreadLocalRandom.current().nextDouble();
        private UnaryOperator<String> environment = System::getenv;

        private Builder() {
        }

        /**
         * The API's base URL, e.g. {@code http://localhost:8000/v1}; requests go to
         * {@code {baseUrl}/chat/completions}. Must be absolute http or https.
         *
         * @param baseUrl the base URL, without query or fragment
         * @return this builder
         * @throws NullPointerException     if {@code baseUrl} is null
         * @throws IllegalArgumentException if {@code baseUrl} is blank, not a valid URI, not absolute
         *                                  http(s), or has a query or fragment
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

        /**
         * The model name sent with each request (and returned by {@link OpenAiChatModel#id()}).
         *
         * @param model the model name
         * @return this builder
         * @throws NullPointerException     if {@code model} is null
         * @throws IllegalArgumentException if {@code model} is blank
         */
        public Builder model(String model) {
            this.model = Preconditions.notBlank(model, "model").strip();
            return this;
        }

        /**
         * The name of the environment variable that holds the API key, e.g. {@code OPENAI_API_KEY};
         * it is read by {@link #build()}, which fails if it is unset or blank. Replaces
         * {@link #apiKey(String)}. Without either, no {@code Authorization} header is sent.
         *
         * @param variableName the variable's name
         * @return this builder
         * @throws NullPointerException     if {@code variableName} is null
         * @throws IllegalArgumentException if {@code variableName} is blank
         */
        public Builder apiKeyEnv(String variableName) {
            Preconditions.notBlank(variableName, "apiKeyEnv");
            this.apiKeyEnv = variableName.strip();
            this.apiKey = null;
            return this;
        }

        /**
         * The API key itself (prefer {@link #apiKeyEnv(String)} outside tests). Replaces
         * {@link #apiKeyEnv(String)}.
         *
         * @param apiKey the key
         * @return this builder
         * @throws NullPointerException     if {@code apiKey} is null
         * @throws IllegalArgumentException if {@code apiKey} is blank, or holds surrounding
         *                                  whitespace or control characters (the value is not echoed)
         */
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

        /**
         * How long to wait for a connection; default 10 s.
         *
         * @param connectTimeout at least 1 ms
         * @return this builder
         * @throws NullPointerException     if {@code connectTimeout} is null
         * @throws IllegalArgumentException if {@code connectTimeout} is under 1 ms
         */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = positive(connectTimeout, "connectTimeout");
            return this;
        }

        /**
         * How long to wait for each attempt's response; default 120 s.
         *
         * @param requestTimeout at least 1 ms
         * @return this builder
         * @throws NullPointerException     if {@code requestTimeout} is null
         * @throws IllegalArgumentException if {@code requestTimeout} is under 1 ms
         */
        public Builder requestTimeout(Duration requestTimeout) {
            this.requestTimeout = positive(requestTimeout, "requestTimeout");
            return this;
        }

        /**
         * When and how failed requests are retried; default {@link RetryPolicy#defaults()}.
         * Replaces the values set by {@link #maxRetries(int)}, {@link #retryBaseDelay(Duration)} and
         * {@link #retryMaxDelay(Duration)}, which later calls adjust.
         *
         * @param policy the policy
         * @return this builder
         * @throws NullPointerException if {@code policy} is null
         */
        public Builder retryPolicy(RetryPolicy policy) {
            this.retry = Preconditions.notNull(policy, "retryPolicy").toBuilder();
            return this;
        }

        /**
         * Shortcut that sets the retry policy's {@link RetryPolicy.Builder#maxRetries(int) maxRetries}.
         *
         * @param maxRetries retries per request, in {@code [0, 10]}; default 3
         * @return this builder
         * @throws IllegalArgumentException if {@code maxRetries} is out of range
         */
        public Builder maxRetries(int maxRetries) {
            retry.maxRetries(maxRetries);
            return this;
        }

        /**
         * Shortcut that sets the retry policy's {@link RetryPolicy.Builder#initialBackoff(Duration)
         * initialBackoff}: the delay before the first retry, doubled for each further one (with
         * jitter); default 500 ms.
         *
         * @param retryBaseDelay at least 1 ms
         * @return this builder
         * @throws NullPointerException     if {@code retryBaseDelay} is null
         * @throws IllegalArgumentException if {@code retryBaseDelay} is under 1 ms
         */
        public Builder retryBaseDelay(Duration retryBaseDelay) {
            retry.initialBackoff(positive(retryBaseDelay, "retryBaseDelay"));
            return this;
        }

        /**
         * Shortcut that sets the retry policy's {@link RetryPolicy.Builder#maxBackoff(Duration)
         * maxBackoff}: the longest delay between attempts, also the most a {@code Retry-After} is
         * honoured; default 30 s.
         *
         * @param retryMaxDelay at least 1 ms
         * @return this builder
         * @throws NullPointerException     if {@code retryMaxDelay} is null
         * @throws IllegalArgumentException if {@code retryMaxDelay} is under 1 ms
         */
        public Builder retryMaxDelay(Duration retryMaxDelay) {
            retry.maxBackoff(positive(retryMaxDelay, "retryMaxDelay"));
            return this;
        }

        /**
         * The most requests in flight at a time; default 4.
         *
         * @param maxConcurrency in {@code [1, 256]}
         * @return this builder
         * @throws IllegalArgumentException if {@code maxConcurrency} is out of range
         */
        public Builder maxConcurrency(int maxConcurrency) {
            this.maxConcurrency = Preconditions.checkInRange(maxConcurrency, 1, MAX_CONCURRENCY_LIMIT, "maxConcurrency");
            return this;
        }

        Builder sleeper(HttpTransport.Sleeper sleeper) {
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
         * @return the model, which owns its HTTP client and threads until {@link OpenAiChatModel#close()}
         * @throws IllegalStateException if the base URL or model is missing, the retry delays are
         *                               inconsistent, or the API key variable is unset
         */
        public OpenAiChatModel build() {
            Preconditions.checkState(endpoint != null, "baseUrl must be set");
            Preconditions.checkState(model != null, "model must be set");
            RetryPolicy policy = retry.build();
            String key = apiKey;
            if (apiKeyEnv != null) {
                key = environment.apply(apiKeyEnv);
                Preconditions.checkState(key != null && !key.isBlank(),
                        "environment variable " + apiKeyEnv + " (the API key) is not set or blank");
                key = key.strip();
            }
            return new OpenAiChatModel(this, key, policy);
        }

        private static Duration positive(Duration d, String name) {
            Preconditions.notNull(d, name);
            Preconditions.checkArgument(!d.isNegative() && !d.isZero() && d.toMillis() > 0,
                    name + " must be at least 1 ms, was " + d);
            return d;
        }
    }
}
