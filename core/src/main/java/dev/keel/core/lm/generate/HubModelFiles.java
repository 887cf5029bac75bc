package dev.keel.core.lm.generate;

import dev.keel.core.internal.TextFiles;
import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.Preconditions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

/**
 * What a Hugging Face model directory says about chat and generation, beside the weights:
 * {@code tokenizer_config.json} (special tokens, {@code add_bos_token}, {@code chat_template}),
 * an optional {@code chat_template.jinja} and an optional {@code generation_config.json}.
 *
 * <p>Every field read is checked for its type and refused, naming the file, the field and the value,
 * when it is not what transformers would accept. {@code generation_config.json} is read exactly: a
 * field that is not known here is refused by name rather than ignored (it may change how the model
 * is meant to generate).
 *
 * <p>A chat template is taken from {@code chat_template.jinja} when that file exists, else from
 * {@code tokenizer_config.json}'s {@code chat_template}: a string, or a list of
 * {@code {"name", "template"}} objects of which the one named {@code default} is used.
 */
public final class HubModelFiles {

    /** The file name of the tokenizer configuration. */
    public static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    /** The file name of the generation configuration. */
    public static final String GENERATION_CONFIG = "generation_config.json";
    /** The file name of a chat template kept beside the tokenizer configuration. */
    public static final String CHAT_TEMPLATE_FILE = "chat_template.jinja";

    private static final Set<String> GENERATION_FIELDS = Set.of(
            "bos_token_id", "eos_token_id", "pad_token_id", "decoder_start_token_id",
            "temperature", "top_p", "top_k", "do_sample", "max_new_tokens", "max_length",
            "transformers_version", "_from_model_config", "use_cache", "cache_implementation");

    private final Path directory;
    private final String bosToken;
    private final String eosToken;
    private final Boolean addBosToken;
    private final String chatTemplate;
    private final String chatTemplateSource;
    private final List<Long> eosTokenIds;
    private final Long bosTokenId;
    private final Double temperature;
    private final Double topP;
    private final Integer topK;
    private final Integer maxNewTokens;
    private final Integer maxLength;
    private final Boolean doSample;
    private final List<Long> configEosTokenIds;
    private String chatTemplateField;

    private HubModelFiles(Path directory, String bosToken, String eosToken, Boolean addBosToken,
                          String chatTemplate, String chatTemplateSource, List<Long> eosTokenIds, Long bosTokenId,
                          Double temperature, Double topP, Integer topK, Integer maxNewTokens, Integer maxLength,
                          Boolean doSample, List<Long> configEosTokenIds) {
        this.directory = directory;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        this.addBosToken = addBosToken;
        this.chatTemplate = chatTemplate;
        this.chatTemplateSource = chatTemplateSource;
        this.eosTokenIds = Collections.unmodifiableList(eosTokenIds);
        this.bosTokenId = bosTokenId;
        this.temperature = temperature;
        this.topP = topP;
        this.topK = topK;
        this.maxNewTokens = maxNewTokens;
        this.maxLength = maxLength;
        this.doSample = doSample;
        this.configEosTokenIds = Collections.unmodifiableList(configEosTokenIds);
    }

    /**
     * Reads the chat and generation files of a model directory. Each file is optional; a file that is
     * present must be valid.
     *
     * @param directory the model directory
     * @return what the directory says
     * @throws IOException              if a file cannot be read or is not valid JSON (the message names it)
     * @throws IllegalArgumentException if {@code directory} is not a directory, or a field has a value
     *                                  that is not understood (the message names file, field and value)
     */
    public static HubModelFiles read(Path directory) throws IOException {
        Preconditions.notNull(directory, "directory");
        if (!Files.isDirectory(directory)) {
            throw new IllegalArgumentException("model directory " + directory + " is not a directory");
        }
        String bos = null;
        String eos = null;
        Boolean addBos = null;
        String template = null;
        String templateSource = null;
        String templateField = null;
        Path tokenizerConfig = directory.resolve(TOKENIZER_CONFIG);
        if (Files.isRegularFile(tokenizerConfig)) {
            JsonNode cfg = object(Json.readFile(tokenizerConfig), tokenizerConfig);
            bos = specialToken(cfg, "bos_token", tokenizerConfig);
            eos = specialToken(cfg, "eos_token", tokenizerConfig);
            JsonNode add = cfg.get("add_bos_token");
            if (add != null && !add.isNull()) {
                if (!add.isBoolean()) {
                    throw refuse(tokenizerConfig, "add_bos_token", add, "true or false");
                }
                addBos = add.booleanValue();
            }
            JsonNode t = cfg.get("chat_template");
            if (t != null && !t.isNull()) {
                template = templateFrom(t, tokenizerConfig);
                templateSource = TOKENIZER_CONFIG;
                templateField = t.isArray() ? "chat_template, the template named default" : "chat_template";
            }
        }
        Path templateFile = directory.resolve(CHAT_TEMPLATE_FILE);
        if (Files.isRegularFile(templateFile)) {
            template = TextFiles.readUtf8(templateFile);
            templateSource = CHAT_TEMPLATE_FILE;
            templateField = null;
        }

        List<Long> eosIds = new ArrayList<>();
        Long bosId = null;
        Double temperature = null;
        Double topP = null;
        Integer topK = null;
        Integer maxNew = null;
        Integer maxLength = null;
        Boolean doSample = null;
        Path generationConfig = directory.resolve(GENERATION_CONFIG);
        if (Files.isRegularFile(generationConfig)) {
            JsonNode gen = object(Json.readFile(generationConfig), generationConfig);
            for (Iterator<String> it = gen.fieldNames(); it.hasNext(); ) {
                String field = it.next();
                if (!GENERATION_FIELDS.contains(field)) {
                    throw new IllegalArgumentException(generationConfig + ": field " + field + " = " + gen.get(field)
                            + " is not understood by Keel (known fields: " + new java.util.TreeSet<>(GENERATION_FIELDS) + ")");
                }
            }
            JsonNode e = gen.get("eos_token_id");
            if (e != null && !e.isNull()) {
                if (e.isArray()) {
                    if (e.isEmpty()) {
                        throw refuse(generationConfig, "eos_token_id", e, "a token id or a non-empty list of token ids");
                    }
                    for (JsonNode id : e) {
                        eosIds.add(tokenId(id, generationConfig, "eos_token_id", e));
                    }
                } else {
                    eosIds.add(tokenId(e, generationConfig, "eos_token_id", e));
                }
            }
            JsonNode b = gen.get("bos_token_id");
            if (b != null && !b.isNull()) {
                bosId = tokenId(b, generationConfig, "bos_token_id", b);
            }
            temperature = nonNegativeNumber(gen, "temperature", generationConfig, false);
            topP = nonNegativeNumber(gen, "top_p", generationConfig, true);
            topK = positiveInt(gen, "top_k", generationConfig, true);
            maxNew = positiveInt(gen, "max_new_tokens", generationConfig, false);
            maxLength = positiveInt(gen, "max_length", generationConfig, false);
            JsonNode ds = gen.get("do_sample");
            if (ds != null && !ds.isNull()) {
                if (!ds.isBoolean()) {
                    throw refuse(generationConfig, "do_sample", ds, "true or false");
                }
                doSample = ds.booleanValue();
            }
        }
        List<Long> configEos = new ArrayList<>();
        Path modelConfig = directory.resolve("config.json");
        if (Files.isRegularFile(modelConfig)) {
            JsonNode e = object(Json.readFile(modelConfig), modelConfig).get("eos_token_id");
            if (e != null && !e.isNull()) {
                for (JsonNode id : e.isArray() ? e : List.of(e)) {
                    configEos.add(tokenId(id, modelConfig, "eos_token_id", e));
                }
            }
        }
        HubModelFiles files = new HubModelFiles(directory, bos, eos, addBos, template, templateSource, eosIds, bosId,
                temperature, topP, topK, maxNew, maxLength, doSample, configEos);
        files.chatTemplateField = templateField;
        return files;
    }

    private static JsonNode object(JsonNode node, Path file) {
        if (!node.isObject()) {
            throw new IllegalArgumentException(file + " holds " + node.getNodeType() + ", expected a JSON object");
        }
        return node;
    }

    private static IllegalArgumentException refuse(Path file, String field, JsonNode value, String expected) {
        return new IllegalArgumentException(file + ": field " + field + " = " + value + " is not " + expected);
    }

    private static String specialToken(JsonNode cfg, String field, Path file) {
        JsonNode v = cfg.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isTextual()) {
            return v.textValue();
        }
        if (v.isObject() && v.get("content") != null && v.get("content").isTextual()) {
            return v.get("content").textValue();
        }
        throw refuse(file, field, v, "a string or an object with a string \"content\"");
    }

    private static String templateFrom(JsonNode t, Path file) {
        if (t.isTextual()) {
            return t.textValue();
        }
        if (t.isArray()) {
            List<String> names = new ArrayList<>();
            String found = null;
            for (JsonNode entry : t) {
                JsonNode name = entry.get("name");
                JsonNode template = entry.get("template");
                if (!entry.isObject() || name == null || !name.isTextual() || template == null || !template.isTextual()) {
                    throw refuse(file, "chat_template", entry, "an object with string \"name\" and \"template\"");
                }
                names.add(name.textValue());
                if (name.textValue().equals("default")) {
                    found = template.textValue();
                }
            }
            if (found == null) {
                throw new IllegalArgumentException(file + ": field chat_template lists templates " + names
                        + " but none named default");
            }
            return found;
        }
        throw refuse(file, "chat_template", t, "a string or a list of {\"name\", \"template\"} objects");
    }

    private static long tokenId(JsonNode id, Path file, String field, JsonNode whole) {
        if (!id.isIntegralNumber() || id.longValue() < 0 || !id.canConvertToLong()) {
            throw refuse(file, field, whole, "a non-negative integer token id or a list of them");
        }
        return id.longValue();
    }

    private static Double nonNegativeNumber(JsonNode cfg, String field, Path file, boolean unitInterval) {
        JsonNode v = cfg.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber() || v.doubleValue() < 0 || (unitInterval && v.doubleValue() > 1)
                || !Double.isFinite(v.doubleValue())) {
            throw refuse(file, field, v, unitInterval ? "a number in [0, 1]" : "a non-negative number");
        }
        return v.doubleValue();
    }

    private static Integer positiveInt(JsonNode cfg, String field, Path file, boolean zeroAllowed) {
        JsonNode v = cfg.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < (zeroAllowed ? 0 : 1)) {
            throw refuse(file, field, v, zeroAllowed ? "a non-negative integer" : "a positive integer");
        }
        return v.intValue();
    }

    /**
     * The directory these files were read from.
     *
     * @return the model directory
     */
    public Path directory() {
        return directory;
    }

    /**
     * The beginning-of-sequence token's text from {@code tokenizer_config.json}.
     *
     * @return the token, or empty where none is set (as for Qwen)
     */
    public Optional<String> bosToken() {
        return Optional.ofNullable(bosToken);
    }

    /**
     * The end-of-sequence token's text from {@code tokenizer_config.json}.
     *
     * @return the token, or empty where none is set
     */
    public Optional<String> eosToken() {
        return Optional.ofNullable(eosToken);
    }

    /**
     * {@code add_bos_token} from {@code tokenizer_config.json}.
     *
     * @return whether the tokenizer prepends the BOS token, or empty where the file does not say
     */
    public Optional<Boolean> addBosToken() {
        return Optional.ofNullable(addBosToken);
    }

    /**
     * The model's own Jinja chat template.
     *
     * @return the template text, or empty where the directory has none
     */
    public Optional<String> chatTemplate() {
        return Optional.ofNullable(chatTemplate);
    }

    /**
     * Which file the chat template came from, for messages and provenance.
     *
     * @return {@value #CHAT_TEMPLATE_FILE} or {@value #TOKENIZER_CONFIG}, or empty where there is no template
     */
    public Optional<String> chatTemplateSource() {
        return Optional.ofNullable(chatTemplateSource);
    }

    /**
     * All end-of-sequence ids from {@code generation_config.json} ({@code eos_token_id}, an id or a
     * list of ids: every one stops a reply).
     *
     * @return the stop ids in file order, empty where the file does not set any
     */
    public List<Long> eosTokenIds() {
        return eosTokenIds;
    }

    /**
     * Where the chat template came from, in words: {@code chat_template.jinja},
     * {@code tokenizer_config.json, field chat_template}, or
     * {@code tokenizer_config.json, field chat_template, the template named default} for a list of named templates.
     *
     * @return the description, or {@code none} where there is no template
     */
    public String chatTemplateDescription() {
        if (chatTemplateSource == null) {
            return "none";
        }
        return chatTemplateField == null ? chatTemplateSource : chatTemplateSource + ", field " + chatTemplateField;
    }

    /**
     * {@code eos_token_id} from the model's {@code config.json} (an id or a list of ids), which
     * transformers uses where {@code generation_config.json} sets none.
     *
     * @return the ids in file order, empty where {@code config.json} is absent or sets none
     */
    public List<Long> configEosTokenIds() {
        return configEosTokenIds;
    }

    /**
     * {@code do_sample} from {@code generation_config.json}: transformers samples only when it is
     * true, and decodes greedily otherwise (whatever the temperature).
     *
     * @return whether to sample, or empty where not set (transformers then decodes greedily)
     */
    public Optional<Boolean> doSample() {
        return Optional.ofNullable(doSample);
    }

    /**
     * {@code bos_token_id} from {@code generation_config.json}.
     *
     * @return the id, or empty where not set
     */
    public OptionalLong bosTokenId() {
        return bosTokenId == null ? OptionalLong.empty() : OptionalLong.of(bosTokenId);
    }

    /**
     * The default sampling temperature from {@code generation_config.json}.
     *
     * @return the temperature, or empty where not set
     */
    public OptionalDouble temperature() {
        return temperature == null ? OptionalDouble.empty() : OptionalDouble.of(temperature);
    }

    /**
     * The default nucleus ({@code top_p}) threshold from {@code generation_config.json}.
     *
     * @return the threshold in [0, 1], or empty where not set
     */
    public OptionalDouble topP() {
        return topP == null ? OptionalDouble.empty() : OptionalDouble.of(topP);
    }

    /**
     * The default {@code top_k} from {@code generation_config.json}.
     *
     * @return the number of candidates kept ({@code 0} for all), or empty where not set
     */
    public OptionalInt topK() {
        return topK == null ? OptionalInt.empty() : OptionalInt.of(topK);
    }

    /**
     * {@code max_new_tokens} from {@code generation_config.json}.
     *
     * @return the number of tokens a reply may have, or empty where not set
     */
    public OptionalInt maxNewTokens() {
        return maxNewTokens == null ? OptionalInt.empty() : OptionalInt.of(maxNewTokens);
    }

    /**
     * {@code max_length} from {@code generation_config.json} (prompt and reply together).
     *
     * @return the length, or empty where not set
     */
    public OptionalInt maxLength() {
        return maxLength == null ? OptionalInt.empty() : OptionalInt.of(maxLength);
    }

    /**
     * The variables a Hub chat template reads beside the conversation: {@code bos_token} and
     * {@code eos_token} (empty strings where unset, as transformers passes them).
     *
     * @return an unmodifiable map of the special-token variables
     */
    public Map<String, Object> specialTokenVariables() {
        return Map.of("bos_token", bosToken == null ? "" : bosToken, "eos_token", eosToken == null ? "" : eosToken);
    }
}
