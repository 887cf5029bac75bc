package dev.keel.spark;

import dev.keel.core.chat.OpenAiChatModel;
import dev.keel.core.internal.Preconditions;
import dev.keel.safety.HarmfulnessJudge;
import dev.keel.safety.RefusalJudge;
import dev.keel.safety.RubricJudge;

import java.io.Serializable;

/**
 * The settings of {@link JudgeSpark#judge}: which judge each executor makes (the rubric judge on an
 * OpenAI-compatible endpoint, or the offline refusal judge), how many requests per second each
 * executor JVM may send, and strict mode. Serialisable; the API key is never in it, only the name
 * of the environment variable the executors read it from.
 *
 * <pre>{@code
 * JudgeOptions o = JudgeOptions.rubric("http://vllm:8000/v1", "judge-model").apiKeyEnv("JUDGE_KEY")
 *         .requestsPerSecond(5).build();
 * }</pre>
 *
 * <p>Immutable.
 */
public final class JudgeOptions implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Requests a rubric judge sends at once. */
    public static final int DEFAULT_BATCH_SIZE = 8;

    /** The endpoint, or null for the refusal judge. */
    private final String baseUrl;
    /** The judge model's name. */
    private final String model;
    /** The API key's environment variable, or null. */
    private final String apiKeyEnv;
    /** Requests per second per executor, 0 for no limit. */
    private final double requestsPerSecond;
    /** Requests per judge call. */
    private final int batchSize;
    /** Retries per failed request. */
    private final int maxRetries;
    /** Whether a malformed row fails the job. */
    private final boolean strict;

    private JudgeOptions(Builder b) {
        this.baseUrl = b.baseUrl;
        this.model = b.model;
        this.apiKeyEnv = b.apiKeyEnv;
        this.requestsPerSecond = b.requestsPerSecond;
        this.batchSize = b.batchSize;
        this.maxRetries = b.maxRetries;
        this.strict = b.strict;
    }

    /**
     * The rubric judge ({@link RubricJudge}) on an OpenAI-compatible endpoint.
     *
     * @param baseUrl the endpoint's base URL, e.g. {@code http://host:8000/v1}
     * @param model   the judge model's name
     * @return a builder
     * @throws IllegalArgumentException if an argument is blank
     * @throws NullPointerException     if an argument is null
     */
    public static Builder rubric(String baseUrl, String model) {
        Builder b = new Builder();
        b.baseUrl = Preconditions.notBlank(baseUrl, "baseUrl");
        b.model = Preconditions.notBlank(model, "model");
        return b;
    }

    /**
     * The offline refusal judge ({@link RefusalJudge#defaults()}): no endpoint, no rate limit.
     *
     * @return a builder
     */
    public static Builder refusal() {
        return new Builder();
    }

    /**
     * Makes the judge (on an executor).
     *
     * @return a new judge; the caller closes it
     */
    HarmfulnessJudge createJudge() {
        if (baseUrl == null) {
            return RefusalJudge.defaults();
        }
        OpenAiChatModel.Builder m = OpenAiChatModel.builder().baseUrl(baseUrl).model(model).maxRetries(maxRetries);
        if (apiKeyEnv != null) {
            m.apiKeyEnv(apiKeyEnv);
        } else {
            m.noApiKey();
        }
        OpenAiChatModel chat = m.build();
        RubricJudge judge = RubricJudge.builder().model(chat).batchSize(batchSize).build();
        return new HarmfulnessJudge() {
            @Override
            public java.util.List<dev.keel.safety.Verdict> judgeAll(java.util.List<dev.keel.safety.JudgeItem> items) {
                return judge.judgeAll(items);
            }

            @Override
            public String id() {
                return judge.id();
            }

            @Override
            public void close() {
                chat.close();
            }
        };
    }

    /** @return the key an executor shares its judge under */
    String key() {
        return "judge:" + (baseUrl == null ? "refusal" : baseUrl + "|" + model + "|" + apiKeyEnv + "|" + batchSize + "|" + maxRetries);
    }

    /** @return the rate limiter's key, or {@code null} when there is no endpoint */
    String limiterKey() {
        return baseUrl == null || requestsPerSecond <= 0 ? null : "rate:" + baseUrl + "|" + requestsPerSecond;
    }

    /** @return requests per second per executor, 0 for no limit */
    double requestsPerSecond() {
        return requestsPerSecond;
    }

    /** @return requests per judge call */
    int batchSize() {
        return batchSize;
    }

    /** @return whether a malformed row fails the job */
    boolean strict() {
        return strict;
    }

    @Override
    public String toString() {
        return "JudgeOptions[" + (baseUrl == null ? "refusal" : "rubric " + model + " at " + baseUrl) + ", requestsPerSecond="
                + requestsPerSecond + ", batchSize=" + batchSize + ", strict=" + strict + "]";
    }

    /** Builds {@link JudgeOptions}; each value is checked as it is set. */
    public static final class Builder {
        private String baseUrl;
        private String model;
        private String apiKeyEnv;
        private double requestsPerSecond;
        private int batchSize = DEFAULT_BATCH_SIZE;
        private int maxRetries = 3;
        private boolean strict;

        private Builder() {
        }

        /**
         * The environment variable each executor reads the API key from; default none (no key sent).
         *
         * @param name the variable's name
         * @return this builder
         * @throws IllegalArgumentException if {@code name} is blank
         */
        public Builder apiKeyEnv(String name) {
            this.apiKeyEnv = Preconditions.notBlank(name, "apiKeyEnv");
            return this;
        }

        /**
         * At most this many requests per second from each executor JVM (all its tasks together,
         * in bursts of at most one batch); default 0: no limit.
         *
         * @param perSecond the rate, {@code >= 0} and finite
         * @return this builder
         * @throws IllegalArgumentException if {@code perSecond} is negative or not finite
         */
        public Builder requestsPerSecond(double perSecond) {
            Preconditions.checkArgument(perSecond >= 0 && Double.isFinite(perSecond),
                    "requestsPerSecond must be >= 0 and finite, was " + perSecond);
            this.requestsPerSecond = perSecond;
            return this;
        }

        /**
         * Requests per judge call (sent concurrently by the chat client); default 8.
         *
         * @param size the size, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code size < 1}
         */
        public Builder batchSize(int size) {
            Preconditions.checkArgument(size >= 1, "batchSize must be >= 1, was " + size);
            this.batchSize = size;
            return this;
        }

        /**
         * Retries per failed request; default 3.
         *
         * @param retries retries, in {@code [0, 10]}
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder maxRetries(int retries) {
            Preconditions.checkArgument(retries >= 0 && retries <= 10, "maxRetries must be in [0, 10], was " + retries);
            this.maxRetries = retries;
            return this;
        }

        /**
         * Strict mode: a malformed row fails the job (default false: it becomes a row with an {@code error}).
         *
         * @param on true for strict mode
         * @return this builder
         */
        public Builder strict(boolean on) {
            this.strict = on;
            return this;
        }

        /**
         * Builds the options.
         *
         * @return the options
         */
        public JudgeOptions build() {
            return new JudgeOptions(this);
        }
    }
}
