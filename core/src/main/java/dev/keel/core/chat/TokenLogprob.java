package dev.keel.core.chat;

import dev.keel.core.internal.Preconditions;

import java.util.List;

/**
 * The log probability of one generated token, with the most likely alternatives at that position
 * when they were asked for ({@link GenerationOptions.Builder#topLogprobs(int)}).
 *
 * @param token       the token's text
 * @param logprob     its natural-log probability as the endpoint reports it
 * @param topLogprobs the alternatives, most likely first (their own {@code topLogprobs} are empty)
 */
public record TokenLogprob(String token, double logprob, List<TokenLogprob> topLogprobs) {

    /**
     * A token's log probability; {@code topLogprobs} is copied.
     *
     * @param token       the token's text
     * @param logprob     its log probability, not NaN
     * @param topLogprobs the alternatives, possibly empty
     * @throws NullPointerException     if {@code token} or {@code topLogprobs} is null
     * @throws IllegalArgumentException if {@code logprob} is NaN or {@code topLogprobs} holds null
     */
    public TokenLogprob {
        Preconditions.notNull(token, "token");
        Preconditions.checkArgument(!Double.isNaN(logprob), "logprob must not be NaN");
        topLogprobs = List.copyOf(Preconditions.noNulls(topLogprobs, "topLogprobs"));
    }
}
