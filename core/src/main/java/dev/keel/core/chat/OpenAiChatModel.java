package dev.keel.core.chat;

import dev.keel.core.chat.internal.HttpTransport;
import dev.keel.core.chat.internal.OpenAiWire;
import dev.keel.core.chat.internal.SecretMasker;
import dev.keel.core.internal.Preconditions;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
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
 * {@code choices[0].message.content}, and the {@link ChatResponse} also holds every choice (with
 * {@code finish_reason} and log probabilities) and the {@code usage}. {@link #generateStreaming}
 * asks for server-sent events ({@code "stream": true}) and passes each piece of text to a listener
 * as it arrives; the streamed response equals the one a plain request gives. Failures are retried under the model's {@link RetryPolicy}
 * ({@link Builder#retryPolicy(RetryPolicy)}; by default HTTP 408, 429 and 5xx, timeouts and I/O
 * errors, at most 3 times, with exponential backoff and jitter). A {@code Retry-After} header on
 * 429 or 503 (seconds or an HTTP date) replaces the computed delay, capped at the policy's maximum
 * backoff. Other 4xx statuses fail at once. At most {@link Builder#maxConcurrency(int) maxConcurrency}
 * requests are in flight at a time; {@link #generateAll} runs a batch concurrently within that limit
 * and returns the replies in order.
 *
 * <p>Every attempt has one deadline, {@link Builder#requestTimeout(Duration) requestTimeout}
 * (default 120 s), that covers the connection, the headers and the whole body, so a server that
 * trickles its body or goes silent cannot hold a call past it; {@link Builder#callTimeout(Duration)}
 * bounds a call with all its retries. A body larger than
 * {@link Builder#maxResponseBytes(long) maxResponseBytes} (default 8 MiB) is refused as it is read
 * (kind {@code TOO_LARGE}, not retried), never held whole in memory.
 *
 * <p>The API key is read from a named environment variable (or given directly) and sent as
 * {@code Authorization: Bearer ...}. A key is optional for a local server: when the variable named by
 * {@link Builder#apiKeyEnv(String) apiKeyEnv} is unset and the endpoint is on loopback
 * ({@code localhost}, {@code 127.0.0.0/8}, {@code ::1}), no key is sent; for any other host
 * {@link Builder#build()} fails. Credentials in the base URL ({@code http://user:password@host/v1})
 * are taken out of it and sent as HTTP Basic authentication. Neither the key nor URL credentials
 * ever appear in logs, exception messages, {@link #toString()} or {@link #endpoint()}; any
 * occurrence of them in text from the server (error bodies, and reply texts too) is replaced by
 * {@code ***}.
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
 * <p>Instances are thread-safe. {@link #close()} is idempotent; requests waiting or in flight end
 * at once as failed responses of kind {@code CLOSED}, and any later use throws
 * {@link IllegalStateException}.
 */
public final class OpenAiChatModel implements ChatModel {

    static final int MAX_CONCURRENCY_LIMIT = 256;

    private final String model;
    private final int maxConcurrency;
    private final HttpTransport transport;
    private final OpenAiWire wire;
    private final AtomicBoolean closed = new AtomicBoolean();

    private final SecretMasker masker;

    private OpenAiChatModel(Builder b, String authorization, SecretMasker masker, RetryPolicy policy) {
        this.model = b.model;
        this.maxConcurrency = b.maxConcurrency;
        this.masker = masker;
        this.transport = new HttpTransport(b.endpoint, authorization, masker, b.connectTimeout, b.requestTimeout,
                b.callTimeout, b.maxResponseBytes, policy, b.maxConcurrency, b.sleeper, b.clock, b.jitter);
        this.wire = new OpenAiWire(model, b.endpoint, transport::snippet, masker);
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
     * Generates the reply to {@code request} as a stream of server-sent events, passing each new piece
     * of text to {@code listener} on the calling thread as it arrives. A failure before the first
     * piece is retried under the {@link RetryPolicy}; once a piece was delivered the request is not
     * sent again (the listener would see text twice), and a failure ends it as a failed response.
     * The deadline ({@code requestTimeout}) and the size limit cover the whole stream. A server that
     * answers with plain JSON instead of a stream is accepted: each choice arrives as one piece.
     * An exception thrown by {@code listener} ends the request as a failed response of kind
     * {@code OTHER}.
     *
     * @param request  the request
     * @param listener receives each piece of each choice's text (secrets masked)
     * @return the whole response, equal to what {@link #generateAll} gives for the same reply
     * @throws NullPointerException  if an argument is null
     * @throws IllegalStateException if this model is closed
     */
    @Override
    public ChatResponse generateStreaming(ChatRequest request, ChatDeltaListener listener) {
        Preconditions.notNull(request, "request");
        Preconditions.notNull(listener, "listener");
        checkOpen();
        try {
            OpenAiWire.StreamAssembler assembler = wire.streamAssembler(listener);
            transport.postStreaming(wire.requestBody(request, true), assembler);
            return assembler.response();
        } catch (ChatModelException e) {
            return ChatResponse.failed(masked(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ChatResponse.failed(HttpTransport.interruptedFailure());
        } catch (RuntimeException e) {
            return ChatResponse.failed(new ChatModelException(ChatModelException.Kind.OTHER,
                    masker.mask("streamed chat request to " + endpoint() + " failed: " + e), null));
        }
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
     * The URI requests are posted to: {@code {baseUrl}/chat/completions}, without any user-info
     * the base URL held.
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

    /**
     * The largest response body read; a larger one fails with kind {@code TOO_LARGE}.
     *
     * @return the limit in bytes
     */
    public long maxResponseBytes() {
        return transport.maxResponseBytes();
    }

    /**
     * Ends requests waiting or in flight (each becomes a failed response of kind {@code CLOSED})
     * and stops the worker threads. Idempotent.
     */
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
            return wire.parseResponse(transport.post(wire.requestBody(request)));
        } catch (ChatModelException e) {
            return ChatResponse.failed(masked(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ChatResponse.failed(HttpTransport.interruptedFailure());
        } catch (RuntimeException e) {
            String message = "chat request to " + endpoint() + " failed: " + e;
            String m = masker.mask(message);
            return ChatResponse.failed(new ChatModelException(ChatModelException.Kind.OTHER, m, m.equals(message) ? e : null));
        }
    }

    /** {@code e} with its message masked (a parser's message may quote the body); a leaking cause is dropped. */
    private ChatModelException masked(ChatModelException e) {
        String message = e.getMessage() == null ? "" : e.getMessage();
        String m = masker.mask(message);
        Throwable cause = e.getCause();
        boolean causeLeaks = cause != null && cause.getMessage() != null && !masker.mask(cause.getMessage()).equals(cause.getMessage());
        if (m.equals(message) && !causeLeaks) {
            return e;
        }
        return new ChatModelException(e.kind(), e.statusCode(), m, causeLeaks ? null : cause);
    }

    /**
     * Builds an {@link OpenAiChatModel}; each value is checked as it is set, and {@link #build()}
     * checks that the base URL and model were given.
     */
    public static final class Builder {
        private URI endpoint;
        private String userInfo;
        private String rawUserInfo;
        private String model;
        private String apiKey;
        private String apiKeyEnv;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration requestTimeout = Duration.ofSeconds(120);
        private Duration callTimeout;
        private long maxResponseBytes = HttpTransport.DEFAULT_MAX_RESPONSE_BYTES;
        private RetryPolicy.Builder retry = RetryPolicy.builder();
        private int maxConcurrency = 4;
        private HttpTransport.Sleeper sleeper; // null: a real wait that close() cuts short
        private Clock clock = Clock.systemUTC();
        private DoubleSupplier jitter = () -> ThreadLocalRandom.current().nextDouble();
        private UnaryOperator<String> environment = System::getenv;

        private Builder() {
        }

        /**
         * The API's base URL, e.g. {@code http://localhost:8000/v1}; requests go to
         * {@code {baseUrl}/chat/completions}. Must be absolute http or https. User-info
         * ({@code http://user:password@host/v1}) is taken out of the URL and sent as HTTP Basic
         * authentication; it is never written in a message (messages show {@code ***@host}).
         *
         * @param baseUrl the base URL, without query or fragment
         * @return this builder
         * @throws NullPointerException     if {@code baseUrl} is null
         * @throws IllegalArgumentException if {@code baseUrl} is blank, not a valid URI, not absolute
         *                                  http(s), or has a query or fragment (the message shows the
         *                                  URL without its user-info)
         */
        public Builder baseUrl(String baseUrl) {
            Preconditions.notBlank(baseUrl, "baseUrl");
            String shown = SecretMasker.redactUserInfo(baseUrl);
            String s = baseUrl.strip();
            while (s.endsWith("/")) {
                s = s.substring(0, s.length() - 1);
            }
            URI uri;
            try {
                uri = new URI(s + "/chat/completions");
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("baseUrl must be a valid URI, was \"" + shown + "\": "
                        + SecretMasker.redactUserInfo(e.getReason()));
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            Preconditions.checkArgument((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null,
                    "baseUrl must be an absolute http or https URL, was \"" + shown + "\"");
            Preconditions.checkArgument(uri.getRawQuery() == null && uri.getRawFragment() == null,
                    "baseUrl must not have a query or fragment, was \"" + shown + "\"");
            String info = uri.getUserInfo();
            String rawInfo = uri.getRawUserInfo();
            if (rawInfo != null) {
                try {
                    uri = new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(), null, null);
                } catch (URISyntaxException e) {
                    throw new IllegalArgumentException("baseUrl must be a valid URI, was \"" + shown + "\"");
                }
            }
            this.endpoint = uri;
            this.userInfo = info == null || info.isEmpty() ? null : info;
            this.rawUserInfo = info == null || info.isEmpty() ? null : rawInfo;
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
         * it is read by {@link #build()}. If it is unset or blank, {@link #build()} sends no key when
         * the endpoint is on loopback ({@code localhost}, {@code 127.0.0.0/8}, {@code ::1}: a local
         * server that needs none) and fails for any other host. Replaces {@link #apiKey(String)}.
         * Without either, no {@code Authorization} header is sent.
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
         * Sends no API key (undoes {@link #apiKey(String)} and {@link #apiKeyEnv(String)}).
         *
         * @return this builder
         */
        public Builder noApiKey() {
            this.apiKey = null;
            this.apiKeyEnv = null;
            return this;
        }

        /**
         * The largest response body read; a larger one is refused as it arrives (kind
         * {@code TOO_LARGE}, not retried) and never held whole in memory; default 8 MiB.
         *
         * @param maxResponseBytes in {@code [1 KiB, 2 GiB)}
         * @return this builder
         * @throws IllegalArgumentException if {@code maxResponseBytes} is out of range
         */
        public Builder maxResponseBytes(long maxResponseBytes) {
            Preconditions.checkArgument(maxResponseBytes >= 1024 && maxResponseBytes < Integer.MAX_VALUE,
                    "maxResponseBytes must be in [1024, 2^31 - 1), was " + maxResponseBytes);
            this.maxResponseBytes = maxResponseBytes;
            return this;
        }

        /**
         * The most one call may take with all its attempts and the waits between them; default none
         * (a call is then bounded by {@code (maxRetries + 1) * requestTimeout} plus the backoffs). A
         * retry that would start past it is not made.
         *
         * @param callTimeout at least 1 ms
         * @return this builder
         * @throws NullPointerException     if {@code callTimeout} is null
         * @throws IllegalArgumentException if {@code callTimeout} is under 1 ms
         */
        public Builder callTimeout(Duration callTimeout) {
            this.callTimeout = positive(callTimeout, "callTimeout");
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
         * The deadline of each attempt: connecting, the headers and the whole body (streamed or
         * not) must arrive within it; default 120 s. A reply still incomplete at the deadline fails
         * with kind {@code TIMEOUT} (retried under the policy).
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

        /** Replaces the waits between attempts (for tests); {@code null} is a real wait that close() cuts short. */
        Builder sleeper(HttpTransport.Sleeper sleeper) {
            this.sleeper = sleeper;
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
         *                               inconsistent, the API key variable is unset for an endpoint
         *                               that is not on loopback, or the base URL holds credentials
         *                               and an API key is set too
         */
        public OpenAiChatModel build() {
            Preconditions.checkState(endpoint != null, "baseUrl must be set");
            Preconditions.checkState(model != null, "model must be set");
            RetryPolicy policy = retry.build();
            String key = apiKey;
            if (apiKeyEnv != null) {
                key = environment.apply(apiKeyEnv);
                if (key == null || key.isBlank()) {
                    Preconditions.checkState(isLoopback(endpoint.getHost()), "environment variable " + apiKeyEnv
                            + " (the API key) is not set or blank, and " + endpoint.getHost()
                            + " is not a loopback host (only a local server may go without a key; use noApiKey() to send none)");
                    key = null;
                } else {
                    key = key.strip();
                }
            }
            if (key != null) {
                Preconditions.checkState(userInfo == null,
                        "baseUrl holds credentials (user-info) and an API key is set too; give only one");
                return new OpenAiChatModel(this, "Bearer " + key, SecretMasker.of(key), policy);
            }
            if (userInfo != null) {
                String token = Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
                int colon = userInfo.indexOf(':');
                String password = colon < 0 ? userInfo : userInfo.substring(colon + 1);
                int rawColon = rawUserInfo.indexOf(':');
                String rawPassword = rawColon < 0 ? rawUserInfo : rawUserInfo.substring(rawColon + 1);
                return new OpenAiChatModel(this, "Basic " + token,
                        SecretMasker.of(userInfo, rawUserInfo, password, rawPassword, token), policy);
            }
            return new OpenAiChatModel(this, null, SecretMasker.none(), policy);
        }

        /** {@code localhost}, {@code *.localhost}, or an IP literal on loopback (no name is looked up). */
        static boolean isLoopback(String host) {
            if (host == null) {
                return false;
            }
            String h = host.toLowerCase(Locale.ROOT);
            if (h.equals("localhost") || h.endsWith(".localhost")) {
                return true;
            }
            if (h.startsWith("[") && h.endsWith("]")) {
                h = h.substring(1, h.length() - 1);
            }
            boolean ipLiteral = h.matches("[0-9.]+") || h.contains(":");
            if (!ipLiteral) {
                return false;
            }
            try {
                return InetAddress.getByName(h).isLoopbackAddress();
            } catch (UnknownHostException e) {
                return false;
            }
        }

        private static Duration positive(Duration d, String name) {
            Preconditions.notNull(d, name);
            Preconditions.checkArgument(!d.isNegative() && !d.isZero() && d.toMillis() > 0,
                    name + " must be at least 1 ms, was " + d);
            return d;
        }
    }
}
