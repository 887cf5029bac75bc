package dev.keel.fewl;

/** Receives progress of a scoring run: each stage reports {@code done} of {@code total} units. */
@FunctionalInterface
public interface ProgressListener {

    /** A listener that ignores everything. */
    ProgressListener NONE = (stage, done, total) -> { };

    /**
     * Called as work advances.
     *
     * @param stage {@code generating}, {@code embedding}, {@code neighbours} or {@code scoring}
     * @param done  units done so far
     * @param total units in the stage
     */
    void progress(String stage, long done, long total);
}
