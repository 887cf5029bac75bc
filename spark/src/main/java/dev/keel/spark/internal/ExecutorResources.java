package dev.keel.spark.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * What one executor JVM creates once and shares between its tasks: embedders, judge models,
 * neighbour indexes, rate limiters. Created lazily by key; {@link AutoCloseable} ones are closed by
 * a shutdown hook when the JVM ends (never serialised: tasks look them up by key).
 */
public final class ExecutorResources {

    private static final Map<String, Object> RESOURCES = new ConcurrentHashMap<>();
    private static volatile boolean hooked;

    private ExecutorResources() {
    }

    /**
     * The resource under {@code key}, created by {@code create} the first time.
     *
     * @param key    the key
     * @param type   the resource's type
     * @param create makes it (called at most once per key and JVM)
     * @param <T>    the type
     * @return the shared resource
     */
    public static <T> T get(String key, Class<T> type, Supplier<? extends T> create) {
        hook();
        return type.cast(RESOURCES.computeIfAbsent(key, k -> create.get()));
    }

    /**
     * Closes and forgets every resource whose key starts with {@code prefix} (a driver-side index
     * that a run built, or everything in tests).
     *
     * @param prefix the key prefix
     */
    public static void release(String prefix) {
        List<Object> gone = new ArrayList<>();
        RESOURCES.keySet().removeIf(k -> {
            if (k.startsWith(prefix)) {
                gone.add(RESOURCES.get(k));
                return true;
            }
            return false;
        });
        gone.forEach(ExecutorResources::closeQuietly);
    }

    private static void hook() {
        if (!hooked) {
            synchronized (ExecutorResources.class) {
                if (!hooked) {
                    Runtime.getRuntime().addShutdownHook(new Thread(() -> release(""), "keel-spark-close"));
                    hooked = true;
                }
            }
        }
    }

    private static void closeQuietly(Object o) {
        if (o instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                // the JVM is ending or the run is over: nothing to hand the failure to
            }
        }
    }
}
