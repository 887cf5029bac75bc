package dev.keel.core.chat.internal;

import dev.keel.core.chat.ChatModelException;
import dev.keel.core.chat.ChatResponse;
import dev.keel.core.chat.RetryPolicy;
import dev.keel.core.internal.Preconditions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
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
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;
import java.util.function.Function;

/**
 * The HTTP side of a JSON-over-HTTP chat client: posts a body to one endpoint with
 * {@link HttpClient}, retries under a {@link RetryPolicy} (exponential backoff with equal jitter,
 * {@code Retry-After} honoured and capped), keeps at most {@code maxConcurrency} requests in flight,
 * runs batches on its own daemon threads, and masks secrets (the API key, URL credentials) in every
 * text it hands out. It knows nothing of the JSON inside the bodies.
 *
 * <p>Every attempt has one deadline, {@code requestTimeout}, that covers connecting, the headers and
 * the whole body (a server that trickles its body or goes silent after the headers cannot hold a
 * call past it), and an optional {@code callTimeout} bounds a call with all its retries and waits.
 * A body is read chunk by chunk on the calling thread and refused once it passes
 * {@code maxResponseBytes} (kind {@code TOO_LARGE}, not retried), so a huge reply never sits in
 * memory whole.
 *
 * <p>Thread-safe. {@link #close()} is idempotent and fails requests that wait or are in flight
 * (kind {@code CLOSED}) at once instead of waiting for them.
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

    /** Receives a streamed (server-sent events) 2xx body from {@link #postStreaming}. */
    public interface EventSink {
        /**
         * One event's data (the text after {@code data:}, lines joined), {@code [DONE]} excluded.
         *
         * @param data the event's data
         * @throws ChatModelException if the data cannot be read (the stream is then abandoned)
         */
        void onEvent(String data);

        /**
         * The whole body, when the server answered a streaming request with plain JSON instead.
         *
         * @param body the body
         * @throws ChatModelException if the body cannot be read
         */
        void onJsonBody(String body);

        /**
         * Whether anything was passed on to the caller yet; a failed attempt is then not retried
         * (the caller has seen part of a reply).
         *
         * @return {@code true} once a delta was delivered
         */
        boolean delivered();
    }

    /** The longest text taken from a body into a message. */
    public static final int SNIPPET_LENGTH = 200;
    /** The default for the largest response body read, 8 MiB. */
    public static final long DEFAULT_MAX_RESPONSE_BYTES = 8L * 1024 * 1024;
    /** The most of an error (non-2xx) body that is read, for its snippet. */
    static final int ERROR_BODY_BYTES = 64 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(HttpTransport.class);
    private static final AtomicInteger POOL_NUMBER = new AtomicInteger();

    private final URI endpoint;
    private final String authorization;
    private final SecretMasker masker;
    private final Duration requestTimeout;
    private final Duration callTimeout;
    private final long maxResponseBytes;
    private final RetryPolicy policy;
    private final Sleeper sleeper;
    private final Clock clock;
    private final DoubleSupplier jitter;
    private final HttpClient client;
    private final Semaphore permits;
    private final ExecutorService executor;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch closedLatch = new CountDownLatch(1);
    private final Set<InFlight> inFlight = ConcurrentHashMap.newKeySet();

    /**
     * A transport for {@code endpoint} with a bearer key, the default body limit and no call timeout.
     *
     * @param endpoint       the URI requests are posted to
     * @param apiKey         sent as {@code Authorization: Bearer ...}, or {@code null} for none
     * @param connectTimeout how long to wait for a connection
     * @param requestTimeout the deadline of each attempt, body included
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
        this(endpoint, apiKey == null ? null : "Bearer " + apiKey, SecretMasker.of(apiKey), connectTimeout,
                requestTimeout, null, DEFAULT_MAX_RESPONSE_BYTES, policy, maxConcurrency,
                Preconditions.notNull(sleeper, "sleeper"), clock, jitter);
    }

    /**
     * A transport for {@code endpoint}.
     *
     * @param endpoint         the URI requests are posted to (without user-info)
     * @param authorization    the {@code Authorization} header's value, or {@code null} for none
     * @param masker           masks the secrets in every text handed out
     * @param connectTimeout   how long to wait for a connection
     * @param requestTimeout   the deadline of each attempt: connection, headers and the whole body
     * @param callTimeout      the deadline of a call with all its attempts and waits, or {@code null} for none
     * @param maxResponseBytes the largest body read, {@code >= 1}
     * @param policy           when and how failed requests are retried
     * @param maxConcurrency   the most requests in flight at a time, {@code >= 1}
     * @param sleeper          waits between attempts, or {@code null} for a real wait that {@link #close()} cuts short
     * @param clock            the time {@code Retry-After} dates are measured from
     * @param jitter           values in {@code [0, 1]} that place each delay in {@code [d/2, d]}
     * @throws NullPointerException     if a required argument is null
     * @throws IllegalArgumentException if {@code maxConcurrency < 1}, {@code maxResponseBytes < 1}, or
     *                                  {@code endpoint} holds user-info
     */
    public HttpTransport(URI endpoint, String authorization, SecretMasker masker, Duration connectTimeout,
                         Duration requestTimeout, Duration callTimeout, long maxResponseBytes, RetryPolicy policy,
                         int maxConcurrency, Sleeper sleeper, Clock clock, DoubleSupplier jitter) {
        this.endpoint = Preconditions.notNull(endpoint, "endpoint");
        Preconditions.checkArgument(endpoint.getRawUserInfo() == null, "endpoint must not hold user-info");
        this.authorization = authorization;
        this.masker = Preconditions.notNull(masker, "masker");
        Preconditions.notNull(connectTimeout, "connectTimeout");
        this.requestTimeout = Preconditions.notNull(requestTimeout, "requestTimeout");
        this.callTimeout = callTimeout;
        Preconditions.checkArgument(maxResponseBytes >= 1, "maxResponseBytes must be >= 1, was " + maxResponseBytes);
        this.maxResponseBytes = maxResponseBytes;
        this.policy = Preconditions.notNull(policy, "policy");
        Preconditions.checkPositive(maxConcurrency, "maxConcurrency");
        this.sleeper = sleeper;
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
     * Whether requests carry an {@code Authorization} header.
     *
     * @return {@code true} if they do
     */
    public boolean hasApiKey() {
        return authorization != null;
    }

    /**
     * The largest body this transport reads.
     *
     * @return the limit in bytes
     */
    public long maxResponseBytes() {
        return maxResponseBytes;
    }

    /**
     * The masker applied to every text this transport hands out.
     *
     * @return the masker
     */
    public SecretMasker masker() {
        return masker;
    }

    /**
     * Whether {@link #close()} was called.
     *
     * @return {@code true} once closed
     */
    public boolean isClosed() {
        return closed.get();
    }

    /**
     * Posts {@code jsonBody} and returns the body of the first 2xx response, retrying under the
     * policy.
     *
     * @param jsonBody the request body
     * @return the response body of a 2xx reply ({@code ""} for none)
     * @throws ChatModelException   with kind {@code HTTP_STATUS}, {@code TIMEOUT}, {@code IO},
     *                              {@code TOO_LARGE}, {@code MALFORMED_RESPONSE} (a 2xx body that is not
     *                              JSON by its content type, or not UTF-8) or {@code CLOSED} once the
     *                              request fails for good; a retried failure says after how many attempts
     * @throws InterruptedException if interrupted while waiting for a permit, a reply or a retry
     */
    public String post(String jsonBody) throws InterruptedException {
        String[] out = new String[1];
        send(jsonBody, false, (r, deadline) -> out[0] = readJson(r, deadline), null);
        return out[0];
    }

    /**
     * Posts {@code jsonBody} (a request with {@code "stream": true}) and passes each server-sent
     * event of the first 2xx response to {@code sink}, up to {@code data: [DONE]}. Retries under the
     * policy while nothing was {@link EventSink#delivered() delivered}; the deadline and the body limit
     * cover the whole stream.
     *
     * @param jsonBody the request body
     * @param sink     receives the events
     * @throws ChatModelException   as {@link #post(String)}, and of kind {@code IO} when the stream
     *                              ends before {@code [DONE]}
     * @throws InterruptedException if interrupted while waiting
     */
    public void postStreaming(String jsonBody, EventSink sink) throws InterruptedException {
        Preconditions.notNull(sink, "sink");
        send(jsonBody, true, (r, deadline) -> readStream(r, deadline, sink), sink);
    }

    /** Reads a 2xx body on the calling thread; throws a failure (with its retry flag) or returns. */
    @FunctionalInterface
    private interface BodyReader {
        void read(HttpResponse<BodyStream> response, long deadlineNanos) throws Failure, InterruptedException;
    }

    /** A failed attempt: the exception, whether it may be retried, and a Retry-After. */
    private static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;
        final ChatModelException failure;
        final boolean retryable;
        final transient Optional<Duration> retryAfter;

        Failure(ChatModelException failure, boolean retryable, Optional<Duration> retryAfter) {
            super(failure.getMessage(), null, false, false);
            this.failure = failure;
            this.retryable = retryable;
            this.retryAfter = retryAfter;
        }
    }

    private void send(String jsonBody, boolean streaming, BodyReader reader, EventSink sink) throws InterruptedException {
        HttpRequest httpRequest = httpRequest(jsonBody, streaming);
        int attempts = policy.maxAttempts();
        long start = System.nanoTime();
        long callDeadline = callTimeout == null ? Long.MAX_VALUE : start + callTimeout.toNanos();
        for (int attempt = 1; ; attempt++) {
            Failure f;
            try {
                attempt(httpRequest, callDeadline, reader);
                return;
            } catch (Failure e) {
                f = e;
            }
            ChatModelException failure = f.failure;
            boolean retryable = f.retryable && !(sink != null && sink.delivered()) && !closed.get();
            if (!retryable || attempt >= attempts) {
                if (f.retryable && sink != null && sink.delivered()) {
                    throw withSuffix(failure, " (not retried: part of the reply was already delivered)");
                }
                if (retryable && attempts > 1) {
                    throw withSuffix(failure, " (after " + attempts + " attempts)");
                }
                throw failure;
            }
            int retry = attempt - 1;
            Duration delay = f.retryAfter.map(this::capDelay).orElseGet(() -> backoffDelay(retry));
            if (callDeadline != Long.MAX_VALUE && System.nanoTime() + delay.toNanos() >= callDeadline) {
                throw withSuffix(failure, " (after " + attempt + " attempts; the call timeout of "
                        + human(callTimeout) + " (callTimeout) leaves no time for another)");
            }
            LOG.warn("Chat request failed on attempt {}/{} ({}); retrying in {} ms",
                    attempt, attempts, failure.getMessage(), delay.toMillis());
            sleep(delay);
            if (closed.get()) {
                throw closedFailure(failure.statusCode());
            }
        }
    }

    private static ChatModelException withSuffix(ChatModelException e, String suffix) {
        return new ChatModelException(e.kind(), e.statusCode(), e.getMessage() + suffix, e.getCause());
    }

    private void sleep(Duration delay) throws InterruptedException {
        if (sleeper != null) {
            sleeper.sleep(delay);
        } else if (!delay.isZero() && !delay.isNegative()) {
            closedLatch.await(delay.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    /** One request in flight, so that {@link #close()} can stop it. */
    private static final class InFlight {
        private CompletableFuture<?> future;
        private BodyStream body;
        private boolean aborted;

        synchronized boolean future(CompletableFuture<?> f) {
            this.future = f;
            if (aborted) {
                f.cancel(true);
            }
            return !aborted;
        }

        synchronized boolean body(BodyStream b) {
            this.body = b;
            if (aborted) {
                b.abort();
            }
            return !aborted;
        }

        synchronized void abort() {
            aborted = true;
            if (future != null) {
                future.cancel(true);
            }
            if (body != null) {
                body.abort();
            }
        }
    }

    /**
     * One attempt. The wait for an in-flight slot counts against the call's deadline only (and ends
     * when the transport closes); the attempt's own deadline, {@code requestTimeout}, starts once the
     * slot is taken.
     */
    private void attempt(HttpRequest httpRequest, long callDeadline, BodyReader reader) throws Failure, InterruptedException {
        while (!permits.tryAcquire(100, TimeUnit.MILLISECONDS)) {
            if (closed.get()) {
                throw new Failure(closedFailure(-1), false, Optional.empty());
            }
            if (System.nanoTime() - callDeadline >= 0) {
                throw new Failure(fail(ChatModelException.Kind.TIMEOUT, -1, "no request slot for " + endpoint
                        + " within the call timeout of " + human(callTimeout) + " (callTimeout): all "
                        + "maxConcurrency slots stayed busy", null), false, Optional.empty());
            }
        }
        long now = System.nanoTime();
        boolean callBound = callDeadline - now < requestTimeout.toNanos();
        long deadline = callBound ? callDeadline : now + requestTimeout.toNanos();
        InFlight handle = new InFlight();
        CALL_BOUND.set(callBound);
        inFlight.add(handle);
        BodyStream body = null;
        try {
            if (closed.get()) {
                throw new Failure(closedFailure(-1), false, Optional.empty());
            }
            CompletableFuture<HttpResponse<BodyStream>> cf = client.sendAsync(httpRequest, info -> new BodyStream());
            if (!handle.future(cf)) {
                throw new Failure(closedFailure(-1), false, Optional.empty());
            }
            HttpResponse<BodyStream> response = awaitHeaders(cf, deadline);
            body = response.body();
            if (!handle.body(body)) {
                throw new Failure(closedFailure(response.statusCode()), false, Optional.empty());
            }
            int status = response.statusCode();
            if (status >= 200 && status < 300) {
                OptionalLong length = response.headers().firstValueAsLong("Content-Length");
                if (length.isPresent() && length.getAsLong() > maxResponseBytes) {
                    throw new Failure(tooLarge(status, "its Content-Length is " + length.getAsLong()), false, Optional.empty());
                }
                reader.read(response, deadline);
                return;
            }
            throw errorStatus(response, deadline);
        } finally {
            if (body != null && !body.ended()) {
                body.cancel();
            }
            inFlight.remove(handle);
            CALL_BOUND.remove();
            permits.release();
        }
    }

    private HttpResponse<BodyStream> awaitHeaders(CompletableFuture<HttpResponse<BodyStream>> cf, long deadline)
            throws Failure, InterruptedException {
        try {
            return cf.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            cf.cancel(true);
            throw new Failure(timeout(-1, "no reply headers", 0), true, Optional.empty());
        } catch (CancellationException e) {
            throw new Failure(closedFailure(-1), false, Optional.empty());
        } catch (InterruptedException e) {
            cf.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (closed.get()) {
                throw new Failure(closedFailure(-1), false, Optional.empty());
            }
            if (c instanceof HttpConnectTimeoutException) {
                throw new Failure(fail(ChatModelException.Kind.TIMEOUT, -1, "no connection to " + endpoint
                        + " within the connect timeout: " + c.getMessage(), c), true, Optional.empty());
            }
            if (c instanceof HttpTimeoutException) {
                throw new Failure(timeout(-1, "no reply headers", 0), true, Optional.empty());
            }
            if (c instanceof IOException) {
                throw new Failure(fail(ChatModelException.Kind.IO, -1, "I/O error talking to " + endpoint + ": " + c, c),
                        true, Optional.empty());
            }
            throw new Failure(fail(ChatModelException.Kind.OTHER, -1, "request to " + endpoint + " failed: " + c, c),
                    false, Optional.empty());
        }
    }

    /** Reads a whole JSON body, bounded; a content type that is not JSON, or bytes that are not UTF-8, are refused. */
    private String readJson(HttpResponse<BodyStream> response, long deadline) throws Failure, InterruptedException {
        int status = response.statusCode();
        String type = contentType(response);
        boolean json = type == null || isJson(type);
        byte[] bytes = readBounded(response.body(), deadline, status, json ? maxResponseBytes : ERROR_BODY_BYTES, json);
        if (!json) {
            throw new Failure(fail(ChatModelException.Kind.MALFORMED_RESPONSE, status, "malformed reply from " + endpoint
                    + ": content type " + type + ", expected application/json; body: "
                    + snippet(new String(bytes, StandardCharsets.UTF_8)), null), false, Optional.empty());
        }
        return utf8(bytes, status);
    }

    private void readStream(HttpResponse<BodyStream> response, long deadline, EventSink sink)
            throws Failure, InterruptedException {
        int status = response.statusCode();
        String type = contentType(response);
        if (type != null && isJson(type)) {
            sink.onJsonBody(utf8(readBounded(response.body(), deadline, status, maxResponseBytes, true), status));
            return;
        }
        if (type != null && !type.equals("text/event-stream")) {
            byte[] bytes = readBounded(response.body(), deadline, status, ERROR_BODY_BYTES, false);
            throw new Failure(fail(ChatModelException.Kind.MALFORMED_RESPONSE, status, "malformed reply from " + endpoint
                    + ": content type " + type + ", expected text/event-stream; body: "
                    + snippet(new String(bytes, StandardCharsets.UTF_8)), null), false, Optional.empty());
        }
        boolean[] done = {false};
        SseDecoder decoder = new SseDecoder(data -> {
            if (done[0]) {
                return;
            }
            if (data.strip().equals("[DONE]")) {
                done[0] = true;
            } else {
                sink.onEvent(data);
            }
        });
        BodyStream body = response.body();
        long total = 0;
        try {
            while (!done[0]) {
                List<ByteBuffer> chunk = next(body, deadline, status, total);
                if (chunk == null) {
                    decoder.finish();
                    break;
                }
                for (ByteBuffer b : chunk) {
                    total += b.remaining();
                    if (total > maxResponseBytes) {
                        throw new Failure(tooLarge(status, "the event stream passed it"), false, Optional.empty());
                    }
                    decoder.feed(b);
                    if (done[0]) {
                        break;
                    }
                }
            }
        } catch (SseDecoder.InvalidTextException e) {
            throw new Failure(fail(ChatModelException.Kind.MALFORMED_RESPONSE, status, "malformed reply from " + endpoint
                    + ": " + e.getMessage(), null), false, Optional.empty());
        }
        if (!done[0]) {
            throw new Failure(fail(ChatModelException.Kind.IO, status, "the event stream from " + endpoint
                    + " ended after " + total + " bytes without data: [DONE]", null), true, Optional.empty());
        }
    }

    private List<ByteBuffer> next(BodyStream body, long deadline, int status, long soFar) throws Failure, InterruptedException {
        try {
            return body.next(deadline);
        } catch (BodyStream.DeadlineException e) {
            throw new Failure(timeout(status, "the body was not complete", soFar), true, Optional.empty());
        } catch (BodyStream.AbortedException e) {
            throw new Failure(closedFailure(status), false, Optional.empty());
        } catch (IOException e) {
            if (closed.get()) {
                throw new Failure(closedFailure(status), false, Optional.empty());
            }
            throw new Failure(fail(ChatModelException.Kind.IO, status, "I/O error reading the reply from " + endpoint
                    + " after " + soFar + " bytes: " + e, e), true, Optional.empty());
        }
    }

    /**
     * Reads at most {@code limit} bytes; past it, a failure of kind {@code TOO_LARGE} if
     * {@code refuseOver}, else the first {@code limit} bytes.
     */
    private byte[] readBounded(BodyStream body, long deadline, int status, long limit, boolean refuseOver)
            throws Failure, InterruptedException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long total = 0;
        while (true) {
            List<ByteBuffer> chunk = next(body, deadline, status, total);
            if (chunk == null) {
                return out.toByteArray();
            }
            for (ByteBuffer b : chunk) {
                int n = b.remaining();
                if (total + n > limit) {
                    if (refuseOver) {
                        throw new Failure(tooLarge(status, "the body passed it"), false, Optional.empty());
                    }
                    byte[] part = new byte[(int) (limit - total)];
                    b.get(part);
                    out.write(part, 0, part.length);
                    return out.toByteArray();
                }
                byte[] bytes = new byte[n];
                b.get(bytes);
                out.write(bytes, 0, n);
                total += n;
            }
        }
    }

    private Failure errorStatus(HttpResponse<BodyStream> response, long deadline) throws InterruptedException {
        int status = response.statusCode();
        String text;
        try {
            byte[] bytes = readBounded(response.body(), deadline, status, ERROR_BODY_BYTES, false);
            text = new String(bytes, StandardCharsets.UTF_8);
        } catch (Failure f) {
            if (f.failure.kind() == ChatModelException.Kind.CLOSED) {
                return f;
            }
            text = "(body unreadable: " + f.failure.getMessage() + ")";
        }
        ChatModelException failure = fail(ChatModelException.Kind.HTTP_STATUS, status,
                "HTTP " + status + " from " + endpoint + ": " + snippet(text), null);
        boolean retryable = policy.retries(status);
        Optional<Duration> retryAfter = Optional.empty();
        if (policy.honourRetryAfter() && (status == 429 || status == 503)) {
            retryAfter = response.headers().firstValue("Retry-After").flatMap(v -> parseRetryAfter(v, clock.instant()));
        }
        return new Failure(failure, retryable, retryAfter);
    }

    private String utf8(byte[] bytes, int status) throws Failure {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new Failure(fail(ChatModelException.Kind.MALFORMED_RESPONSE, status, "malformed reply from " + endpoint
                    + ": the body is not valid UTF-8; body: " + snippet(new String(bytes, StandardCharsets.UTF_8)), null),
                    false, Optional.empty());
        }
    }

    private static String contentType(HttpResponse<?> response) {
        return response.headers().firstValue("Content-Type")
                .map(v -> v.split(";", 2)[0].strip().toLowerCase(Locale.ROOT))
                .filter(v -> !v.isEmpty()).orElse(null);
    }

    private static boolean isJson(String type) {
        return type.equals("application/json") || (type.startsWith("application/") && type.endsWith("+json"));
    }

    private ChatModelException timeout(int status, String what, long bytes) {
        boolean callBound = CALL_BOUND.get();
        return fail(ChatModelException.Kind.TIMEOUT, status, "no whole reply from " + endpoint + " within the deadline of "
                + (callBound ? human(callTimeout) + " (callTimeout)" : human(requestTimeout) + " (requestTimeout)") + ": "
                + what + (bytes > 0 ? " after " + bytes + " bytes" : ""), null);
    }

    /** Whether the attempt running on this thread ends at the call timeout (for the wording of a timeout). */
    private static final ThreadLocal<Boolean> CALL_BOUND = ThreadLocal.withInitial(() -> false);

    private ChatModelException tooLarge(int status, String why) {
        return fail(ChatModelException.Kind.TOO_LARGE, status, "the reply from " + endpoint + " is larger than the limit of "
                + maxResponseBytes + " bytes (maxResponseBytes): " + why, null);
    }

    private ChatModelException closedFailure(int status) {
        return new ChatModelException(ChatModelException.Kind.CLOSED, status,
                "the chat client for " + endpoint + " was closed while the request was waiting or in flight", null);
    }

    /** A failure whose message is masked; a cause whose message holds a secret is dropped. */
    private ChatModelException fail(ChatModelException.Kind kind, int status, String message, Throwable cause) {
        String masked = masker.mask(message);
        Throwable c = cause;
        if (c != null && c.getMessage() != null && !masker.mask(c.getMessage()).equals(c.getMessage())) {
            c = null;
        }
        return new ChatModelException(kind, status, masked, c);
    }

    private static String human(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? (ms / 1000) + " s" : ms + " ms";
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
     * secrets masked and URL user-info removed.
     *
     * @param text any text, or {@code null}
     * @return the snippet, or {@code "(empty body)"}
     */
    public String snippet(String text) {
        String s = text == null ? "" : masker.mask(text);
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

    /**
     * Fails every request that waits or is in flight (kind {@code CLOSED}), cuts real retry waits
     * short, and stops the worker threads. Idempotent.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            executor.shutdown();
            closedLatch.countDown();
            for (InFlight f : inFlight) {
                f.abort();
            }
        }
    }

    private HttpRequest httpRequest(String jsonBody, boolean streaming) {
        HttpRequest.Builder b = HttpRequest.newBuilder(endpoint)
                .timeout(requestTimeout)
                .header("Content-Type", "application/json")
                .header("Accept", streaming ? "text/event-stream" : "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(jsonBody, StandardCharsets.UTF_8));
        if (authorization != null) {
            b.header("Authorization", authorization);
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
