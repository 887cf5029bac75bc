package dev.keel.core.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A scripted close race: per repetition, a fresh resource, {@code threads} threads calling it in a
 * loop, and {@code close()} from the main thread at a random moment (0–{@code maxDelayMicros}); every
 * thread must then end with either normal returns or an {@link IllegalStateException} saying "is
 * closed", within a timeout. Meant to run in a forked JVM ({@link ForkedJava}), so that a native
 * crash is counted as the child's exit status instead of killing the test.
 */
public final class CloseRace {

    /** What the run saw. */
    public record Counts(long repetitions, long calls, long closedRefusals, long otherFailures, long hangs, String firstFailure) {
        /** @return one line, {@code key=value} separated by spaces, parsed back by {@link #parse(String)} */
        public String line() {
            return String.format(Locale.ROOT, "CLOSE-RACE repetitions=%d calls=%d closedRefusals=%d otherFailures=%d hangs=%d",
                    repetitions, calls, closedRefusals, otherFailures, hangs);
        }

        /**
         * @param output a child's output holding the line written by {@link #line()}
         * @return the counts, or null where the line is absent (the child died first)
         */
        public static Counts parse(String output) {
            for (String l : output.split("\n")) {
                if (l.startsWith("CLOSE-RACE ")) {
                    long[] v = new long[5];
                    String[] parts = l.substring(11).trim().split(" ");
                    for (int i = 0; i < 5; i++) {
                        v[i] = Long.parseLong(parts[i].substring(parts[i].indexOf('=') + 1));
                    }
                    return new Counts(v[0], v[1], v[2], v[3], v[4], null);
                }
            }
            return null;
        }
    }

    private CloseRace() {
    }

    /**
     * Runs the race.
     *
     * @param open           makes a fresh resource
     * @param call           one call of the resource (the thing that must survive a concurrent close)
     * @param repetitions    how many resources to race
     * @param threads        callers per resource
     * @param maxDelayMicros the latest moment close comes after the callers start
     * @param seed           the seed of the close moments
     * @param <R>            the resource type
     * @return the counts
     */
    public static <R extends AutoCloseable> Counts run(Supplier<R> open, Consumer<R> call, int repetitions, int threads,
                                                         int maxDelayMicros, long seed) throws Exception {
        SplittableRandom random = new SplittableRandom(seed);
        AtomicLong calls = new AtomicLong();
        AtomicLong refusals = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        long hangs = 0;
        String[] first = {null};
        for (int r = 0; r < repetitions; r++) {
            R resource = open.get();
            CountDownLatch started = new CountDownLatch(threads);
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Thread w = new Thread(() -> {
                    started.countDown();
                    while (true) {
                        try {
                            call.accept(resource);
                            calls.incrementAndGet();
                        } catch (IllegalStateException e) {
                            if (e.getMessage() != null && e.getMessage().endsWith("is closed")) {
                                refusals.incrementAndGet();
                            } else {
                                failures.incrementAndGet();
                                synchronized (first) {
                                    if (first[0] == null) {
                                        first[0] = e.toString();
                                    }
                                }
                            }
                            return;
                        } catch (RuntimeException e) {
                            failures.incrementAndGet();
                            synchronized (first) {
                                if (first[0] == null) {
                                    first[0] = e.toString();
                                }
                            }
                            return;
                        }
                    }
                }, "close-race-" + r + "-" + t);
                w.setDaemon(true);
                workers.add(w);
                w.start();
            }
            started.await(10, TimeUnit.SECONDS);
            TimeUnit.MICROSECONDS.sleep(random.nextInt(maxDelayMicros + 1));
            Thread closer = new Thread(() -> {
                try {
                    resource.close();
                    resource.close(); // idempotent
                } catch (Exception e) {
                    failures.incrementAndGet();
                    synchronized (first) {
                        if (first[0] == null) {
                            first[0] = "close: " + e;
                        }
                    }
                }
            }, "close-race-closer-" + r);
            closer.setDaemon(true);
            closer.start();
            closer.join(10_000);
            if (closer.isAlive()) {
                hangs++;
                continue;
            }
            for (Thread w : workers) {
                w.join(10_000);
                if (w.isAlive()) {
                    hangs++;
                }
            }
        }
        return new Counts(repetitions, calls.get(), refusals.get(), failures.get(), hangs, first[0]);
    }
}
