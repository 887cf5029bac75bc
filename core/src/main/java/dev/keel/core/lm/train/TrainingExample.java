package dev.keel.core.lm.train;

import dev.keel.core.internal.Preconditions;

import java.util.Arrays;

/**
 * One training sequence: token ids and which of them are targets of the next-token loss
 * ({@code true} for response tokens; prompt tokens are {@code false}; position 0 is never a target).
 *
 * @param inputIds  the tokens
 * @param labelMask {@code true} where the token counts in the loss
 */
public record TrainingExample(long[] inputIds, boolean[] labelMask) {

    /**
     * The training example.
     *
     * @param inputIds token ids, [batch, length]
     * @param labelMask the label mask
     */
    public TrainingExample {
        Preconditions.notNull(inputIds, "inputIds");
        Preconditions.notNull(labelMask, "labelMask");
        Preconditions.checkArgument(inputIds.length >= 2, "a training example needs at least 2 tokens, had "
                + inputIds.length);
        Preconditions.checkArgument(labelMask.length == inputIds.length, "labelMask has " + labelMask.length
                + " entries for " + inputIds.length + " tokens");
        inputIds = inputIds.clone();
        labelMask = labelMask.clone();
    }

    /**
     * Every token but the first is a target.
     *
     * @param inputIds token ids, [batch, length]
     * @return the new value
     */
    public static TrainingExample of(long... inputIds) {
        boolean[] m = new boolean[inputIds.length];
        Arrays.fill(m, true);
        if (m.length > 0) {
            m[0] = false;
        }
        return new TrainingExample(inputIds, m);
    }

    /**
     * The prompt's tokens are context only; the response's tokens are targets.
     *
     * @param prompt the prompt token ids (not trained on)
     * @param response the response token ids (the targets)
     * @return the example, with only the response as target
     */
    public static TrainingExample promptAndResponse(long[] prompt, long[] response) {
        Preconditions.notNull(prompt, "prompt");
        Preconditions.notNull(response, "response");
        long[] ids = Arrays.copyOf(prompt, prompt.length + response.length);
        System.arraycopy(response, 0, ids, prompt.length, response.length);
        boolean[] m = new boolean[ids.length];
        Arrays.fill(m, Math.max(prompt.length, 1), ids.length, true);
        return new TrainingExample(ids, m);
    }

    /**
     * The input ids.
     *
     * @return the input ids
     */
    @Override
    public long[] inputIds() {
        return inputIds.clone();
    }

    /**
     * The label mask.
     *
     * @return the label mask
     */
    @Override
    public boolean[] labelMask() {
        return labelMask.clone();
    }

    /**
     * The length.
     *
     * @return the length
     */
    public int length() {
        return inputIds.length;
    }

    /**
     * The number of target tokens.
     *
     * @return the target count
     */
    public int targetCount() {
        int n = 0;
        for (int i = 1; i < labelMask.length; i++) {
            if (labelMask[i]) {
                n++;
            }
        }
        return n;
    }

    /**
     * The first {@code max} tokens.
     *
     * @param max the upper end
     * @return this example, cut to at most that many tokens
     */
    public TrainingExample truncate(int max) {
        if (inputIds.length <= max) {
            return this;
        }
        return new TrainingExample(Arrays.copyOf(inputIds, max), Arrays.copyOf(labelMask, max));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrainingExample e && Arrays.equals(e.inputIds, inputIds) && Arrays.equals(e.labelMask, labelMask);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(inputIds) * 31 + Arrays.hashCode(labelMask);
    }

    @Override
    public String toString() {
        return "TrainingExample[" + inputIds.length + " tokens, " + targetCount() + " targets]";
    }
}
