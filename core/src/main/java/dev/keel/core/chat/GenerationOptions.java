package dev.keel.core.chat;

import dev.keel.core.internal.Preconditions;

import dev.keel.core.chat.internal.StrictJson;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * How to generate: temperature, nucleus (top-p), maximum new tokens, stop strings and seed; and for
 * OpenAI-compatible endpoints the number of choices ({@code n}), per-token log probabilities, the
 * {@code response_format}, whether the token limit is sent as {@code max_completion_tokens}, and
 * extra parameters passed through as given. Immutable; build with {@link #builder()} or start from
 * {@link #defaults()} (greedy, 256 tokens, one choice).
 *
 * <pre>{@code
 * GenerationOptions o = GenerationOptions.builder().temperature(0.7).topP(0.9).maxTokens(128).seed(7)
 *         .n(3).logprobs(true).topLogprobs(2).responseFormat(ResponseFormat.jsonObject())
 *         .extraParameter("repetition_penalty", "1.1").build();
 * }</pre>
 */
public final class GenerationOptions {

    /** The most choices one request may ask for. */
    public static final int MAX_N = 128;
    /** The most alternatives per token one request may ask for (OpenAI's limit). */
    public static final int MAX_TOP_LOGPROBS = 20;

    /**
     * The request fields Keel sets itself, which {@link Builder#extraParameter(String, String)} refuses.
     */
    public static final Set<String> RESERVED_PARAMETERS = Set.of("model", "messages", "temperature", "top_p",
            "max_tokens", "max_completion_tokens", "stop", "seed", "n", "logprobs", "top_logprobs",
            "response_format", "stream", "stream_options");

    private static final GenerationOptions DEFAULTS = builder().build();

    private final double temperature;
    private final double topP;
    private final int maxTokens;
    private final List<String> stop;
    private final Long seed;
    private final int n;
    private final boolean logprobs;
    private final int topLogprobs;
    private final boolean maxCompletionTokens;
    private final ResponseFormat responseFormat;
    private final Map<String, String> extraParameters;
    private final boolean temperatureSet;
    private final boolean topPSet;
    private final boolean maxTokensSet;

    private GenerationOptions(Builder b) {
        this.temperature = b.temperature;
        this.topP = b.topP;
        this.maxTokens = b.maxTokens;
        this.stop = List.copyOf(b.stop);
        this.seed = b.seed;
        this.n = b.n;
        this.logprobs = b.logprobs;
        this.topLogprobs = b.topLogprobs;
        this.maxCompletionTokens = b.maxCompletionTokens;
        this.responseFormat = b.responseFormat;
        this.extraParameters = Collections.unmodifiableMap(new TreeMap<>(b.extraParameters));
        this.temperatureSet = b.temperatureSet;
        this.topPSet = b.topPSet;
        this.maxTokensSet = b.maxTokensSet;
    }

    /**
     * Greedy decoding (temperature 0), top-p 1, 256 new tokens, no stop strings, no seed, one choice,
     * no log probabilities, no response format, no extra parameters.
     *
     * @return the default options
     */
    public static GenerationOptions defaults() {
        return DEFAULTS;
    }

    /**
     * A builder that starts from the {@link #defaults() defaults}.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder that starts from these options.
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.temperature = temperature;
        b.topP = topP;
        b.maxTokens = maxTokens;
        b.stop = stop;
        b.seed = seed;
        b.n = n;
        b.logprobs = logprobs;
        b.topLogprobs = topLogprobs;
        b.maxCompletionTokens = maxCompletionTokens;
        b.responseFormat = responseFormat;
        b.extraParameters = new TreeMap<>(extraParameters);
        b.temperatureSet = temperatureSet;
        b.topPSet = topPSet;
        b.maxTokensSet = maxTokensSet;
        return b;
    }

    /**
     * Sampling temperature; 0 means greedy.
     *
     * @return the temperature, {@code >= 0}
     */
    public double temperature() {
        return temperature;
    }

    /**
     * Nucleus sampling mass.
     *
     * @return top-p, in {@code (0, 1]}
     */
    public double topP() {
        return topP;
    }

    /**
     * The most tokens to generate.
     *
     * @return the token limit, {@code > 0}
     */
    public int maxTokens() {
        return maxTokens;
    }

    /**
     * Strings that end generation when produced (not included in the output).
     *
     * @return the stop strings, possibly empty
     */
    public List<String> stop() {
        return stop;
    }

    /**
     * The sampling seed.
     *
     * @return the seed, or {@code null} if none was given
     */
    public Long seed() {
        return seed;
    }

    /**
     * How many choices to generate for each request ({@code n}).
     *
     * @return the number of choices, in {@code [1, MAX_N]}
     */
    public int n() {
        return n;
    }

    /**
     * Whether per-token log probabilities are asked for ({@code logprobs}).
     *
     * @return {@code true} if they are
     */
    public boolean logprobs() {
        return logprobs;
    }

    /**
     * How many most likely alternatives are asked for at each token ({@code top_logprobs}).
     *
     * @return the count, in {@code [0, MAX_TOP_LOGPROBS]}; above 0 only with {@link #logprobs()}
     */
    public int topLogprobs() {
        return topLogprobs;
    }

    /**
     * Whether the token limit is sent as {@code max_completion_tokens} (which newer OpenAI models
     * require) instead of {@code max_tokens}.
     *
     * @return {@code true} for {@code max_completion_tokens}
     */
    public boolean usesMaxCompletionTokens() {
        return maxCompletionTokens;
    }

    /**
     * The {@code response_format} to send.
     *
     * @return the format, or {@code null} to send none (the endpoint's default, free text)
     */
    public ResponseFormat responseFormat() {
        return responseFormat;
    }

    /**
     * Parameters sent as they are: name to the JSON text of the value, sorted by name.
     *
     * @return an unmodifiable map, possibly empty
     */
    public Map<String, String> extraParameters() {
        return extraParameters;
    }

    /**
     * Whether the temperature was given explicitly (through the builder) rather than left at its
     * default; a local model then uses its own default (e.g. from {@code generation_config.json}) instead.
     *
     * @return {@code true} if {@link Builder#temperature} was called
     */
    public boolean hasTemperature() {
        return temperatureSet;
    }

    /**
     * Whether top-p was given explicitly rather than left at its default.
     *
     * @return {@code true} if {@link Builder#topP} was called
     */
    public boolean hasTopP() {
        return topPSet;
    }

    /**
     * Whether the token limit was given explicitly rather than left at its default.
     *
     * @return {@code true} if {@link Builder#maxTokens} was called
     */
    public boolean hasMaxTokens() {
        return maxTokensSet;
    }

    /**
     * Equal when every value is equal (whether a value was set explicitly is not compared).
     *
     * @param o the other object
     * @return whether {@code o} holds the same values
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof GenerationOptions g && g.temperature == temperature && g.topP == topP
                && g.maxTokens == maxTokens && g.stop.equals(stop) && Objects.equals(g.seed, seed)
                && g.n == n && g.logprobs == logprobs && g.topLogprobs == topLogprobs
                && g.maxCompletionTokens == maxCompletionTokens && Objects.equals(g.responseFormat, responseFormat)
                && g.extraParameters.equals(extraParameters);
    }

    @Override
    public int hashCode() {
        return Objects.hash(temperature, topP, maxTokens, stop, seed, n, logprobs, topLogprobs, maxCompletionTokens,
                responseFormat, extraParameters);
    }

    @Override
    public String toString() {
        return "GenerationOptions[temperature=" + temperature + ", topP=" + topP + ", maxTokens=" + maxTokens
                + ", stop=" + stop + ", seed=" + seed + ", n=" + n + ", logprobs=" + logprobs
                + ", topLogprobs=" + topLogprobs + ", maxCompletionTokens=" + maxCompletionTokens
                + ", responseFormat=" + responseFormat + ", extraParameters=" + extraParameters.keySet() + "]";
    }

    /** Builds {@link GenerationOptions}; each value is checked as it is set. */
    public static final class Builder {
        private double temperature = 0.0;
        private double topP = 1.0;
        private int maxTokens = 256;
        private List<String> stop = List.of();
        private Long seed;
        private int n = 1;
        private boolean logprobs;
        private int topLogprobs;
        private boolean maxCompletionTokens;
        private ResponseFormat responseFormat;
        private Map<String, String> extraParameters = new TreeMap<>();
        private boolean temperatureSet;
        private boolean topPSet;
        private boolean maxTokensSet;

        private Builder() {
        }

        /**
         * Sampling temperature; default 0 (greedy).
         *
         * @param temperature {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code temperature < 0}
         */
        public Builder temperature(double temperature) {
            this.temperature = Preconditions.checkNonNegative(temperature, "temperature");
            this.temperatureSet = true;
            return this;
        }

        /**
         * Nucleus sampling mass; default 1.
         *
         * @param topP in {@code (0, 1]}
         * @return this builder
         * @throws IllegalArgumentException if {@code topP} is out of range
         */
        public Builder topP(double topP) {
            Preconditions.checkArgument(topP > 0 && topP <= 1, "topP must be in (0, 1], was " + topP);
            this.topP = topP;
            this.topPSet = true;
            return this;
        }

        /**
         * The most tokens to generate, sent as {@code max_tokens}; default 256. Undoes
         * {@link #maxCompletionTokens(int)}.
         *
         * @param maxTokens {@code > 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code maxTokens <= 0}
         */
        public Builder maxTokens(int maxTokens) {
            this.maxTokens = Preconditions.checkPositive(maxTokens, "maxTokens");
            this.maxCompletionTokens = false;
            this.maxTokensSet = true;
            return this;
        }

        /**
         * The most tokens to generate, sent as {@code max_completion_tokens} instead of
         * {@code max_tokens} (newer OpenAI models refuse {@code max_tokens}). Undone by
         * {@link #maxTokens(int)}; {@link GenerationOptions#maxTokens()} returns the value either way.
         *
         * @param maxCompletionTokens {@code > 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code maxCompletionTokens <= 0}
         */
        public Builder maxCompletionTokens(int maxCompletionTokens) {
            this.maxTokens = Preconditions.checkPositive(maxCompletionTokens, "maxCompletionTokens");
            this.maxCompletionTokens = true;
            this.maxTokensSet = true;
            return this;
        }

        /**
         * How many choices to generate ({@code n}); default 1 (not sent).
         *
         * @param n in {@code [1, MAX_N]}
         * @return this builder
         * @throws IllegalArgumentException if {@code n} is out of range
         */
        public Builder n(int n) {
            this.n = Preconditions.checkInRange(n, 1, MAX_N, "n");
            return this;
        }

        /**
         * Whether to ask for per-token log probabilities ({@code logprobs}); default {@code false}.
         *
         * @param logprobs {@code true} to ask for them
         * @return this builder
         */
        public Builder logprobs(boolean logprobs) {
            this.logprobs = logprobs;
            return this;
        }

        /**
         * How many most likely alternatives to return at each token ({@code top_logprobs});
         * default 0 (not sent). Needs {@link #logprobs(boolean) logprobs(true)}, checked by {@link #build()}.
         *
         * @param topLogprobs in {@code [0, MAX_TOP_LOGPROBS]}
         * @return this builder
         * @throws IllegalArgumentException if {@code topLogprobs} is out of range
         */
        public Builder topLogprobs(int topLogprobs) {
            this.topLogprobs = Preconditions.checkInRange(topLogprobs, 0, MAX_TOP_LOGPROBS, "topLogprobs");
            return this;
        }

        /**
         * The {@code response_format} to send; default none.
         *
         * @param responseFormat the format, or {@code null} to send none
         * @return this builder
         */
        public Builder responseFormat(ResponseFormat responseFormat) {
            this.responseFormat = responseFormat;
            return this;
        }

        /**
         * A parameter sent as it is, e.g. {@code extraParameter("repetition_penalty", "1.1")} or
         * {@code extraParameter("chat_template_kwargs", "{\"enable_thinking\":false}")}. Replaces a
         * value set before under the same name.
         *
         * @param name      the field name, not one of {@link #RESERVED_PARAMETERS}
         * @param jsonValue the value as the text of one JSON value (a string needs its quotes)
         * @return this builder
         * @throws NullPointerException     if an argument is null
         * @throws IllegalArgumentException if {@code name} is blank or reserved, or {@code jsonValue}
         *                                  is not one valid JSON value
         */
        public Builder extraParameter(String name, String jsonValue) {
            Preconditions.notBlank(name, "extra parameter name");
            Preconditions.notNull(jsonValue, "extra parameter \"" + name + "\"");
            Preconditions.checkArgument(!RESERVED_PARAMETERS.contains(name), "extra parameter \"" + name
                    + "\" is set by Keel itself; use its option instead (reserved: " + new TreeSet<>(RESERVED_PARAMETERS) + ")");
            StrictJson.readArgument(jsonValue, "extra parameter \"" + name + "\"");
            extraParameters.put(name, jsonValue);
            return this;
        }

        /**
         * Parameters sent as they are, replacing those set before; see
         * {@link #extraParameter(String, String)}.
         *
         * @param parameters name to the JSON text of the value
         * @return this builder
         * @throws NullPointerException     if {@code parameters} is null or holds a null key or value
         * @throws IllegalArgumentException if a name is blank or reserved, or a value is not one JSON value
         */
        public Builder extraParameters(Map<String, String> parameters) {
            Preconditions.notNull(parameters, "extraParameters");
            Map<String, String> saved = extraParameters;
            extraParameters = new TreeMap<>();
            try {
                parameters.forEach(this::extraParameter);
            } catch (RuntimeException e) {
                extraParameters = saved;
                throw e;
            }
            return this;
        }

        /**
         * Strings that end generation; default none.
         *
         * @param stop non-empty strings
         * @return this builder
         * @throws NullPointerException     if {@code stop} is null
         * @throws IllegalArgumentException if {@code stop} holds null or an empty string
         */
        public Builder stop(List<String> stop) {
            Preconditions.noNulls(stop, "stop");
            for (String s : stop) {
                Preconditions.checkArgument(!s.isEmpty(), "stop strings must not be empty");
            }
            this.stop = List.copyOf(stop);
            return this;
        }

        /**
         * The sampling seed; default none.
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Builds the options.
         *
         * @return the immutable options
         * @throws IllegalStateException if {@code topLogprobs > 0} without {@code logprobs(true)}
         */
        public GenerationOptions build() {
            Preconditions.checkState(topLogprobs == 0 || logprobs,
                    "topLogprobs needs logprobs(true), was topLogprobs=" + topLogprobs + " with logprobs=false");
            return new GenerationOptions(this);
        }
    }
}
