package dev.keel.core.lm.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.JsonFields;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a LoRA adapter wraps and how: rank {@code r}, {@code lora_alpha}, dropout, target modules and
 * the scaling rule ({@code alpha / r}, or {@code alpha / sqrt(r)} with rsLoRA). Read and written as
 * PEFT's {@code adapter_config.json}. Immutable.
 *
 * <pre>{@code
 * LoraConfig c = LoraConfig.builder().rank(8).alpha(16).targetModules("q_proj", "v_proj").dropout(0.05).build();
 * }</pre>
 */
public final class LoraConfig {

    /** The target that selects every linear layer except the output head, as in PEFT. */
    public static final String ALL_LINEAR = "all-linear";

    private final int rank;
    private final double alpha;
    private final double dropout;
    private final List<String> targetModules;
    private final String targetRegex;
    private final boolean useRslora;
    private final String baseModel;

    private LoraConfig(Builder b) {
        this.rank = b.rank;
        this.alpha = b.alpha;
        this.dropout = b.dropout;
        this.targetModules = List.copyOf(b.targetModules);
        this.targetRegex = b.targetRegex;
        this.useRslora = b.useRslora;
        this.baseModel = b.baseModel;
    }

    /**
     * Starts a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The rank.
     *
     * @return the rank
     */
    public int rank() {
        return rank;
    }

    /**
     * The alpha.
     *
     * @return the alpha
     */
    public double alpha() {
        return alpha;
    }

    /**
     * The dropout.
     *
     * @return the dropout
     */
    public double dropout() {
        return dropout;
    }

    /**
     * Module name suffixes (e.g. {@code q_proj}) or {@code [all-linear]}; empty when a regex is used.
     *
     * @return the target modules
     */
    public List<String> targetModules() {
        return targetModules;
    }

    /**
     * A regular expression that module paths must match in full, or {@code null}.
     *
     * @return the target regex
     */
    public String targetRegex() {
        return targetRegex;
    }

    /**
     * Whether use rslora.
     *
     * @return whether rank-stabilised scaling is used
     */
    public boolean useRslora() {
        return useRslora;
    }

    /**
     * {@code base_model_name_or_path}, or {@code null}.
     *
     * @return the base model
     */
    public String baseModel() {
        return baseModel;
    }

    /**
     * {@code alpha / r}, or {@code alpha / sqrt(r)} with rsLoRA.
     *
     * @return the scaling
     */
    public double scaling() {
        return useRslora ? alpha / Math.sqrt(rank) : alpha / rank;
    }

    /**
     * Whether the linear layer at {@code module} (e.g. {@code model.layers.0.self_attn.q_proj}) is a
     * target: its path equals a target or ends with {@code "." + target}; {@code all-linear} takes
     * every layer but the output head ({@code lm_head}, RWKV's {@code head}); a regex must match the whole path.
     *
     * @param module the module path, e.g. {@code model.layers.0.self_attn.q_proj}
     * @return whether the module is adapted
     */
    public boolean matches(String module) {
        if (targetRegex != null) {
            return Pattern.compile(targetRegex).matcher(module).matches();
        }
        for (String t : targetModules) {
            if (t.equals(ALL_LINEAR)) {
                if (!module.equals("lm_head") && !module.endsWith(".lm_head") && !module.equals("head")) {
                    return true;
                }
            } else if (module.equals(t) || module.endsWith("." + t)) {
                return true;
            }
        }
        return false;
    }

    /** PEFT's {@code adapter_config.json}. */
    ObjectNode toJson() {
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("peft_type", "LORA");
        o.put("task_type", "CAUSAL_LM");
        o.put("r", rank);
        if (alpha == Math.rint(alpha)) {
            o.put("lora_alpha", (long) alpha);
        } else {
            o.put("lora_alpha", alpha);
        }
        o.put("lora_dropout", dropout);
        if (targetRegex != null) {
            o.put("target_modules", targetRegex);
        } else if (targetModules.equals(List.of(ALL_LINEAR))) {
            o.put("target_modules", ALL_LINEAR);
        } else {
            ArrayNode a = o.putArray("target_modules");
            targetModules.forEach(a::add);
        }
        o.put("bias", "none");
        o.put("fan_in_fan_out", false);
        o.put("use_rslora", useRslora);
        o.put("init_lora_weights", true);
        o.put("inference_mode", true);
        o.putNull("modules_to_save");
        if (baseModel != null) {
            o.put("base_model_name_or_path", baseModel);
        } else {
            o.putNull("base_model_name_or_path");
        }
        return o;
    }

    /**
     * This configuration as the text of a {@code adapter_config.json} file (pretty-printed JSON).
     *
     * @return the JSON text
     */
    public String toJsonString() {
        return Json.toPrettyString(toJson());
    }

    /**
     * Reads PEFT's {@code adapter_config.json} (a file, or the directory holding it).
     *
     * @param path a file, or the directory holding it
     * @return the configuration read
     * @throws IOException if a file cannot be read or written
     */
    public static LoraConfig fromJson(Path path) throws IOException {
        Preconditions.notNull(path, "path");
        Path file = Files.isDirectory(path) ? path.resolve("adapter_config.json") : path;
        JsonNode root = Json.readFile(file);
        try {
            return fromJson(root);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** Reads a parsed {@code adapter_config.json}. */
    static LoraConfig fromJson(JsonNode root) {
        Preconditions.checkArgument(root != null && root.isObject(), "adapter config must be a JSON object");
        String type = JsonFields.text(root, "peft_type", "LORA");
        Preconditions.checkArgument(type.equals("LORA"), "peft_type must be LORA, was \"" + type + "\"");
        Preconditions.checkArgument(!JsonFields.bool(root, "fan_in_fan_out", false), "fan_in_fan_out (true) is not supported");
        String bias = JsonFields.text(root, "bias", "none");
        Preconditions.checkArgument(bias.equals("none"), "bias must be \"none\", was \"" + bias + "\"");
        JsonNode save = root.get("modules_to_save");
        Preconditions.checkArgument(save == null || save.isNull() || (save.isArray() && save.size() == 0),
                "modules_to_save " + save + " is not supported");
        for (String key : new String[] {"rank_pattern", "alpha_pattern"}) {
            JsonNode n = root.get(key);
            Preconditions.checkArgument(n == null || n.isNull() || (n.isObject() && n.isEmpty()), key + " " + n + " is not supported");
        }
        for (String key : new String[] {"layers_to_transform", "layers_pattern"}) {
            JsonNode n = root.get(key);
            Preconditions.checkArgument(n == null || n.isNull(), key + " " + n + " is not supported");
        }
        Preconditions.checkArgument(!JsonFields.bool(root, "use_dora", false), "use_dora (true) is not supported");
        Builder b = builder().rank(JsonFields.integer(root, "r", 1, Integer.MAX_VALUE, null));
        b.alpha(JsonFields.number(root, "lora_alpha", 8.0));
        b.dropout(JsonFields.number(root, "lora_dropout", 0.0));
        b.useRslora(JsonFields.bool(root, "use_rslora", false));
        JsonNode targets = root.get("target_modules");
        if (targets == null || targets.isNull()) {
            throw new IllegalArgumentException("target_modules is missing");
        } else if (targets.isTextual()) {
            if (targets.textValue().equals(ALL_LINEAR)) {
                b.targetModules(ALL_LINEAR);
            } else {
                b.targetRegex(targets.textValue());
            }
        } else if (targets.isArray()) {
            List<String> t = new ArrayList<>();
            for (int i = 0; i < targets.size(); i++) {
                if (!targets.get(i).isTextual()) {
                    throw new IllegalArgumentException("target_modules[" + i + "] must be a string, was " + targets.get(i));
                }
                t.add(targets.get(i).textValue());
            }
            b.targetModules(t.toArray(new String[0]));
        } else {
            throw new IllegalArgumentException("target_modules must be a list or a string, was " + targets);
        }
        String base = JsonFields.text(root, "base_model_name_or_path", null);
        if (base != null) {
            b.baseModel(base);
        }
        return b.build();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LoraConfig c && c.rank == rank && c.alpha == alpha && c.dropout == dropout
                && c.targetModules.equals(targetModules) && Objects.equals(c.targetRegex, targetRegex)
                && c.useRslora == useRslora && Objects.equals(c.baseModel, baseModel);
    }

    @Override
    public int hashCode() {
        return Objects.hash(rank, alpha, dropout, targetModules, targetRegex, useRslora, baseModel);
    }

    @Override
    public String toString() {
        return "LoraConfig[r=" + rank + ", alpha=" + alpha + ", dropout=" + dropout + ", targets="
                + (targetRegex != null ? targetRegex : targetModules) + (useRslora ? ", rsLoRA" : "") + "]";
    }

    /** Builds a {@link LoraConfig}; defaults: r 8, alpha 8, dropout 0, targets q_proj and v_proj. */
    public static final class Builder {
        private int rank = 8;
        private double alpha = 8;
        private double dropout;
        private List<String> targetModules = List.of("q_proj", "v_proj");
        private String targetRegex;
        private boolean useRslora;
        private String baseModel;

        private Builder() {
        }

        /**
         * Sets the rank.
         *
         * @param r the rank r, &gt; 0
         * @return this builder
         */
        public Builder rank(int r) {
            this.rank = Preconditions.checkPositive(r, "r");
            return this;
        }

        /**
         * Sets the alpha.
         *
         * @param alpha the mixing weight
         * @return this builder
         */
        public Builder alpha(double alpha) {
            this.alpha = Preconditions.checkPositive(alpha, "lora_alpha");
            return this;
        }

        /**
         * Sets the dropout.
         *
         * @param p the dropout probability, in [0, 1)
         * @return this builder
         */
        public Builder dropout(double p) {
            Preconditions.checkArgument(p >= 0 && p < 1, "lora_dropout must be in [0, 1), was " + p);
            this.dropout = p;
            return this;
        }

        /**
         * Module name suffixes such as {@code q_proj}, or {@link #ALL_LINEAR}.
         *
         * @param modules module names (suffixes of the module path) or {@code all-linear}
         * @return this builder
         */
        public Builder targetModules(String... modules) {
            Preconditions.checkArgument(modules != null && modules.length > 0, "target_modules must not be empty");
            for (String m : modules) {
                Preconditions.notBlank(m, "target module");
            }
            this.targetModules = List.of(modules);
            this.targetRegex = null;
            return this;
        }

        /**
         * A regular expression that the whole module path must match.
         *
         * @param regex a regular expression the whole module path must match
         * @return this builder
         */
        public Builder targetRegex(String regex) {
            Preconditions.notBlank(regex, "target regex");
            try {
                Pattern.compile(regex);
            } catch (java.util.regex.PatternSyntaxException e) {
                throw new IllegalArgumentException("target_modules regex \"" + regex + "\" is invalid: "
                        + e.getDescription(), e);
            }
            this.targetRegex = regex;
            this.targetModules = List.of();
            return this;
        }

        /**
         * Sets the use rslora.
         *
         * @param use whether to scale by alpha / sqrt(r) instead of alpha / r
         * @return this builder
         */
        public Builder useRslora(boolean use) {
            this.useRslora = use;
            return this;
        }

        /**
         * Sets the base model.
         *
         * @param name the base model id recorded in the adapter, or null
         * @return this builder
         */
        public Builder baseModel(String name) {
            this.baseModel = name;
            return this;
        }

        /**
         * Builds the value, checking the settings together.
         *
         * @return the immutable result
         */
        public LoraConfig build() {
            return new LoraConfig(this);
        }
    }
}
