package dev.keel.sam;

import dev.keel.core.internal.Preconditions;
import dev.keel.core.chat.ChatRecord;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Rehearsal (experience replay): mixes records of the old task into the new task's training set,
 * {@code round(ratio * new.size())} of them, drawn without replacement (whole reshuffled passes over
 * the old set when more are needed than it holds), then shuffles the union. Deterministic for a
 * seed. Old records without a {@code source} are tagged {@code "rehearsal"}.
 *
 * <pre>{@code
 * List<ChatRecord> mixed = Rehearsal.mix(taskB, taskA, 0.2, 42);   // 20 old records per 100 new ones
 * }</pre>
 */
public final class Rehearsal {

    /** The source tag of mixed-in old records that had none. */
    public static final String SOURCE = "rehearsal";

    private Rehearsal() {
    }

    /**
     * The number of old records {@link #mix} adds: {@code round(ratio * newSize)}.
     *
     * @param newSize the new size
     * @param ratio old records per new record, >= 0
     * @return the count
     */
    public static int count(int newSize, double ratio) {
        Preconditions.checkArgument(ratio >= 0 && Double.isFinite(ratio), "ratio must be >= 0, was " + ratio);
        return (int) Math.round(ratio * newSize);
    }

    /**
     * Chat records: {@code newTask} plus {@code count(newTask.size(), ratio)} records of {@code oldTask}, shuffled.
     *
     * @param newTask records of the new task
     * @param oldTask records of the old task (the rehearsal pool)
     * @param ratio old records per new record, >= 0
     * @param seed the seed of the random choices
     * @return the mixed records
     */
    public static List<ChatRecord> mix(List<ChatRecord> newTask, List<ChatRecord> oldTask, double ratio, long seed) {
        List<ChatRecord> mixed = mixItems(newTask, oldTask, ratio, seed);
        List<ChatRecord> out = new ArrayList<>(mixed.size());
        java.util.Set<ChatRecord> fresh = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        fresh.addAll(newTask);
        for (ChatRecord r : mixed) {
            out.add(!fresh.contains(r) && r.source() == null ? r.withSource(SOURCE) : r);
        }
        return out;
    }

    /**
     * The same for any items.
     *
     * @param <T> the type of the items
     * @param newTask records of the new task
     * @param oldTask records of the old task (the rehearsal pool)
     * @param ratio old records per new record, >= 0
     * @param seed the seed of the random choices
     * @return the mixed items
     */
    public static <T> List<T> mixItems(List<T> newTask, List<T> oldTask, double ratio, long seed) {
        Preconditions.notNull(newTask, "newTask");
        Preconditions.notNull(oldTask, "oldTask");
        int n = count(newTask.size(), ratio);
        Preconditions.checkArgument(n == 0 || !oldTask.isEmpty(),
                "ratio " + ratio + " asks for " + n + " old records but the old task has none");
        SplittableRandom rnd = new SplittableRandom(seed);
        List<T> out = new ArrayList<>(newTask.size() + n);
        out.addAll(newTask);
        List<T> pool = new ArrayList<>();
        while (n > 0) {
            if (pool.isEmpty()) {
                pool.addAll(oldTask);
                shuffle(pool, rnd);
            }
            out.add(pool.remove(pool.size() - 1));
            n--;
        }
        shuffle(out, rnd);
        return out;
    }

    private static <T> void shuffle(List<T> list, SplittableRandom rnd) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            T t = list.get(i);
            list.set(i, list.get(j));
            list.set(j, t);
        }
    }
}
