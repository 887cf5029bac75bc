package dev.keel.core.lm.train;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

class LrSchedulePropertiesTest {

    /** Every schedule stays within [floor, peak] and never rises after the warm-up. */
    @Property(tries = 300, seed = "5")
    void ratesStayInRangeAndDecay(@ForAll LrSchedule schedule, @ForAll @IntRange(min = 0, max = 20) int warmup,
                                  @ForAll @IntRange(min = 1, max = 200) int extra,
                                  @ForAll @DoubleRange(min = 0, max = 1) double minRatio) {
        double peak = 3e-4;
        int total = warmup + extra;
        double previous = Double.POSITIVE_INFINITY;
        for (int s = 0; s < total; s++) {
            double r = schedule.rate(peak, s, warmup, total, minRatio);
            if (r > peak * (1 + 1e-12) || r < 0) {
                throw new AssertionError(schedule + " step " + s + " rate " + r + " outside [0, " + peak + "]");
            }
            if (s >= warmup) {
                if (r < peak * minRatio * (1 - 1e-12) || r > previous * (1 + 1e-12)) {
                    throw new AssertionError(schedule + " step " + s + " rate " + r + " after " + previous);
                }
                previous = r;
            }
        }
    }
}
