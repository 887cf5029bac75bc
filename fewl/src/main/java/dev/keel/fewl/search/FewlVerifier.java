package dev.keel.fewl.search;

import dev.keel.core.KeelException;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.lm.search.Evaluator;
import dev.keel.core.lm.search.Verifier;
import dev.keel.fewl.FewlItem;
import dev.keel.fewl.FewlScore;
import dev.keel.fewl.FewlScorer;
import dev.keel.fewl.Reference;

import java.util.List;

/**
 * A {@link Verifier} that values a finished reply to a question by FEWL against the references'
 * answers: the reply is scored as the answer of one {@link FewlItem} (the question, the references,
 * and the intentionally wrong / corrected answers of a template item if it has them) by the given
 * {@link FewlScorer}, with its options and similarity, and the value is one term of its
 * {@link FewlScore}:
 * <ul>
 *   <li>{@link Term#TRUTHFULNESS} (the default): {@code Σ_i λ_i·Sim(reply, h_i)}, the
 *       expertise-weighted agreement with the references' answers. It needs nothing but the item.</li>
 *   <li>{@link Term#TOTAL}: truthfulness minus the laziness penalty. The penalty compares the reply
 *       with the same references' answers to <em>neighbour</em> questions, which a single reply has
 *       only when the scorer was built with a {@linkplain FewlScorer.Builder#corpus corpus}; without
 *       one the penalty is 0 and TOTAL equals TRUTHFULNESS.</li>
 * </ul>
 * The value is exactly what {@code scorer.score(item)} gives for the same item (same id, question,
 * answer and references). A reply FEWL cannot score (a blank reply, no answered reference, a NaN
 * similarity) is not given a made-up value: {@link #score} throws, which
 * {@link dev.keel.core.lm.search.Mcts} records as a failed simulation. Each call scores one item, so
 * every reference answer is embedded again: give the scorer a
 * {@link dev.keel.core.embed.CachingEmbedder} when a search scores many replies.
 *
 * <pre>{@code
 * try (FewlScorer scorer = Fewl.builder().build()) {
 *     Verifier agree = FewlVerifier.of(scorer, "What is the capital of France?",
 *             Reference.list("Paris.", "The capital of France is Paris."));
 *     Mcts mcts = Mcts.builder(steps).evaluator(Evaluator.rollout(agree, 0)).decoder(tokenizer::decode).build();
 * }
 * }</pre>
 */
public final class FewlVerifier implements Verifier {

    /** Which term of the FEWL score is the value. */
    public enum Term {
        /** Truthfulness minus the laziness penalty (the penalty needs the scorer's corpus). */
        TOTAL,
        /** The expertise-weighted agreement with the references' answers only. */
        TRUTHFULNESS
    }

    /** The id of the items this verifier scores. */
    public static final String ITEM_ID = "search-reply";

    private final FewlScorer scorer;
    private final FewlItem template;
    private final Term term;

    private FewlVerifier(FewlScorer scorer, FewlItem template, Term term) {
        this.scorer = scorer;
        this.template = template;
        this.term = term;
    }

    /**
     * A verifier of replies to {@code question} by their truthfulness against {@code references}.
     *
     * @param scorer     the scorer (its options and similarity); it stays the caller's to close
     * @param question   the question, not blank
     * @param references the references' answers, at least one
     * @return the verifier
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if the question is blank or there is no reference
     */
    public static FewlVerifier of(FewlScorer scorer, String question, List<Reference> references) {
        Preconditions.notNull(references, "references");
        return of(scorer, FewlItem.of(ITEM_ID, question, question, references), Term.TRUTHFULNESS);
    }

    /**
     * A verifier of replies to {@code template}'s question: each reply is scored as {@code template}
     * with the reply as its answer (its references, wrong and corrected answers kept; its label and
     * answer ignored).
     *
     * @param scorer   the scorer; it stays the caller's to close
     * @param template the item: question, references, optional wrong and corrected answers
     * @param term     which term of the score is the value
     * @return the verifier
     * @throws NullPointerException if an argument is null
     */
    public static FewlVerifier of(FewlScorer scorer, FewlItem template, Term term) {
        Preconditions.notNull(scorer, "scorer");
        Preconditions.notNull(template, "template");
        Preconditions.notNull(term, "term");
        return new FewlVerifier(scorer, template, term);
    }

    /**
     * The item a reply is scored as.
     *
     * @param reply the reply, not blank
     * @return the item with {@code reply} as its answer
     * @throws IllegalArgumentException if the reply is blank
     */
    public FewlItem item(String reply) {
        return new FewlItem(template.id(), template.question(), reply, template.references(),
                template.wrongAnswers(), template.correctedAnswers(), null, template.unanswered());
    }

    /**
     * The reply's FEWL term.
     *
     * @param text the finished reply
     * @return {@link Term#TOTAL total} or {@link Term#TRUTHFULNESS truthfulness} of its FEWL score
     * @throws NullPointerException     if {@code text} is null
     * @throws IllegalArgumentException if the reply is blank
     * @throws KeelException            if FEWL could not score the reply, with the score's notes
     */
    @Override
    public double score(String text) {
        Preconditions.notNull(text, "text");
        FewlScore s = scorer.score(item(text));
        double v = term == Term.TOTAL ? s.total() : s.truthfulness();
        if (!Double.isFinite(v)) {
            throw new KeelException("FEWL did not score the reply \"" + (text.length() <= 60 ? text : text.substring(0, 57)
                    + "...") + "\": " + term.name().toLowerCase(java.util.Locale.ROOT) + " " + v + ", notes " + s.notes());
        }
        return v;
    }

    /**
     * The evaluator that continues an unfinished prefix greedily to a finished reply and scores it
     * ({@link Evaluator#rollout(Verifier, double) rollout} at temperature 0).
     *
     * @return the evaluator
     */
    public Evaluator rollout() {
        return Evaluator.rollout(this, 0);
    }

    /**
     * The term that is the value.
     *
     * @return the term
     */
    public Term term() {
        return term;
    }

    /**
     * The question.
     *
     * @return the question replies answer
     */
    public String question() {
        return template.question();
    }

    /**
     * The references.
     *
     * @return the references' answers
     */
    public List<Reference> references() {
        return template.references();
    }

    @Override
    public String toString() {
        return "FewlVerifier[term=" + term + ", references=" + template.references().size() + "]";
    }
}
