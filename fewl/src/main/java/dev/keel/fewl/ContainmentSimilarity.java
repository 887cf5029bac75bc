package dev.keel.fewl;

import dev.keel.core.similarity.LexicalTokens;

import dev.keel.core.internal.Preconditions;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Token containment, for answers of different lengths (a three-word answer against a sentence):
 * the share of one answer's <em>content words</em> that the other answer also states. Content
 * words are the maximal runs of letters and digits of the NFKC-normalised, lower-cased text,
 * minus a short list of English function words and, when a question is given
 * ({@link QuestionAwareSimilarity}) and {@link #ignoreQuestionWords()} is on, minus the words of
 * the question the text answers (unless that would leave nothing). Each text's content words form
 * a set.
 *
 * <ul>
 *   <li>{@link Direction#SHORTER_IN_LONGER} (the default): {@code |S ∩ L| / |S|} where S is the
 *       smaller of the two sets (ties: the first) — how much of the shorter answer the longer one
 *       states. <b>Symmetric</b> in its two arguments.</li>
 *   <li>{@link Direction#FIRST_IN_SECOND}: {@code |A ∩ B| / |A|} — how much of the first text the
 *       second states. <b>Asymmetric</b>: "Paris" in "Paris, France" is 1, the other way ½.</li>
 * </ul>
 * Range {@code [0, 1]}; 1 when every content word of the measured text is in the other one; 0 when
 * either text has no content word at all (nothing stated, nothing agreed). Keel's own extension of
 * FEWL (the paper uses embedding similarity). Each text's content words are computed once per
 * instance (held for the instance's life: use one instance per run).
 */
public final class ContainmentSimilarity implements QuestionAwareSimilarity {

    /** Which text's content words are measured. */
    public enum Direction {
        /** The smaller set of content words measured against the larger (symmetric). */
        SHORTER_IN_LONGER,
        /** The first text's content words measured against the second's (asymmetric). */
        FIRST_IN_SECOND
    }

    /** English function words that carry no content on their own. */
    static final Set<String> STOP_WORDS = Set.copyOf(Arrays.asList((
            "a an the of in on at to for from by with and or is are was were be been being it its this that these "
                    + "those as which who whom what when where why how do does did has have had not no but if then than so "
                    + "such there their they he she his her him we our you your i me my also according wikipedia").split(" ")));

    private final Direction direction;
    private final boolean ignoreQuestionWords;
    private final Map<String, Map<String, Set<String>>> cache = new ConcurrentHashMap<>();

    /**
     * The default: shorter in longer, question words ignored where a question is given.
     */
    public ContainmentSimilarity() {
        this(Direction.SHORTER_IN_LONGER, true);
    }

    /**
     * A containment similarity.
     *
     * @param direction           which text's content words are measured
     * @param ignoreQuestionWords whether the words of a text's question are left out of its content words
     * @throws NullPointerException if {@code direction} is null
     */
    public ContainmentSimilarity(Direction direction, boolean ignoreQuestionWords) {
        this.direction = Preconditions.notNull(direction, "direction");
        this.ignoreQuestionWords = ignoreQuestionWords;
    }

    /**
     * Which text's content words are measured.
     *
     * @return the direction
     */
    public Direction direction() {
        return direction;
    }

    /**
     * Whether the words of a text's question are left out of its content words.
     *
     * @return true when they are
     */
    public boolean ignoreQuestionWords() {
        return ignoreQuestionWords;
    }

    @Override
    public double[] scoreAll(List<String> a, List<String> b) {
        Preconditions.notNull(a, "a");
        Preconditions.notNull(b, "b");
        return scoreAll(a, null, b, null);
    }

    @Override
    public double[] scoreAll(List<String> a, List<String> aQuestions, List<String> b, List<String> bQuestions) {
        Preconditions.notNull(a, "a");
        Preconditions.notNull(b, "b");
        Preconditions.checkArgument(a.size() == b.size(), "a and b must have the same size: " + a.size() + " != " + b.size());
        Preconditions.checkArgument(aQuestions == null || aQuestions.size() == a.size(),
                "aQuestions must have the size of a: " + (aQuestions == null ? 0 : aQuestions.size()) + " != " + a.size());
        Preconditions.checkArgument(bQuestions == null || bQuestions.size() == b.size(),
                "bQuestions must have the size of b: " + (bQuestions == null ? 0 : bQuestions.size()) + " != " + b.size());
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            Set<String> x = content(Preconditions.notNull(a.get(i), "a[" + i + "]"), aQuestions == null ? null : aQuestions.get(i));
            Set<String> y = content(Preconditions.notNull(b.get(i), "b[" + i + "]"), bQuestions == null ? null : bQuestions.get(i));
            out[i] = contained(x, y);
        }
        return out;
    }

    /** The score of two content-word sets. */
    double contained(Set<String> x, Set<String> y) {
        if (x.isEmpty() || y.isEmpty()) {
            return 0.0;
        }
        Set<String> measured = x;
        Set<String> other = y;
        if (direction == Direction.SHORTER_IN_LONGER && y.size() < x.size()) {
            measured = y;
            other = x;
        }
        int common = 0;
        for (String t : measured) {
            if (other.contains(t)) {
                common++;
            }
        }
        return (double) common / measured.size();
    }

    /**
     * The content words of {@code text} answering {@code question} (null: no question).
     *
     * @param text     the text
     * @param question its question, or null
     * @return the content words, unmodifiable
     */
    Set<String> content(String text, String question) {
        String q = ignoreQuestionWords && question != null ? question : null;
        return cache.computeIfAbsent(q == null ? "" : q, k -> new ConcurrentHashMap<>()).computeIfAbsent(text, k -> {
            Set<String> words = words(text);
            words.removeAll(STOP_WORDS);
            if (q != null) {
                Set<String> rest = new HashSet<>(words);
                rest.removeAll(words(q));
                if (!rest.isEmpty()) {
                    words = rest;
                }
            }
            return Set.copyOf(words);
        });
    }

    /** The maximal runs of letters and digits of the NFKC-normalised, lower-cased text (core's lexical tokens). */
    static Set<String> words(String text) {
        return new HashSet<>(LexicalTokens.of(text));
    }

    @Override
    public String name() {
        return (direction == Direction.SHORTER_IN_LONGER ? "containment" : "containment-first-in-second")
                + (ignoreQuestionWords ? "" : "-with-question-words");
    }
}
