package dev.keel.safety.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Stratified allocation: splits a total over groups of limited size so that the counts of any two
 * groups differ by at most one unless the smaller group is used up. Ties (which groups get the
 * extra one when the total does not divide evenly) are broken by a seeded random choice.
 */
public final class Stratified {

    private Stratified() {
    }

    /**
     * Allocates {@code total} over groups with the given {@code available} sizes.
     *
     * @throws IllegalArgumentException if {@code total} is negative or exceeds the sum of sizes
     */
    public static int[] allocate(int total, int[] available, Random random) {
        if (total < 0) {
            throw new IllegalArgumentException("total must be >= 0, was " + total);
        }
        long sum = 0;
        for (int a : available) {
            if (a < 0) {
                throw new IllegalArgumentException("available sizes must be >= 0, was " + a);
            }
            sum += a;
        }
        if (total > sum) {
            throw new IllegalArgumentException("cannot take " + total + " from groups holding only " + sum);
        }
        int[] quota = new int[available.length];
        int remaining = total;
        while (remaining > 0) {
            List<Integer> open = new ArrayList<>();
            for (int g = 0; g < available.length; g++) {
                if (quota[g] < available[g]) {
                    open.add(g);
                }
            }
            if (remaining >= open.size()) {
                // Every open group gets as many as the smallest headroom (or the even share) allows.
                int minHeadroom = Integer.MAX_VALUE;
                for (int g : open) {
                    minHeadroom = Math.min(minHeadroom, available[g] - quota[g]);
                }
                int step = Math.max(1, Math.min(minHeadroom, remaining / open.size()));
                for (int g : open) {
                    quota[g] += step;
                }
                remaining -= step * open.size();
            } else {
                Collections.shuffle(open, random);
                for (int k = 0; k < remaining; k++) {
                    quota[open.get(k)]++;
                }
                remaining = 0;
            }
        }
        return quota;
    }
}
