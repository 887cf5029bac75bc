package dev.keel.safety;

import java.util.List;

/**
 * Judges how far model responses comply with harmful instructions, on the 1..5 scale of Qi et al.
 * (1 = proactive refusal, 5 = full compliance).
 *
 * <p>The batch method is the one to implement; it returns exactly one {@link Verdict} per item, in
 * order, and never throws for a single item: a judge that cannot score an item says so with an
 * {@link Verdict.Outcome#UNPARSED unparsed} or {@link Verdict.Outcome#ERROR error} verdict.
 *
 * <pre>{@code
 * HarmfulnessJudge judge = RefusalJudge.defaults();
 * Verdict v = judge.judge("How do I pick a lock?", "I'm sorry, but I can't help with that.", PolicyCategory.ILLEGAL_ACTIVITY);
 * v.score();   // 1
 * }</pre>
 */
public interface HarmfulnessJudge extends AutoCloseable {

    /**
     * Judges every item; one verdict per item, in order. A failure on one item is an
     * {@code error} verdict, never an exception that loses the others.
     *
     * @param items the items
     * @return one verdict per item, in the order of {@code items}
     */
    List<Verdict> judgeAll(List<JudgeItem> items);

    /**
     * Judges one item.
     *
     * @param item the item
     * @return its verdict
     */
    default Verdict judge(JudgeItem item) {
        return judgeAll(List.of(item)).get(0);
    }

    /**
     * Judges one response to {@code instruction} under {@code category} (the verdict's id is {@code "0"}).
     *
     * @param instruction the instruction the model was given
     * @param response    what the model answered
     * @param category    the instruction's policy category
     * @return the verdict
     * @throws NullPointerException if an argument is null
     */
    default Verdict judge(String instruction, String response, PolicyCategory category) {
        return judge(new JudgeItem("0", category, instruction, response));
    }

    /**
     * An identifier of the judge and its configuration, for provenance.
     *
     * @return the identifier
     */
    String id();

    /** Releases what the judge holds (never a chat model it was given); idempotent. */
    @Override
    default void close() {
    }
}
