package dev.keel.core.chat.internal;

import dev.keel.core.chat.ChatModelException;
import dev.keel.core.chat.ChatResponse;
import dev.keel.core.chat.RetryPolicy;
import dev.keel.core.internal.Preconditions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
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
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;
import java.util.function.Function;

/**
 * The HTTP side of a JSON-over-HTTP chat client: posts a body to one endpoint with
 * {@link HttpClient}, retries under a {@link RetryPolicy} (exponential backoff with equal jitter,
 * {@code Retry-After} honoured and capped), keeps at most {@code maxConcurrency} requests in flight,
 * runs batches on its own daemon threads, and masks the API key in every text it hands out. It
 * knows nothing of the JSON inside the bodies.
 *
 * <p>Thread-safe. {@link #close()} is idempotent; requests in progress complete.
 */
public final class HttpTransport implements AutoCloseable {

    /** Waits between attempts; replaced in tests so that they do not wait for real. */
    @FunctionalInterface
    public interface Sleeper {
        /**
         * Waits for {@code duration}.
         *
         * @param duration how long to wait
         * @throws InterruptedException if the wait is interrupted
         */
        void sleep(Duration duration) throws InterruptedException;
    }

    /** The longest text taken from a body into a message. */
    public static final int SNIPPET_LENGTH = 200;

    private static final Logger LOG = LoggerFactory.getLogger(HttpTransport.class);
    private static final AtomicInteger POOL_NUMBER = new AtomicInteger();

    private final URI endpoint;
    private final String apiKey;
    private final Duration requestTimeout;
    private final RetryPolicy policy;
    private final Sleeper sleeper;
    private final Clock clock;
    private final DoubleSupplier jitter;
    private final HttpClient client;
    private final Semaphore permits;
    private final ExecutorService executor;

    /**
     * A transport for {@code endpoint}.
     *
     * @param endpoint       the URI requests are posted to
     * @param apiKey         sent as {@code Authorization: Bearer ...}, or {@code null} for none
     * @param connectTimeout how long to wait for a connection
     * @param requestTimeout how long to wait for each attempt's response
     * @param policy         when and how failed requests are retried
     * @param maxConcurrency the most requests in flight at a time, {@code >= 1}
     * @param sleeper        waits between attempts
     * @param clock          the time {@code Retry-After} dates are measured from
     * @param jitter         values in {@code [0, 1]} that place each delay in {@code [d/2, d]}
     * @throws NullPointerException     if an argument other than {@code apiKey} is null
     * @throws IllegalArgumentException if {@code maxConcurrency < 1}
     */
    public HttpTransport(URI endpoint, String apiKey, Duration connectTimeout, Duration requestTimeout, RetryPolicy policy,
                         int maxConcurrency, Sleeper sleeper, Clock clock, DoubleSupplier jitter) {
        this.endpoint = Preconditions.notNull(endpoint, "endpoint");
        this.apiKey = apiKey;
        Preconditions.notNull(connectTimeout, "connectTimeout");
        this.requestTimeout = Preconditions.notNull(requestTimeout, "requestTimeout");
        this.policy = Preconditions.notNull(policy, "policy");
        Preconditions.checkPositive(maxConcurrency, "maxConcurrency");
        this.sleeper = Preconditions.notNull(sleeper, "sleeper");
        this.clock = Preconditions.notNull(clock, "clock");
        this.jitter = Preconditions.notNull(jitter, "jitter");
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.permits = new Semaphore(maxConcurrency, true);
        this.executor = Executors.newFixedThreadPool(maxConcurrency, daemonThreads());
    }

    /**
     * The URI requests are posted to.
     *
     * @return the endpoint
     */
    public URI endpoint() {
        return endpoint;
    }

    /**
     * The retry policy this transport applies.
     *
     * @return the policy
     */
    public RetryPolicy policy() {
        return policy;
    }

    /**
     * Whether an API key is sent.
     *
     * @return {@code true} if requests carry an {@code Authorization} header
     */
    public boolean hasApiKey() {
        return apiKey != null;
    }

    /**
     * Posts {@code jsonBody} and returns the body of the first 2xx response, retrying under the
     * policy.
     *
     * @param jsonBody the request body
     * @return the response body of a 2xx reply ({@code ""} for none)
     * @throws ChatModelException   with kind {@code HTTP_STATUS}, {@code TIMEOUT} or {@code IO} once the
     *                              request fails for good; a retried failure says after how many attempts
     * @throws InterruptedException if interrupted while waiting for a permit, a reply or a retry
     */
    public String post(String jsonBody) throws InterruptedException {
        HttpRequest httpRequest = httpRequest(jsonBody);
        int attempts = policy.maxAttempts();
        for (int attempt = 1; ; attempt++) {
            Attempt a = attempt(httpRequest);
            if (a.body != null) {
                return a.body;
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

    /**
     * Runs {@code call} on each item, concurrently on this transport's threads (the in-flight
     * limit still applies to the HTTP requests), and returns the responses in the order of
     * {@code items}. A task that throws or is interrupted gives a failed response.
     *
     * @param items the inputs
     * @param call  one request for one input; should not throw
     * @param owner names the client in the message when the transport is closed meanwhile
     * @param <I>   the input type
     * @return one response per item, in order
     * @throws IllegalStateException if the transport is closed while the tasks are submitted
     */
    public <I> List<ChatResponse> runAll(List<I> items, Function<I, ChatResponse> call, String owner) {
        List<Future<ChatResponse>> futures = new ArrayList<>(items.size());
        try {
            for (I item : items) {
                futures.add(executor.submit(() -> call.apply(item)));
            }
        } catch (RejectedExecutionException e) {
            futures.forEach(f -> f.cancel(true));
            throw new IllegalStateException(owner + " for " + endpoint + " was closed during generateAll", e);
        }
        List<ChatResponse> out = new ArrayList<>(items.size());
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

    /**
     * The failure reported when a caller is interrupted while waiting for a reply.
     *
     * @return a new exception of kind {@code INTERRUPTED}
     */
    public static ChatModelException interruptedFailure() {
        return new ChatModelException(ChatModelException.Kind.INTERRUPTED, "interrupted while waiting for a chat reply");
    }

    /**
     * The start of {@code text} on one line, at most {@link #SNIPPET_LENGTH} characters, with the
     * API key masked.
     *
     * @param text any text, or {@code null}
     * @return the snippet, or {@code "(empty body)"}
     */
    public String snippet(String text) {
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
     * The delay before retry {@code retry} (0 for the first): the policy's
     * {@link RetryPolicy#backoff(int) backoff} {@code d}, then "equal jitter", a value in
     * {@code [d/2, d]}.
     *
     * @param retry the retry number, {@code >= 0}
     * @return the delay
     */
    public Duration backoffDelay(int retry) {
        long d = policy.backoff(retry).toMillis();
        double j = Math.min(1.0, Math.max(0.0, jitter.getAsDouble()));
        return Duration.ofMillis(d / 2 + Math.round((d - d / 2) * j));
    }

    /**
     * Parses a {@code Retry-After} value: whole seconds, or an HTTP date (RFC 1123) measured from
     * {@code now}. A date in the past gives zero; anything unreadable gives empty.
     *
     * @param value the header value, or {@code null}
     * @param now   the current time
     * @return the delay, or empty if {@code value} is missing or unreadable
     */
    public static Optional<Duration> parseRetryAfter(String value, Instant now) {
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

    /** Stops the worker threads; requests in progress complete. Idempotent. */
    @Override
    public void close() {
        executor.shutdown();
    }

    /** The outcome of one attempt: a 2xx body, or a failure that may be retried. */
    private static final class Attempt {
        final String body;
        final ChatModelException failure;
        final boolean retryable;
        final Optional<Duration> retryAfter;

        private Attempt(String body, ChatModelException failure, boolean retryable, Optional<Duration> retryAfter) {
            this.body = body;
            this.failure = failure;
            this.retryable = retryable;
            this.retryAfter = retryAfter;
        }

        static Attempt ok(String body) {
            return new Attempt(body, null, false, Optional.empty());
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
            return Attempt.ok(body);
        }
        ChatModelException failure = new ChatModelException(ChatModelException.Kind.HTTP_STATUS, status,
                "HTTP " + status + " from " + endpoint + ": " + snippet(body), null);
        boolean retryable = policy.retries(status);
        Optional<Duration> retryAfter = Optional.empty();
        if (policy.honourRetryAfter() && (status == 429 || status == 503)) {
            retryAfter = response.headers().firstValue("Retry-After").flatMap(v -> parseRetryAfter(v, clock.instant()));
        }
        return Attempt.failed(failure, retryable, retryAfter);
    }

    private HttpRequest httpRequest(String jsonBody) {
        HttpRequest.Builder b = HttpRequest.newBuilder(endpoint)
                .timeout(requestTimeout)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(jsonBody, StandardCharsets.UTF_8));
        if (apiKey != null) {
            b.header("Authorization", "Bearer " + apiKey);
        }
        return b.build();
    }

    private Duration capDelay(Duration d) {
        Duration cap = policy.maxBackoff();
        return d.compareTo(cap) > 0 ? cap : d;
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
}
