package dev.keel.core.internal;

import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Makes a holder of native memory (an ONNX Runtime session, a Rust tokenizer) safe to close while
 * other threads use it: every call runs inside {@link #enter()}/{@link Call#close()}, and
 * {@link #close(Runnable)} marks the holder closed at once, then waits for the calls in flight to
 * leave before it releases anything. A call that starts after {@code close} began throws
 * {@link IllegalStateException} ({@code "<name> is closed"}) and never touches freed memory;
 * {@code close} is idempotent (later calls return at once, a concurrent second close waits for the
 * first).
 *
 * <pre>{@code
 * try (CloseGuard.Call c = guard.enter()) {
 *     return session.run(inputs);
 * }
 * ...
 * public void close() { guard.close(() -> session.close()); }
 * }</pre>
 *
 * <p>Calls may nest on one thread (a read lock is reentrant). A call must not close its own holder.
 */
public final class CloseGuard {

    private final String name;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private volatile boolean closed;
    private boolean released;

    /**
     * A guard for the holder called {@code name} in messages (e.g. {@code "embedder all-MiniLM"}).
     *
     * @param name what the holder is called in the {@code "... is closed"} message
     */
    public CloseGuard(String name) {
        this.name = Preconditions.notNull(name, "name");
    }

    /** One call inside the guard; closing it lets a waiting {@link #close(Runnable)} go on. */
    @FunctionalInterface
    public interface Call extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Enters a call.
     *
     * @return the call, to close in a {@code finally} (try-with-resources)
     * @throws IllegalStateException if the holder is closed or closing
     */
    public Call enter() {
        if (closed) {
            throw closedException();
        }
        ReentrantReadWriteLock.ReadLock read = lock.readLock();
        read.lock();
        if (closed) {
            read.unlock();
            throw closedException();
        }
        return read::unlock;
    }

    /**
     * Throws unless the holder is open (for cheap calls that touch no native memory).
     *
     * @throws IllegalStateException if the holder is closed or closing
     */
    public void checkOpen() {
        if (closed) {
            throw closedException();
        }
    }

    /**
     * True once {@link #close(Runnable)} has begun.
     *
     * @return whether the holder is closed or closing
     */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Marks the holder closed (new calls are refused from now on), waits for the calls in flight,
     * then runs {@code release} once. Idempotent.
     *
     * @param release frees the native resources; runs at most once over the guard's life
     * @throws IllegalStateException if the current thread is inside a call of this guard (it would
     *                               wait for itself)
     */
    public void close(Runnable release) {
        if (lock.getReadHoldCount() > 0) {
            throw new IllegalStateException(name + " cannot be closed from inside one of its own calls");
        }
        closed = true;
        ReentrantReadWriteLock.WriteLock write = lock.writeLock();
        write.lock();
        try {
            if (!released) {
                released = true;
                release.run();
            }
        } finally {
            write.unlock();
        }
    }

    private IllegalStateException closedException() {
        return new IllegalStateException(name + " is closed");
    }
}
