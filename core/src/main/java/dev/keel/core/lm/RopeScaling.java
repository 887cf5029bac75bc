package dev.keel.core.lm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.Preconditions;

import java.util.Iterator;
import java.util.Locale;
import java.util.Set;

/**
 * How the rotary embedding's frequencies are rescaled for a longer context, as in the
 * {@code rope_scaling} (or, in newer transformers, {@code rope_parameters}) object of a Hugging Face
 * {@code config.json}. Five types are understood, each computed as transformers 5 computes it
 * ({@code modeling_rope_utils.py}):
 * <ul>
 *   <li>{@code default}: no rescaling ({@link #NONE});</li>
 *   <li>{@code linear}: every inverse frequency divided by {@code factor} (position interpolation);</li>
 *   <li>{@code llama3}: Llama 3.1/3.2's scheme: wavelengths longer than
 *       {@code original_max_position_embeddings / low_freq_factor} divided by {@code factor}, shorter than
 *       {@code original_max_position_embeddings / high_freq_factor} kept, and a smooth blend between;</li>
 *   <li>{@code dynamic} (dynamic NTK): while a forward call reaches no further than
 *       {@code max_position_embeddings}, the plain frequencies; beyond, for a call whose highest position is
 *       {@code L - 1}, the base becomes
 *       {@code rope_theta * (factor * L / max_position_embeddings - (factor - 1))^(d / (d - 2))}. See
 *       {@link #inverseFrequencies(double, int, int, int)} for what this means with a KV cache;</li>
 *   <li>{@code yarn}: YaRN: each frequency blended between itself (extrapolation) and itself divided by
 *       {@code factor} (interpolation) by a linear ramp over the dimensions between the correction dimensions
 *       of {@code beta_fast} and {@code beta_slow} rotations in {@code original_max_position_embeddings}
 *       (floored and ceiled unless {@code truncate} is false), and cos and sin multiplied by
 *       {@link #attentionFactor()}: {@code attention_factor} if given, else
 *       {@code mscale(factor, mscale) / mscale(factor, mscale_all_dim)} when both are non-zero, else
 *       {@code mscale(factor, 1)}, with {@code mscale(s, m) = 0.1 m ln(s) + 1} (1 for {@code s <= 1}).</li>
 * </ul>
 * Any other type ({@code longrope}, ...) is refused by name, and so is every key the type does not read.
 *
 * <p>Where transformers versions differ, Keel follows transformers 5: {@code original_max_position_embeddings}
 * of {@code llama3} and {@code yarn} defaults to a top-level {@code original_max_position_embeddings} of
 * config.json, else to {@code max_position_embeddings}; YaRN's correction range is taken in
 * {@code original_max_position_embeddings} and its {@code factor} is the one written (transformers 4.4x took
 * the range in {@code max_position_embeddings}; 4.5x replaced {@code factor} by
 * {@code max_position_embeddings / original_max_position_embeddings} whenever the latter was given, which
 * for Qwen2.5's suggested {@code {"factor": 4, "original_max_position_embeddings": 32768}} with
 * {@code max_position_embeddings} 32768 is no scaling at all). As in transformers, a {@code beta_fast} or
 * {@code beta_slow} of 0 means the default (32 and 1).
 *
 * @param type                          {@code rope_type}: {@code default}, {@code linear}, {@code llama3},
 *                                      {@code dynamic} or {@code yarn}
 * @param factor                        {@code factor} (1 for {@code default})
 * @param lowFreqFactor                 {@code low_freq_factor} ({@code llama3} only, else 0)
 * @param highFreqFactor                {@code high_freq_factor} ({@code llama3} only, else 0)
 * @param originalMaxPositionEmbeddings {@code original_max_position_embeddings} ({@code llama3} and
 *                                      {@code yarn}, else 0)
 * @param attentionFactor               what cos and sin are multiplied by ({@code yarn}; 1 for the others)
 * @param betaFast                      {@code beta_fast} ({@code yarn}, default 32; else 0)
 * @param betaSlow                      {@code beta_slow} ({@code yarn}, default 1; else 0)
 * @param truncate                      {@code truncate} ({@code yarn}, default true): whether the correction
 *                                      range is floored and ceiled to whole dimensions
 */
public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
                          int originalMaxPositionEmbeddings, double attentionFactor, double betaFast, double betaSlow,
                          boolean truncate) {

    /** No rescaling: the {@code default} rotary embedding. */
    public static final RopeScaling NONE = new RopeScaling("default", 1.0, 0, 0, 0, 1.0, 0, 0, false);

    private static final Set<String> TYPE_KEYS = Set.of("rope_type", "type");
    private static final String SUPPORTED = "supported: default, linear, llama3, dynamic, yarn";

    /**
     * Checks the values together.
     *
     * @param type the rope type
     * @param factor the scaling factor
     * @param lowFreqFactor the low-frequency factor of {@code llama3}
     * @param highFreqFactor the high-frequency factor of {@code llama3}
     * @param originalMaxPositionEmbeddings the pre-training context length of {@code llama3} and {@code yarn}
     * @param attentionFactor the factor cos and sin are multiplied by (1 except for {@code yarn})
     * @param betaFast YaRN's {@code beta_fast}
     * @param betaSlow YaRN's {@code beta_slow}
     * @param truncate YaRN's {@code truncate}
     * @throws IllegalArgumentException naming the value that is out of range or the unsupported type
     */
    public RopeScaling {
        Preconditions.notNull(type, "rope_type");
        boolean yarn = type.equals("yarn");
        if (!yarn && (attentionFactor != 1.0 || betaFast != 0 || betaSlow != 0 || truncate)) {
            throw new IllegalArgumentException("rope_type " + type + " takes no attention_factor, beta_fast, beta_slow "
                    + "or truncate, was " + attentionFactor + ", " + betaFast + ", " + betaSlow + ", " + truncate);
        }
        switch (type) {
            case "default" -> {
                if (factor != 1.0) {
                    throw new IllegalArgumentException("rope_type default takes no factor, was " + factor);
                }
            }
            case "linear" -> Preconditions.checkPositive(factor, "rope_scaling.factor");
            case "llama3" -> {
                Preconditions.checkPositive(factor, "rope_scaling.factor");
                Preconditions.checkPositive(lowFreqFactor, "rope_scaling.low_freq_factor");
                Preconditions.checkPositive(highFreqFactor, "rope_scaling.high_freq_factor");
                Preconditions.checkPositive(originalMaxPositionEmbeddings, "rope_scaling.original_max_position_embeddings");
                if (highFreqFactor <= lowFreqFactor) {
                    throw new IllegalArgumentException("rope_scaling.high_freq_factor (" + highFreqFactor
                            + ") must be above low_freq_factor (" + lowFreqFactor + ")");
                }
            }
            case "dynamic" -> checkAtLeastOne(factor);
            case "yarn" -> {
                checkAtLeastOne(factor);
                Preconditions.checkPositive(originalMaxPositionEmbeddings, "rope_scaling.original_max_position_embeddings");
                if (!(attentionFactor > 0) || Double.isInfinite(attentionFactor)) {
                    throw new IllegalArgumentException("rope_scaling.attention_factor must be > 0, was " + attentionFactor);
                }
                if (!(betaFast > 0) || !(betaSlow > 0) || Double.isInfinite(betaFast) || Double.isInfinite(betaSlow)) {
                    throw new IllegalArgumentException("rope_scaling.beta_fast and beta_slow must be > 0, were "
                            + betaFast + " and " + betaSlow);
                }
                if (betaFast < betaSlow) {
                    throw new IllegalArgumentException("rope_scaling.beta_fast (" + betaFast
                            + ") must not be below beta_slow (" + betaSlow + ")");
                }
            }
            default -> throw new IllegalArgumentException("rope_scaling.rope_type \"" + type
                    + "\" is not supported (" + SUPPORTED + ")");
        }
    }

    private static void checkAtLeastOne(double factor) {
        if (!(factor >= 1.0) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException("rope_scaling.factor must be >= 1, was " + factor);
        }
    }

    /**
     * Linear scaling (position interpolation) by {@code factor}.
     *
     * @param factor the factor the positions are divided by
     * @return the scaling
     */
    public static RopeScaling linear(double factor) {
        return new RopeScaling("linear", factor, 0, 0, 0, 1.0, 0, 0, false);
    }

    /**
     * Llama 3.1's scaling.
     *
     * @param factor                        {@code factor}
     * @param lowFreqFactor                 {@code low_freq_factor}
     * @param highFreqFactor                {@code high_freq_factor}
     * @param originalMaxPositionEmbeddings {@code original_max_position_embeddings}
     * @return the scaling
     */
    public static RopeScaling llama3(double factor, double lowFreqFactor, double highFreqFactor,
                                     int originalMaxPositionEmbeddings) {
        return new RopeScaling("llama3", factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings, 1.0, 0,
                0, false);
    }

    /**
     * Dynamic NTK scaling by {@code factor}.
     *
     * @param factor {@code factor}, at least 1
     * @return the scaling
     */
    public static RopeScaling dynamic(double factor) {
        return new RopeScaling("dynamic", factor, 0, 0, 0, 1.0, 0, 0, false);
    }

    /**
     * YaRN with transformers' defaults: {@code beta_fast} 32, {@code beta_slow} 1, {@code truncate} true and
     * the attention factor {@code 0.1 ln(factor) + 1}.
     *
     * @param factor                        {@code factor}, at least 1
     * @param originalMaxPositionEmbeddings {@code original_max_position_embeddings}
     * @return the scaling
     */
    public static RopeScaling yarn(double factor, int originalMaxPositionEmbeddings) {
        return yarn(factor, originalMaxPositionEmbeddings, mscale(factor, 1), 32, 1, true);
    }

    /**
     * YaRN with every value given.
     *
     * @param factor                        {@code factor}, at least 1
     * @param originalMaxPositionEmbeddings {@code original_max_position_embeddings}
     * @param attentionFactor               what cos and sin are multiplied by, above 0
     * @param betaFast                      {@code beta_fast}, above 0
     * @param betaSlow                      {@code beta_slow}, above 0 and at most {@code beta_fast}
     * @param truncate                      whether the correction range is floored and ceiled
     * @return the scaling
     */
    public static RopeScaling yarn(double factor, int originalMaxPositionEmbeddings, double attentionFactor,
                                   double betaFast, double betaSlow, boolean truncate) {
        return new RopeScaling("yarn", factor, 0, 0, originalMaxPositionEmbeddings, attentionFactor, betaFast, betaSlow,
                truncate);
    }

    /** YaRN's magnitude correction {@code 0.1 m ln(s) + 1}, 1 for {@code s <= 1} (transformers' get_mscale). */
    private static double mscale(double scale, double m) {
        return scale <= 1 ? 1.0 : 0.1 * m * Math.log(scale) + 1.0;
    }

    /**
     * Whether this is the plain {@code default} embedding.
     *
     * @return whether no rescaling happens
     */
    public boolean isNone() {
        return type.equals("default");
    }

    /**
     * Whether the frequencies depend on how far a forward call reaches ({@code dynamic}).
     *
     * @return whether this is dynamic NTK scaling
     */
    public boolean isDynamic() {
        return type.equals("dynamic");
    }

    /**
     * The longest sequence this scaling is meant for, given the config's {@code max_position_embeddings}:
     * no limit ({@link Integer#MAX_VALUE}) for {@code dynamic}, whose base grows with the length and which
     * only starts scaling beyond {@code max_position_embeddings}; the larger of {@code max_position_embeddings}
     * and {@code factor * original_max_position_embeddings} for {@code yarn} (Qwen2.5's configs keep
     * {@code max_position_embeddings} at the pre-training length); else {@code max_position_embeddings}.
     * transformers itself sets no limit; Keel refuses longer sequences.
     *
     * @param maxPositionEmbeddings the config's {@code max_position_embeddings}
     * @return the context length, in positions
     */
    public int contextLength(int maxPositionEmbeddings) {
        Preconditions.checkPositive(maxPositionEmbeddings, "max_position_embeddings");
        double n = switch (type) {
            case "dynamic" -> Integer.MAX_VALUE;
            case "yarn" -> Math.max(maxPositionEmbeddings, Math.floor(factor * originalMaxPositionEmbeddings));
            default -> maxPositionEmbeddings;
        };
        return (int) Math.min(Integer.MAX_VALUE, n);
    }

    /**
     * The rotary inverse frequencies {@code 1 / theta^(2i / headDim)}, {@code i < headDim / 2}, rescaled, for
     * a forward call that reaches no further than the pre-training context (for {@code dynamic}: the plain
     * frequencies).
     *
     * @param theta   {@code rope_theta}
     * @param headDim the dimension of one head (even)
     * @return {@code headDim / 2} inverse frequencies
     */
    public float[] inverseFrequencies(double theta, int headDim) {
        return inverseFrequencies(theta, headDim, 1, 1);
    }

    /**
     * The rotary inverse frequencies for a forward call whose highest position is {@code sequenceLength - 1}.
     * Only {@code dynamic} depends on it: up to {@code max_position_embeddings} the plain frequencies, beyond
     * them those of the base {@code theta * (factor * L / max_position_embeddings - (factor - 1))^(d / (d - 2))}
     * with {@code L = sequenceLength} and {@code d = headDim}.
     *
     * <p>Dynamic NTK with a KV cache: transformers' {@code dynamic_rope_update} recomputes the frequencies
     * from {@code max(position_ids) + 1} of each forward call, so keys already in the cache keep the
     * rotation they were given when they were computed while the new ones get the current length's; Keel
     * does the same (the frequencies of a call are those of its own highest position), so decoding token by
     * token gives what transformers' {@code generate} gives, and differs from one forward pass over the whole
     * sequence (in both). Keel keeps no state between calls: transformers' rotary module remembers the
     * longest sequence it has seen and keeps that length's frequencies for later calls that reach beyond
     * {@code max_position_embeddings} but not as far; Keel equals transformers on a freshly loaded model and
     * whenever the calls reach monotonically further, as in one generation.
     *
     * @param theta                 {@code rope_theta}
     * @param headDim               the dimension of one head (even)
     * @param maxPositionEmbeddings the config's {@code max_position_embeddings} (read by {@code dynamic} only)
     * @param sequenceLength        the highest position of the call plus one (read by {@code dynamic} only)
     * @return {@code headDim / 2} inverse frequencies
     * @throws IllegalArgumentException if a value is out of range
     */
    public float[] inverseFrequencies(double theta, int headDim, int maxPositionEmbeddings, int sequenceLength) {
        Preconditions.checkPositive(theta, "rope_theta");
        Preconditions.checkPositive(headDim, "head_dim");
        Preconditions.checkPositive(maxPositionEmbeddings, "max_position_embeddings");
        Preconditions.checkPositive(sequenceLength, "sequenceLength");
        double base = theta;
        if (isDynamic() && sequenceLength > maxPositionEmbeddings) {
            if (headDim <= 2) {
                throw new IllegalArgumentException("dynamic rope scaling needs head_dim > 2, was " + headDim);
            }
            double ratio = factor * sequenceLength / maxPositionEmbeddings - (factor - 1);
            base = theta * Math.pow(ratio, (double) headDim / (headDim - 2));
        }
        int half = headDim / 2;
        float[] out = new float[half];
        double[] ramp = type.equals("yarn") ? yarnRamp(theta, headDim) : null;
        for (int i = 0; i < half; i++) {
            // as transformers: the exponent in float32, the power and its inverse in float32
            float exponent = (float) (2 * i) / headDim;
            float pos = (float) Math.pow(base, exponent);
            float f = 1.0f / pos;
            out[i] = switch (type) {
                case "linear" -> (float) (f / factor);
                case "llama3" -> (float) llama3Frequency(f);
                case "yarn" -> {
                    float interpolation = 1.0f / (float) (factor * pos);
                    float extrapolationWeight = (float) (1 - ramp[i]);
                    yield interpolation * (1 - extrapolationWeight) + f * extrapolationWeight;
                }
                default -> f;
            };
        }
        return out;
    }

    /** YaRN's ramp over dimension pairs: 0 below the correction range (kept), 1 above it (interpolated). */
    private double[] yarnRamp(double theta, int headDim) {
        double low = correctionDimension(betaFast, headDim, theta);
        double high = correctionDimension(betaSlow, headDim, theta);
        if (truncate) {
            low = Math.floor(low);
            high = Math.ceil(high);
        }
        low = Math.max(low, 0);
        high = Math.min(high, headDim - 1);
        if (low == high) {
            high += 0.001;
        }
        double[] ramp = new double[headDim / 2];
        for (int i = 0; i < ramp.length; i++) {
            // transformers computes the ramp in float32
            float r = (float) ((i - low) / (high - low));
            ramp[i] = Math.min(1f, Math.max(0f, r));
        }
        return ramp;
    }

    /** The dimension whose wavelength turns {@code rotations} times in the original context. */
    private double correctionDimension(double rotations, int headDim, double theta) {
        return headDim * Math.log(originalMaxPositionEmbeddings / (rotations * 2 * Math.PI)) / (2 * Math.log(theta));
    }

    private double llama3Frequency(double f) {
        double lowFreqWavelen = originalMaxPositionEmbeddings / lowFreqFactor;
        double highFreqWavelen = originalMaxPositionEmbeddings / highFreqFactor;
        double wavelen = 2 * Math.PI / f;
        if (wavelen > lowFreqWavelen) {
            return f / factor;
        }
        if (wavelen < highFreqWavelen) {
            return f;
        }
        double smooth = (originalMaxPositionEmbeddings / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
        return (1 - smooth) * f / factor + smooth * f;
    }

    /**
     * Reads a {@code rope_scaling} or {@code rope_parameters} object without the rest of config.json:
     * {@code llama3} and {@code yarn} must then name their {@code original_max_position_embeddings}.
     *
     * @param field the field's name in config.json, for messages
     * @param node  the object, or {@code null}/JSON null for none
     * @return the scaling, {@link #NONE} for none or {@code default}
     * @throws IllegalArgumentException naming the field and value that is not understood
     */
    public static RopeScaling fromJson(String field, JsonNode node) {
        return fromJson(field, node, 0, 0);
    }

    /**
     * Reads a {@code rope_scaling} or {@code rope_parameters} object; {@code rope_theta} (which
     * {@code rope_parameters} may hold) is left to the caller. Unknown keys are refused by name, and so is
     * a value of the wrong kind or out of range.
     *
     * @param field                       the field's name in config.json, for messages
     * @param node                        the object, or {@code null}/JSON null for none
     * @param maxPositionEmbeddings       the config's {@code max_position_embeddings}, the default of
     *                                    {@code original_max_position_embeddings} (0: no default)
     * @param configOriginalMaxPositions  a top-level {@code original_max_position_embeddings} of config.json,
     *                                    which transformers 5 puts first (0: none); one that disagrees with
     *                                    the object's is refused
     * @return the scaling, {@link #NONE} for none or {@code default}
     * @throws IllegalArgumentException naming the field and value that is not understood
     */
    public static RopeScaling fromJson(String field, JsonNode node, int maxPositionEmbeddings,
                                       int configOriginalMaxPositions) {
        if (node == null || node.isNull()) {
            return NONE;
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException(field + " must be an object, was " + node);
        }
        String type = null;
        for (String key : TYPE_KEYS) {
            JsonNode t = node.get(key);
            if (t != null && !t.isNull()) {
                if (!t.isTextual()) {
                    throw new IllegalArgumentException(field + "." + key + " must be a string, was " + t);
                }
                if (type != null && !type.equals(t.asText())) {
                    throw new IllegalArgumentException(field + " names two types: rope_type \""
                            + node.get("rope_type").asText() + "\" and type \"" + node.get("type").asText() + "\"");
                }
                type = t.asText();
            }
        }
        if (type == null) {
            throw new IllegalArgumentException(field + " " + node + " has no rope_type");
        }
        Set<String> known = switch (type) {
            case "default" -> Set.of();
            case "linear", "dynamic" -> Set.of("factor");
            case "llama3" -> Set.of("factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings");
            case "yarn" -> Set.of("factor", "original_max_position_embeddings", "attention_factor", "beta_fast",
                    "beta_slow", "mscale", "mscale_all_dim", "truncate");
            default -> throw new IllegalArgumentException(field + ".rope_type \"" + type
                    + "\" is not supported (" + SUPPORTED + ")");
        };
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!known.contains(key) && !TYPE_KEYS.contains(key) && !key.equals("rope_theta")) {
                JsonNode v = node.get(key);
                if (key.equals("partial_rotary_factor") && v.isNumber() && v.doubleValue() == 1.0) {
                    continue;
                }
                throw new IllegalArgumentException(field + "." + key + " (" + v + ") is not supported for rope_type "
                        + type);
            }
        }
        try {
            return switch (type) {
                case "linear" -> linear(number(field, node, "factor"));
                case "dynamic" -> dynamic(number(field, node, "factor"));
                case "llama3" -> llama3(number(field, node, "factor"), number(field, node, "low_freq_factor"),
                        number(field, node, "high_freq_factor"),
                        original(field, node, maxPositionEmbeddings, configOriginalMaxPositions));
                case "yarn" -> yarnFromJson(field, node, maxPositionEmbeddings, configOriginalMaxPositions);
                default -> NONE;
            };
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + " " + node + ": " + e.getMessage(), e);
        }
    }

    private static RopeScaling yarnFromJson(String field, JsonNode node, int maxPositionEmbeddings,
                                            int configOriginalMaxPositions) {
        double factor = number(field, node, "factor");
        int original = original(field, node, maxPositionEmbeddings, configOriginalMaxPositions);
        double attention;
        if (present(node, "attention_factor")) {
            attention = number(field, node, "attention_factor");
        } else {
            // as transformers: "if mscale and mscale_all_dim", a missing or zero value counts as absent
            double m = present(node, "mscale") ? number(field, node, "mscale") : 0;
            double mAll = present(node, "mscale_all_dim") ? number(field, node, "mscale_all_dim") : 0;
            attention = m != 0 && mAll != 0 ? mscale(factor, m) / mscale(factor, mAll) : mscale(factor, 1);
        }
        // as transformers: "beta_fast or 32", so 0 is the default too
        double betaFast = present(node, "beta_fast") ? number(field, node, "beta_fast") : 0;
        double betaSlow = present(node, "beta_slow") ? number(field, node, "beta_slow") : 0;
        boolean truncate = true;
        if (present(node, "truncate")) {
            JsonNode t = node.get("truncate");
            if (!t.isBoolean()) {
                throw new IllegalArgumentException(field + ".truncate must be true or false, was " + t);
            }
            truncate = t.booleanValue();
        }
        return yarn(factor, original, attention, betaFast == 0 ? 32 : betaFast, betaSlow == 0 ? 1 : betaSlow, truncate);
    }

    private static boolean present(JsonNode node, String key) {
        return node.hasNonNull(key);
    }

    private static int original(String field, JsonNode node, int maxPositionEmbeddings, int configOriginal) {
        String key = "original_max_position_embeddings";
        if (present(node, key)) {
            JsonNode n = node.get(key);
            if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() <= 0) {
                throw new IllegalArgumentException(field + "." + key + " must be a positive integer, was " + n);
            }
            if (configOriginal > 0 && configOriginal != n.intValue()) {
                throw new IllegalArgumentException(field + "." + key + " (" + n + ") and the top-level " + key + " ("
                        + configOriginal + ") disagree");
            }
            return n.intValue();
        }
        if (configOriginal > 0) {
            return configOriginal;
        }
        if (maxPositionEmbeddings > 0) {
            return maxPositionEmbeddings;
        }
        throw new IllegalArgumentException(field + "." + key + " is missing");
    }

    private static double number(String field, JsonNode node, String key) {
        JsonNode n = node.get(key);
        if (n == null || n.isNull()) {
            throw new IllegalArgumentException(field + "." + key + " is missing");
        }
        if (!n.isNumber()) {
            throw new IllegalArgumentException(field + "." + key + " must be a number, was " + n);
        }
        if (!Double.isFinite(n.doubleValue())) {
            throw new IllegalArgumentException(field + "." + key + " must be a finite number, was " + n.asText());
        }
        return n.doubleValue();
    }

    /** This scaling as a {@code rope_scaling} object, or {@code null} for {@link #NONE}. */
    ObjectNode toJson() {
        if (isNone()) {
            return null;
        }
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("rope_type", type);
        o.put("factor", factor);
        if (type.equals("llama3")) {
            o.put("low_freq_factor", lowFreqFactor);
            o.put("high_freq_factor", highFreqFactor);
            o.put("original_max_position_embeddings", originalMaxPositionEmbeddings);
        } else if (type.equals("yarn")) {
            o.put("original_max_position_embeddings", originalMaxPositionEmbeddings);
            o.put("attention_factor", attentionFactor);
            o.put("beta_fast", betaFast);
            o.put("beta_slow", betaSlow);
            o.put("truncate", truncate);
        }
        return o;
    }

    @Override
    public String toString() {
        return switch (type) {
            case "linear" -> String.format(Locale.ROOT, "linear(factor=%g)", factor);
            case "llama3" -> String.format(Locale.ROOT, "llama3(factor=%g, low=%g, high=%g, original=%d)", factor,
                    lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings);
            case "dynamic" -> String.format(Locale.ROOT, "dynamic(factor=%g)", factor);
            case "yarn" -> String.format(Locale.ROOT, "yarn(factor=%g, original=%d, attention=%g, beta=%g/%g%s)", factor,
                    originalMaxPositionEmbeddings, attentionFactor, betaFast, betaSlow, truncate ? "" : ", untruncated");
            default -> "default";
        };
    }
}
