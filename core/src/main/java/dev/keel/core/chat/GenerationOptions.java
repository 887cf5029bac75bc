package dev.keel.core.chat;

import dev.keel.core.internal.Preconditions;

import java.util.List;
import java.util.Objects;

/**
 * How to generate: temperature, nucleus (top-p), maximum new tokens, stop strings and seed.
 * Immutable; build with {@link #builder()} or start from {@link #defaults()} (greedy, 256 tokens).
 *
 * <pre>{@code
 * GenerationOptions o = GenerationOptions.builder().temperature(0.7).topP(0.9).maxTokens(128).seed(7).build();
 * }</pre>
 */
public final class GenerationOptions {

    private static final GenerationOptions DEFAULTS = builder().build();

    private final double temperature;
    private final double topP;
    private final int maxTokens;
    private final List<String> stop;
    private final Long seed;
    private final boolean temperatureSet;
    private final boolean topPSet;
    private final boolean maxTokensSet;

    private GenerationOptions(Builder b) {
        this.temperature = b.temperature;
        this.topP = b.topP;
        this.maxTokens = b.maxTokens;
        this.stop = List.copyOf(b.stop);
        this.seed = b.seed;
        this.temperatureSet = b.temperatureSet;
        this.topPSet = b.topPSet;
        this.maxTokensSet = b.maxTokensSet;
    }

    /**
     * Greedy decoding (temperature 0), top-p 1, 256 new tokens, no stop strings, no seed.
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
                && g.maxTokens == maxTokens && g.stop.equals(stop) && Objects.equals(g.seed, seed);
    }

    @Override
    public int hashCode() {
        return Objects.hash(temperature, topP, maxTokens, stop, seed);
    }

    @Override
    public String toString() {
        return "GenerationOptions[temperature=" + temperature + ", topP=" + topP + ", maxTokens=" + maxTokens
                + ", stop=" + stop + ", seed=" + seed + "]";
    }

    /** Builds {@link GenerationOptions}; each value is checked as it is set. */
    public static final class Builder {
        private double temperature = 0.0;
        private double topP = 1.0;
        private int maxTokens = 256;
        private List<String> stop = List.of();
        private Long seed;
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
         * The most tokens to generate; default 256.
         *
         * @param maxTokens {@code > 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code maxTokens <= 0}
         */
        public Builder maxTokens(int maxTokens) {
            this.maxTokens = Preconditions.checkPositive(maxTokens, "maxTokens");
            this.maxTokensSet = true;
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
         */
        public GenerationOptions build() {
            return new GenerationOptions(this);
        }
    }
}
