package dev.keel.core.lm.generate;

import dev.keel.core.chat.GenerationOptions;
import dev.keel.core.internal.Preconditions;

/**
 * How a local model generates where a request does not say: the defaults of the model's
 * {@code generation_config.json}, read as transformers reads them. Sampling happens only when
 * {@code do_sample} is true (then {@code temperature} defaults to 1, {@code top_p} to 1 and
 * {@code top_k} to 50, transformers' own defaults); without it decoding is greedy.
 * {@code max_new_tokens} limits a reply; where only {@code max_length} is set it limits prompt and
 * reply together; where neither is set the request's (or {@link GenerationOptions}') limit holds.
 *
 * <p>{@link #resolve} fills in each of temperature, top-p and the token limit that the request's
 * options did not set explicitly ({@link GenerationOptions#hasTemperature()} and so on).
 *
 * @param temperature  the sampling temperature; 0 for greedy decoding
 * @param topP         the nucleus threshold, in {@code [0, 1]}
 * @param topK         how many of the most likely tokens sampling keeps; 0 for all
 * @param maxNewTokens the most new tokens; 0 for no default
 * @param maxLength    the most tokens of prompt and reply together; 0 for no default
 */
public record GenerationDefaults(double temperature, double topP, int topK, int maxNewTokens, int maxLength) {

    /** No defaults of the model's own: greedy, top-p 1, no top-k, the request's token limit. */
    public static final GenerationDefaults NONE = new GenerationDefaults(0, 1, 0, 0, 0);

    /** transformers' {@code top_k} when {@code generation_config.json} samples without setting one. */
    public static final int TRANSFORMERS_TOP_K = 50;

    /**
     * Defaults, checked.
     *
     * @param temperature  {@code >= 0}
     * @param topP         in {@code [0, 1]}
     * @param topK         {@code >= 0}
     * @param maxNewTokens {@code >= 0}
     * @param maxLength    {@code >= 0}
     * @throws IllegalArgumentException naming the value that is out of range
     */
    public GenerationDefaults {
        Preconditions.checkArgument(temperature >= 0 && Double.isFinite(temperature),
                "temperature must be finite and >= 0, was " + temperature);
        Preconditions.checkArgument(topP >= 0 && topP <= 1, "topP must be in [0, 1], was " + topP);
        Preconditions.checkArgument(topK >= 0, "topK must be >= 0, was " + topK);
        Preconditions.checkArgument(maxNewTokens >= 0, "maxNewTokens must be >= 0, was " + maxNewTokens);
        Preconditions.checkArgument(maxLength >= 0, "maxLength must be >= 0, was " + maxLength);
    }

    /**
     * The defaults a model directory's {@code generation_config.json} gives.
     *
     * @param files what the directory says (see {@link HubModelFiles#read})
     * @return the defaults ({@link #NONE}'s values where the file is absent)
     */
    public static GenerationDefaults from(HubModelFiles files) {
        Preconditions.notNull(files, "files");
        int maxNew = files.maxNewTokens().orElse(0);
        int maxLength = files.maxLength().orElse(0);
        if (!files.doSample().orElse(false)) {
            return new GenerationDefaults(0, 1, 0, maxNew, maxLength);
        }
        return new GenerationDefaults(files.temperature().orElse(1.0), files.topP().orElse(1.0),
                files.topK().orElse(TRANSFORMERS_TOP_K), maxNew, maxLength);
    }

    /**
     * Whether these defaults sample.
     *
     * @return {@code true} when the temperature is above 0
     */
    public boolean samples() {
        return temperature > 0;
    }

    /**
     * The options one request generates with: its own where it set them explicitly, else these defaults.
     *
     * @param request      the request's options
     * @param promptLength the prompt's length in tokens (for {@code max_length})
     * @return the options to generate with (stop strings and seed are the request's)
     * @throws IllegalArgumentException if only {@code max_length} limits the reply and the prompt
     *                                  already has that many tokens
     */
    public GenerationOptions resolve(GenerationOptions request, int promptLength) {
        Preconditions.notNull(request, "request");
        GenerationOptions.Builder b = request.toBuilder();
        if (!request.hasTemperature()) {
            b.temperature(temperature);
        }
        if (!request.hasTopP()) {
            // top_p 0 keeps only the most likely token, as does the smallest positive threshold
            b.topP(topP > 0 ? topP : Double.MIN_VALUE);
        }
        if (!request.hasMaxTokens()) {
            if (maxNewTokens > 0) {
                b.maxTokens(maxNewTokens);
            } else if (maxLength > 0) {
                if (promptLength >= maxLength) {
                    throw new IllegalArgumentException("the prompt has " + promptLength
                            + " tokens, as many as generation_config.json's max_length (" + maxLength
                            + ") allows for prompt and reply; set maxTokens");
                }
                b.maxTokens(maxLength - promptLength);
            }
        }
        return b.build();
    }
}
