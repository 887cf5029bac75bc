package dev.keel.examples.search;

import dev.keel.core.internal.Preconditions;
import dev.keel.examples.tiny.TinyCorpus;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * keel-tiny's tasks with programmatic answers: the answer is computed from the prompt (a sum, the
 * word list, the word list reversed), so any prompt of the task's form can be verified exactly.
 * Problems come from {@link TinyCorpus}: held-out ones (never in keel-tiny's training set, seed 42)
 * for evaluation, training ones for expert iteration.
 */
public enum SearchTask {
    /** Two-digit sums ("What is 42 + 17?"). */
    ADD2(TinyCorpus.Family.ADD2, 6),
    /** Single-digit sums. */
    ADD1(TinyCorpus.Family.ADD1, 6),
    /** Copying a word list. */
    COPY(TinyCorpus.Family.COPY, 12),
    /** Reversing a word list. */
    REVERSE(TinyCorpus.Family.REVERSE, 12);

    /** The seed keel-tiny was trained with, which fixes its held-out split. */
    public static final long MODEL_SEED = 42;

    private static final Pattern SUM = Pattern.compile("(\\d+)\\s*(?:\\+|plus|and)\\s*(\\d+)");

    private final TinyCorpus.Family family;
    private final int maxTokens;

    SearchTask(TinyCorpus.Family family, int maxTokens) {
        this.family = family;
        this.maxTokens = maxTokens;
    }

    /**
     * The task's command-line name ({@code add2}, {@code add1}, {@code copy}, {@code reverse}).
     *
     * @return the name
     */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The most tokens a reply may have (the search depth).
     *
     * @return the limit
     */
    public int maxTokens() {
        return maxTokens;
    }

    /**
     * The task of a name.
     *
     * @param name {@code add2}, {@code add1}, {@code copy} or {@code reverse}
     * @return the task
     * @throws IllegalArgumentException for another name
     */
    public static SearchTask of(String name) {
        Preconditions.notNull(name, "name");
        for (SearchTask t : values()) {
            if (t.key().equals(name.strip().toLowerCase(Locale.ROOT))) {
                return t;
            }
        }
        throw new IllegalArgumentException("task must be one of " + Arrays.stream(values()).map(SearchTask::key).toList()
                + ", was " + name);
    }

    /**
     * The right reply to {@code prompt}, computed from it.
     *
     * @param prompt a prompt of this task's form
     * @return the expected reply
     * @throws IllegalArgumentException if the prompt is not of this task's form
     */
    public String answer(String prompt) {
        Preconditions.notNull(prompt, "prompt");
        switch (this) {
            case ADD1, ADD2 -> {
                Matcher m = SUM.matcher(prompt);
                Preconditions.checkArgument(m.find(), "prompt must hold a sum like \"12 + 34\" for task " + key()
                        + ", was \"" + prompt + "\"");
                return Long.toString(Long.parseLong(m.group(1)) + Long.parseLong(m.group(2)));
            }
            default -> {
                int colon = prompt.indexOf(':');
                Preconditions.checkArgument(colon >= 0 && !prompt.substring(colon + 1).isBlank(),
                        "prompt must end with \": word word ...\" for task " + key() + ", was \"" + prompt + "\"");
                List<String> words = new ArrayList<>(Arrays.asList(prompt.substring(colon + 1).strip().split("\\s+")));
                if (this == REVERSE) {
                    Collections.reverse(words);
                }
                return String.join(" ", words);
            }
        }
    }

    /**
     * The first {@code n} held-out problems of this task (not in keel-tiny's training set).
     *
     * @param n how many at most (at most 200)
     * @return the problems
     */
    public List<TinyCorpus.Item> heldOut(int n) {
        Preconditions.checkInRange(n, 1, 200, "n");
        return TinyCorpus.heldOut(MODEL_SEED, n).stream().filter(it -> it.family() == family).limit(n).toList();
    }

    /**
     * {@code n} distinct training problems of this task, drawn with {@code seed}.
     *
     * @param n    how many at most
     * @param seed the draw's seed
     * @return the problems
     */
    public List<TinyCorpus.Item> training(int n, long seed) {
        Preconditions.checkPositive(n, "n");
        List<TinyCorpus.Item> all = new ArrayList<>(TinyCorpus.train(MODEL_SEED).stream()
                .filter(it -> it.family() == family).distinct().toList());
        Collections.shuffle(all, new java.util.Random(seed));
        return all.subList(0, Math.min(n, all.size()));
    }
}
