package dev.keel.spark.internal;

/**
 * At most {@code rate} permits per second for all threads of a JVM: each permit is given the next
 * free slot ({@code 1/rate} seconds after the previous one) and the caller sleeps until it.
 */
public final class RateLimiter {

    private final long intervalNanos;
    private long next;

    /**
     * A limiter.
     *
     * @param perSecond permits per second, {@code > 0}
     * @throws IllegalArgumentException if {@code perSecond} is not positive
     */
    public RateLimiter(double perSecond) {
        if (!(perSecond > 0) || Double.isInfinite(perSecond)) {
            throw new IllegalArgumentException("requestsPerSecond must be > 0 and finite, was " + perSecond);
        }
        this.intervalNanos = Math.max(1L, (long) (1e9 / perSecond));
        this.next = System.nanoTime();
    }

    /**
     * Waits for a permit.
     *
     * @throws InterruptedException if interrupted while waiting
     */
    public void acquire() throws InterruptedException {
        long slot;
        synchronized (this) {
            long now = System.nanoTime();
            slot = Math.max(now, next);
            next = slot + intervalNanos;
        }
        long wait = slot - System.nanoTime();
        if (wait > 0) {
            Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
        }
    }
}
