package dev.keel.core.chat.internal;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A response body handed to the calling thread chunk by chunk, one chunk requested at a time (so
 * at most one chunk waits in memory), with a deadline on every wait. The HTTP client's threads only
 * queue what arrives; the caller reads, counts and stops. {@link #cancel()} ends the exchange (the
 * connection is closed); {@link #abort()} also wakes a caller waiting in {@link #next(long)}.
 */
final class BodyStream implements HttpResponse.BodySubscriber<BodyStream> {

    /** The body ended normally. */
    private static final Object END = new Object();
    /** The client was closed. */
    private static final Object ABORTED = new Object();

    /** {@link #next(long)} waited past its deadline. */
    static final class DeadlineException extends Exception {
        private static final long serialVersionUID = 1L;

        DeadlineException() {
            super("deadline passed", null, false, false);
        }
    }

    /** {@link #abort()} was called. */
    static final class AbortedException extends Exception {
        private static final long serialVersionUID = 1L;

        AbortedException() {
            super("aborted", null, false, false);
        }
    }

    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private volatile Flow.Subscription subscription;
    private volatile boolean cancelled;
    private volatile boolean ended;

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        if (cancelled) {
            s.cancel();
        } else {
            s.request(1);
        }
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
        queue.add(item);
    }

    @Override
    public void onError(Throwable throwable) {
        queue.add(throwable);
    }

    @Override
    public void onComplete() {
        queue.add(END);
    }

    @Override
    public CompletionStage<BodyStream> getBody() {
        return CompletableFuture.completedFuture(this);
    }

    /**
     * The next chunk, waiting at most until {@code deadlineNanos} ({@link System#nanoTime()}).
     *
     * @param deadlineNanos when to stop waiting
     * @return the chunk's buffers, or {@code null} at the end of the body
     * @throws IOException          if the body failed (connection reset, truncated, ...)
     * @throws DeadlineException    if nothing arrived before the deadline
     * @throws AbortedException     if {@link #abort()} was called
     * @throws InterruptedException if interrupted while waiting
     */
    @SuppressWarnings("unchecked")
    List<ByteBuffer> next(long deadlineNanos) throws IOException, DeadlineException, AbortedException,
            InterruptedException {
        if (ended) {
            return null;
        }
        long wait = deadlineNanos - System.nanoTime();
        Object o = wait <= 0 ? queue.poll() : queue.poll(wait, TimeUnit.NANOSECONDS);
        if (o == null) {
            throw new DeadlineException();
        }
        if (o == END) {
            ended = true;
            return null;
        }
        if (o == ABORTED) {
            throw new AbortedException();
        }
        if (o instanceof Throwable t) {
            ended = true;
            throw t instanceof IOException io ? io : new IOException(t.toString(), t);
        }
        Flow.Subscription s = subscription;
        if (s != null && !cancelled) {
            s.request(1);
        }
        return (List<ByteBuffer>) o;
    }

    /** Whether the whole body has been read. */
    boolean ended() {
        return ended;
    }

    /** Stops the body (closes the connection); idempotent. */
    void cancel() {
        cancelled = true;
        Flow.Subscription s = subscription;
        if (s != null) {
            s.cancel();
        }
    }

    /** Stops the body and wakes a reader waiting in {@link #next(long)}. */
    void abort() {
        queue.add(ABORTED);
        cancel();
    }
}
