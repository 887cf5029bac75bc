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
 * {@code config.json}. Three types are understood, each computed as transformers computes it:
 * <ul>
 *   <li>{@code default}: no rescaling ({@link #NONE});</li>
 *   <li>{@code linear}: every inverse frequency divided by {@code factor} (position interpolation);</li>
 *   <li>{@code llama3}: Llama 3.1/3.2's scheme: wavelengths longer than
 *       {@code original_max_position_embeddings / low_freq_factor} divided by {@code factor}, shorter than
 *       {@code original_max_position_embeddings / high_freq_factor} kept, and a smooth blend between.</li>
 * </ul>
 * Any other type is refused by name. Neither supported type rescales the attention logits.
 *
 * @param type                          {@code rope_type}: {@code default}, {@code linear} or {@code llama3}
 * @param factor                        {@code factor} (1 for {@code default})
 * @param lowFreqFactor                 {@code low_freq_factor} ({@code llama3} only, else 0)
 * @param highFreqFactor                {@code high_freq_factor} ({@code llama3} only, else 0)
 * @param originalMaxPositionEmbeddings {@code original_max_position_embeddings} ({@code llama3} only, else 0)
 */
public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
                          int originalMaxPositionEmbeddings) {

    /** No rescaling: the {@code default} rotary embedding. */
    public static final RopeScaling NONE = new RopeScaling("default", 1.0, 0, 0, 0);

    private static final Set<String> TYPE_KEYS = Set.of("rope_type", "type");

    /**
     * Checks the values together.
     *
     * @param type the rope type
     * @param factor the scaling factor
     * @param lowFreqFactor the low-frequency factor of {@code llama3}
     * @param highFreqFactor the high-frequency factor of {@code llama3}
     * @param originalMaxPositionEmbeddings the pre-training context length of {@code llama3}
     * @throws IllegalArgumentException naming the value that is out of range or the unsupported type
     */
    public RopeScaling {
        Preconditions.notNull(type, "rope_type");
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
            default -> throw new IllegalArgumentException("rope_scaling.rope_type \"" + type
                    + "\" is not supported (supported: default, linear, llama3)");
        }
    }

    /**
     * Linear scaling (position interpolation) by {@code factor}.
     *
     * @param factor the factor the positions are divided by
     * @return the scaling
     */
    public static RopeScaling linear(double factor) {
        return new RopeScaling("linear", factor, 0, 0, 0);
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
        return new RopeScaling("llama3", factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings);
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
     * The rotary inverse frequencies {@code 1 / theta^(2i / headDim)}, {@code i < headDim / 2}, rescaled.
     *
     * @param theta   {@code rope_theta}
     * @param headDim the dimension of one head (even)
     * @return {@code headDim / 2} inverse frequencies
     */
    public float[] inverseFrequencies(double theta, int headDim) {
        Preconditions.checkPositive(theta, "rope_theta");
        Preconditions.checkPositive(headDim, "head_dim");
        int half = headDim / 2;
        float[] out = new float[half];
        for (int i = 0; i < half; i++) {
            // as transformers: the exponent in float32, the power and its inverse in float32
            float exponent = (float) (2 * i) / headDim;
            float base = (float) Math.pow(theta, exponent);
            double f = 1.0f / base;
            out[i] = (float) switch (type) {
                case "linear" -> f / factor;
                case "llama3" -> llama3Frequency(f);
                default -> f;
            };
        }
        return out;
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
     * Reads a {@code rope_scaling} or {@code rope_parameters} object; {@code rope_theta} (which
     * {@code rope_parameters} may hold) is left to the caller. Unknown keys are refused by name.
     *
     * @param field the field's name in config.json, for messages
     * @param node  the object, or {@code null}/JSON null for none
     * @return the scaling, {@link #NONE} for none or {@code default}
     * @throws IllegalArgumentException naming the field and value that is not understood
     */
    public static RopeScaling fromJson(String field, JsonNode node) {
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
            case "linear" -> Set.of("factor");
            case "llama3" -> Set.of("factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings");
            default -> throw new IllegalArgumentException(field + ".rope_type \"" + type
                    + "\" is not supported (supported: default, linear, llama3)");
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
                case "llama3" -> llama3(number(field, node, "factor"), number(field, node, "low_freq_factor"),
                        number(field, node, "high_freq_factor"),
                        (int) number(field, node, "original_max_position_embeddings"));
                default -> NONE;
            };
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + " " + node + ": " + e.getMessage(), e);
        }
    }

    private static double number(String field, JsonNode node, String key) {
        JsonNode n = node.get(key);
        if (n == null || n.isNull()) {
            throw new IllegalArgumentException(field + "." + key + " is missing");
        }
        if (!n.isNumber()) {
            throw new IllegalArgumentException(field + "." + key + " must be a number, was " + n);
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
        }
        return o;
    }

    @Override
    public String toString() {
        return switch (type) {
            case "linear" -> String.format(Locale.ROOT, "linear(factor=%g)", factor);
            case "llama3" -> String.format(Locale.ROOT, "llama3(factor=%g, low=%g, high=%g, original=%d)", factor,
                    lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings);
            default -> "default";
        };
    }
}
