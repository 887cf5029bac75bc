package dev.keel.core.chat;

import dev.keel.core.internal.Preconditions;

import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * When and how an HTTP chat client sends a failed request again: at most {@link #maxRetries()}
 * retries after a timeout, an I/O error or a response whose status is one of
 * {@link #retryStatuses()} (by default 408, 429 and every 5xx). The delay before retry {@code n}
 * (0 for the first) is {@code d = min(maxBackoff, initialBackoff * 2^n)} with "equal jitter", a
 * value in {@code [d/2, d]}. When {@link #honourRetryAfter()} is set, a {@code Retry-After} header
 * on a 429 or 503 (whole seconds or an HTTP date) replaces that delay, capped at
 * {@link #maxBackoff()}.
 *
 * <p>The policy belongs to the transport ({@link OpenAiChatModel.Builder#retryPolicy(RetryPolicy)});
 * code above a chat model (a judge, a scorer) does not retry again on top of it.
 *
 * <pre>{@code
 * RetryPolicy policy = RetryPolicy.builder().maxRetries(5).initialBackoff(Duration.ofSeconds(1)).build();
 * OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(url).model("judge").retryPolicy(policy).build();
 * }</pre>
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class RetryPolicy {

    /** The most retries a policy allows. */
    public static final int MAX_RETRIES_LIMIT = 10;

    private static final RetryPolicy DEFAULTS = builder().build();
    private static final RetryPolicy NONE = builder().maxRetries(0).build();

    private final int maxRetries;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Set<Integer> retryStatuses;
    private final boolean honourRetryAfter;

    private RetryPolicy(Builder b) {
        this.maxRetries = b.maxRetries;
        this.initialBackoff = b.initialBackoff;
        this.maxBackoff = b.maxBackoff;
        this.retryStatuses = Set.copyOf(b.retryStatuses);
        this.honourRetryAfter = b.honourRetryAfter;
    }

    /**
     * The default policy: 3 retries, 500 ms initial backoff, 30 s maximum, statuses 408, 429 and
     * 5xx, {@code Retry-After} honoured.
     *
     * @return the default policy
     */
    public static RetryPolicy defaults() {
        return DEFAULTS;
    }

    /**
     * A policy that never retries (each request is sent once).
     *
     * @return the policy with no retries
     */
    public static RetryPolicy none() {
        return NONE;
    }

    /**
     * The default policy with {@code maxRetries} retries.
     *
     * @param maxRetries retries per request, in {@code [0, 10]}
     * @return the policy
     * @throws IllegalArgumentException if {@code maxRetries} is out of range
     */
    public static RetryPolicy ofMaxRetries(int maxRetries) {
        return builder().maxRetries(maxRetries).build();
    }

    /**
     * A builder that starts from the defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder that starts from this policy's values.
     *
     * @return a new builder holding this policy's values
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.maxRetries = maxRetries;
        b.initialBackoff = initialBackoff;
        b.maxBackoff = maxBackoff;
        b.retryStatuses = new TreeSet<>(retryStatuses);
        b.honourRetryAfter = honourRetryAfter;
        return b;
    }

    /**
     * How many times a failed request is sent again.
     *
     * @return the retry count, in {@code [0, 10]}
     */
    public int maxRetries() {
        return maxRetries;
    }

    /**
     * How many HTTP attempts a request gets at most.
     *
     * @return {@code 1 + maxRetries()}
     */
    public int maxAttempts() {
        return maxRetries + 1;
    }

    /**
     * The delay before the first retry, doubled for each further one.
     *
     * @return the initial backoff
     */
    public Duration initialBackoff() {
        return initialBackoff;
    }

    /**
     * The longest delay between attempts; also the most a {@code Retry-After} is honoured.
     *
     * @return the maximum backoff
     */
    public Duration maxBackoff() {
        return maxBackoff;
    }

    /**
     * The HTTP statuses after which a request is retried.
     *
     * @return an immutable set of status codes
     */
    public Set<Integer> retryStatuses() {
        return retryStatuses;
    }

    /**
     * Whether a response with {@code status} is retried.
     *
     * @param status an HTTP status code
     * @return {@code true} if {@code status} is one of {@link #retryStatuses()}
     */
    public boolean retries(int status) {
        return retryStatuses.contains(status);
    }

    /**
     * Whether a {@code Retry-After} header on a 429 or 503 replaces the computed delay.
     *
     * @return {@code true} if the header is honoured (capped at {@link #maxBackoff()})
     */
    public boolean honourRetryAfter() {
        return honourRetryAfter;
    }

    /**
     * The computed delay before retry {@code retry} (0 for the first), without jitter:
     * {@code min(maxBackoff, initialBackoff * 2^retry)}.
     *
     * @param retry the retry number, {@code >= 0}
     * @return the full delay; a jittered delay lies in {@code [d/2, d]}
     * @throws IllegalArgumentException if {@code retry} is negative
     */
    public Duration backoff(int retry) {
        Preconditions.checkNonNegative(retry, "retry");
        long cap = maxBackoff.toMillis();
        long d = initialBackoff.toMillis();
        for (int i = 0; i < retry && d < cap; i++) {
            d *= 2;
        }
        return Duration.ofMillis(Math.min(d, cap));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RetryPolicy p && p.maxRetries == maxRetries && p.initialBackoff.equals(initialBackoff)
                && p.maxBackoff.equals(maxBackoff) && p.retryStatuses.equals(retryStatuses)
                && p.honourRetryAfter == honourRetryAfter;
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxRetries, initialBackoff, maxBackoff, retryStatuses, honourRetryAfter);
    }

    @Override
    public String toString() {
        return "RetryPolicy[maxRetries=" + maxRetries + ", initialBackoff=" + initialBackoff + ", maxBackoff=" + maxBackoff
                + ", retryStatuses=" + new TreeSet<>(retryStatuses) + ", honourRetryAfter=" + honourRetryAfter + "]";
    }

    /**
     * Builds a {@link RetryPolicy}; each value is checked as it is set, and {@link #build()} checks
     * that the maximum backoff is not below the initial one.
     */
    public static final class Builder {
        private int maxRetries = 3;
        private Duration initialBackoff = Duration.ofMillis(500);
        private Duration maxBackoff = Duration.ofSeconds(30);
        private Set<Integer> retryStatuses = defaultStatuses();
        private boolean honourRetryAfter = true;

        private Builder() {
        }

        /**
         * How many times a failed request is sent again; default 3.
         *
         * @param maxRetries retries per request, in {@code [0, 10]}
         * @return this builder
         * @throws IllegalArgumentException if {@code maxRetries} is out of range
         */
        public Builder maxRetries(int maxRetries) {
            this.maxRetries = Preconditions.checkInRange(maxRetries, 0, MAX_RETRIES_LIMIT, "maxRetries");
            return this;
        }

        /**
         * The delay before the first retry, doubled for each further one (with jitter); default 500 ms.
         *
         * @param initialBackoff at least 1 ms
         * @return this builder
         * @throws NullPointerException     if {@code initialBackoff} is null
         * @throws IllegalArgumentException if {@code initialBackoff} is under 1 ms
         */
        public Builder initialBackoff(Duration initialBackoff) {
            this.initialBackoff = atLeastOneMilli(initialBackoff, "initialBackoff");
            return this;
        }

        /**
         * The longest delay between attempts, also the most a {@code Retry-After} is honoured;
         * default 30 s.
         *
         * @param maxBackoff at least 1 ms
         * @return this builder
         * @throws NullPointerException     if {@code maxBackoff} is null
         * @throws IllegalArgumentException if {@code maxBackoff} is under 1 ms
         */
        public Builder maxBackoff(Duration maxBackoff) {
            this.maxBackoff = atLeastOneMilli(maxBackoff, "maxBackoff");
            return this;
        }

        /**
         * The HTTP statuses after which a request is retried; default 408, 429 and 500..599.
         * Timeouts and I/O errors are always retried.
         *
         * @param statuses status codes in {@code [100, 599]}; may be empty (no status is retried)
         * @return this builder
         * @throws NullPointerException     if {@code statuses} is null
         * @throws IllegalArgumentException if {@code statuses} holds null or a code out of range
         */
        public Builder retryStatuses(Set<Integer> statuses) {
            Preconditions.noNulls(statuses, "retryStatuses");
            for (int s : statuses) {
                Preconditions.checkArgument(s >= 100 && s <= 599, "retryStatuses must hold HTTP statuses in [100, 599], was " + s);
            }
            this.retryStatuses = new TreeSet<>(statuses);
            return this;
        }

        /**
         * The HTTP statuses after which a request is retried, as varargs.
         *
         * @param statuses status codes in {@code [100, 599]}
         * @return this builder
         * @throws NullPointerException     if {@code statuses} is null
         * @throws IllegalArgumentException if a code is out of range
         */
        public Builder retryStatuses(int... statuses) {
            Preconditions.notNull(statuses, "retryStatuses");
            return retryStatuses(new TreeSet<>(Arrays.stream(statuses).boxed().toList()));
        }

        /**
         * Whether a {@code Retry-After} header on a 429 or 503 replaces the computed delay (capped at
         * the maximum backoff); default {@code true}.
         *
         * @param honour {@code false} to always use the computed backoff
         * @return this builder
         */
        public Builder honourRetryAfter(boolean honour) {
            this.honourRetryAfter = honour;
            return this;
        }

        /**
         * Builds the policy.
         *
         * @return the immutable policy
         * @throws IllegalStateException if the maximum backoff is below the initial backoff
         */
        public RetryPolicy build() {
            Preconditions.checkState(maxBackoff.compareTo(initialBackoff) >= 0,
                    "maxBackoff (retryMaxDelay) must be >= initialBackoff (retryBaseDelay), was "
                            + maxBackoff + " < " + initialBackoff);
            return new RetryPolicy(this);
        }

        private static Set<Integer> defaultStatuses() {
            Set<Integer> s = new TreeSet<>();
            s.add(408);
            s.add(429);
            for (int i = 500; i <= 599; i++) {
                s.add(i);
            }
            return s;
        }

        private static Duration atLeastOneMilli(Duration d, String name) {
            Preconditions.notNull(d, name);
            Preconditions.checkArgument(!d.isNegative() && d.toMillis() > 0, name + " must be at least 1 ms, was " + d);
            return d;
        }
    }
}
