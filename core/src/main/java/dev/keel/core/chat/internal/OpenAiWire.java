package dev.keel.core.chat.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.chat.ChatChoice;
import dev.keel.core.chat.ChatDeltaListener;
import dev.keel.core.chat.ChatMessage;
import dev.keel.core.chat.ChatModelException;
import dev.keel.core.chat.ChatRequest;
import dev.keel.core.chat.ChatResponse;
import dev.keel.core.chat.GenerationOptions;
import dev.keel.core.chat.ResponseFormat;
import dev.keel.core.chat.TokenLogprob;
import dev.keel.core.chat.TokenUsage;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.Preconditions;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * The wire format of OpenAI's chat-completions API: the request JSON built from a
 * {@link ChatRequest}, and a {@link ChatResponse} read from a reply (every choice, its
 * {@code finish_reason} and log probabilities, and {@code usage}), whole or streamed as
 * {@code chat.completion.chunk} events ({@link #streamAssembler}). A reply that cannot be read is a
 * {@code MALFORMED_RESPONSE} failure that names what is missing (or the error the body holds).
 * Secrets are masked in reply texts.
 *
 * <p>Immutable and thread-safe.
 */
public final class OpenAiWire {

    private final String model;
    private final URI endpoint;
    private final UnaryOperator<String> snippet;
    private final SecretMasker masker;

    /**
     * The mapping for {@code model} at {@code endpoint}, masking nothing in reply texts.
     *
     * @param model    the model name sent with each request
     * @param endpoint the endpoint named in failure messages
     * @param snippet  shortens (and masks) a body quoted in a failure message
     * @throws NullPointerException if an argument is null
     */
    public OpenAiWire(String model, URI endpoint, UnaryOperator<String> snippet) {
        this(model, endpoint, snippet, SecretMasker.none());
    }

    /**
     * The mapping for {@code model} at {@code endpoint}.
     *
     * @param model    the model name sent with each request
     * @param endpoint the endpoint named in failure messages
     * @param snippet  shortens (and masks) a body quoted in a failure message
     * @param masker   masks secrets in the reply texts
     * @throws NullPointerException if an argument is null
     */
    public OpenAiWire(String model, URI endpoint, UnaryOperator<String> snippet, SecretMasker masker) {
        this.model = Preconditions.notNull(model, "model");
        this.endpoint = Preconditions.notNull(endpoint, "endpoint");
        this.snippet = Preconditions.notNull(snippet, "snippet");
        this.masker = Preconditions.notNull(masker, "masker");
    }

    /**
     * The JSON body of a non-streaming request.
     *
     * @param request the request
     * @return the body as a JSON string
     */
    public String requestBody(ChatRequest request) {
        return requestBody(request, false);
    }

    /**
     * The JSON body of the chat-completions request: model, messages, temperature, top_p, the token
     * limit ({@code max_tokens} or {@code max_completion_tokens}); stop, seed, n (above 1), logprobs,
     * top_logprobs and response_format when set; {@code "stream": true} with
     * {@code stream_options.include_usage} when streaming; then the extra parameters.
     *
     * @param request   the request
     * @param streaming whether to ask for server-sent events
     * @return the body as a JSON string
     */
    public String requestBody(ChatRequest request, boolean streaming) {
        ObjectMapper m = Json.mapper();
        ObjectNode root = m.createObjectNode();
        root.put("model", model);
        ArrayNode messages = root.putArray("messages");
        for (ChatMessage msg : request.messages()) {
            messages.addObject().put("role", msg.role().wireName()).put("content", msg.content());
        }
        GenerationOptions o = request.options();
        root.put("temperature", o.temperature());
        root.put("top_p", o.topP());
        root.put(o.usesMaxCompletionTokens() ? "max_completion_tokens" : "max_tokens", o.maxTokens());
        if (!o.stop().isEmpty()) {
            ArrayNode stop = root.putArray("stop");
            o.stop().forEach(stop::add);
        }
        if (o.seed() != null) {
            root.put("seed", o.seed().longValue());
        }
        if (o.n() != 1) {
            root.put("n", o.n());
        }
        if (o.logprobs()) {
            root.put("logprobs", true);
            if (o.topLogprobs() > 0) {
                root.put("top_logprobs", o.topLogprobs());
            }
        }
        ResponseFormat f = o.responseFormat();
        if (f != null) {
            ObjectNode rf = root.putObject("response_format").put("type", f.type().wireName());
            if (f.type() == ResponseFormat.Type.JSON_SCHEMA) {
                ObjectNode js = rf.putObject("json_schema").put("name", f.name());
                js.set("schema", StrictJson.readArgument(f.schema(), "schema"));
                js.put("strict", f.strict());
            }
        }
        if (streaming) {
            root.put("stream", true);
            root.putObject("stream_options").put("include_usage", true);
        }
        for (Map.Entry<String, String> e : o.extraParameters().entrySet()) {
            root.set(e.getKey(), StrictJson.readArgument(e.getValue(), "extra parameter \"" + e.getKey() + "\""));
        }
        try {
            return m.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the chat request as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Reads {@code choices[0].message.content} from a 2xx reply.
     *
     * @param body the response body
     * @return the reply text (secrets masked)
     * @throws ChatModelException of kind {@code MALFORMED_RESPONSE} naming what is missing, or
     *                            quoting the error the body holds instead of choices
     */
    public String parseReply(String body) {
        return parseResponse(body).text();
    }

    /**
     * Reads every choice and the usage from a 2xx reply.
     *
     * @param body the response body
     * @return the successful response (secrets masked in the texts)
     * @throws ChatModelException of kind {@code MALFORMED_RESPONSE} naming what is missing or wrong
     */
    public ChatResponse parseResponse(String body) {
        JsonNode root = parseObject(body);
        JsonNode choices = root.get("choices");
        if (choices == null || !choices.isArray() || choices.isEmpty()) {
            throw noChoices(root, body);
        }
        TreeMap<Integer, ChatChoice> byIndex = new TreeMap<>();
        for (int i = 0; i < choices.size(); i++) {
            JsonNode c = choices.get(i);
            String at = "choices[" + i + "]";
            if (!c.isObject()) {
                throw malformed("\"" + at + "\" is not an object", body, null);
            }
            int index = index(c, i, at, body);
            JsonNode message = c.get("message");
            if (message == null || !message.isObject()) {
                throw malformed("the reply has no \"" + at + ".message\" object", body, null);
            }
            JsonNode content = message.get("content");
            if (content == null || !content.isTextual()) {
                throw malformed("the reply's \"" + at + ".message.content\" is "
                        + (content == null ? "missing" : content.getNodeType().toString().toLowerCase(Locale.ROOT))
                        + ", expected a string", body, null);
            }
            List<TokenLogprob> logprobs = new ArrayList<>();
            readLogprobs(c.get("logprobs"), at, body, logprobs);
            ChatChoice choice = new ChatChoice(index, masker.maskSecrets(content.asText()),
                    finishReason(c, at, body), logprobs);
            if (byIndex.put(index, choice) != null) {
                throw malformed("two choices have index " + index, body, null);
            }
        }
        return ChatResponse.ok(List.copyOf(byIndex.values()), usage(root.get("usage"), body));
    }

    /**
     * Assembles a streamed reply from its {@code chat.completion.chunk} events, passing each new
     * piece of text (secrets masked) to {@code listener} as it comes.
     *
     * @param listener receives the deltas
     * @return a new assembler for one attempt
     * @throws NullPointerException if {@code listener} is null
     */
    public StreamAssembler streamAssembler(ChatDeltaListener listener) {
        return new StreamAssembler(Preconditions.notNull(listener, "listener"));
    }

    /** Builds one streamed reply; the transport's {@link HttpTransport.EventSink}. Not thread-safe. */
    public final class StreamAssembler implements HttpTransport.EventSink {
        private final ChatDeltaListener listener;
        private final TreeMap<Integer, StringBuilder> texts = new TreeMap<>();
        private final TreeMap<Integer, SecretMasker.Stream> maskers = new TreeMap<>();
        private final TreeMap<Integer, String> finishReasons = new TreeMap<>();
        private final TreeMap<Integer, List<TokenLogprob>> logprobs = new TreeMap<>();
        private TokenUsage usage;
        private ChatResponse whole;
        private boolean delivered;
        private int events;

        private StreamAssembler(ChatDeltaListener listener) {
            this.listener = listener;
        }

        @Override
        public void onEvent(String data) {
            events++;
            String what = "event " + events + " of the stream";
            JsonNode root = parseObject(data);
            JsonNode error = root.get("error");
            if (error != null && !error.isNull()) {
                JsonNode message = error.isObject() ? error.get("message") : error;
                throw malformed(what + " holds an error: "
                        + snippet.apply(message == null ? error.toString() : message.asText()), data, null);
            }
            JsonNode u = root.get("usage");
            if (u != null && !u.isNull()) {
                usage = usage(u, data);
            }
            JsonNode choices = root.get("choices");
            if (choices == null || choices.isNull()) {
                return; // e.g. vLLM's usage-only chunk
            }
            if (!choices.isArray()) {
                throw malformed(what + ": \"choices\" is not an array", data, null);
            }
            for (int i = 0; i < choices.size(); i++) {
                JsonNode c = choices.get(i);
                String at = what + ": choices[" + i + "]";
                if (!c.isObject()) {
                    throw malformed(at + " is not an object", data, null);
                }
                int index = index(c, i, at, data);
                JsonNode delta = c.get("delta");
                if (delta != null && !delta.isNull()) {
                    if (!delta.isObject()) {
                        throw malformed(at + ".delta is not an object", data, null);
                    }
                    JsonNode content = delta.get("content");
                    if (content != null && !content.isNull()) {
                        if (!content.isTextual()) {
                            throw malformed(at + ".delta.content is "
                                    + content.getNodeType().toString().toLowerCase(Locale.ROOT) + ", expected a string", data, null);
                        }
                        texts.computeIfAbsent(index, k -> new StringBuilder()).append(content.asText());
                        deliver(index, maskers.computeIfAbsent(index, k -> masker.stream()).push(content.asText()));
                    } else {
                        texts.computeIfAbsent(index, k -> new StringBuilder());
                    }
                }
                readLogprobs(c.get("logprobs"), at, data, logprobs.computeIfAbsent(index, k -> new ArrayList<>()));
                String reason = finishReason(c, at, data);
                if (reason != null) {
                    finishReasons.put(index, reason);
                    texts.computeIfAbsent(index, k -> new StringBuilder());
                }
            }
        }

        @Override
        public void onJsonBody(String body) {
            ChatResponse r = parseResponse(body);
            for (ChatChoice c : r.choices()) {
                deliver(c.index(), c.text());
            }
            whole = r;
        }

        @Override
        public boolean delivered() {
            return delivered;
        }

        private void deliver(int index, String text) {
            if (!text.isEmpty()) {
                delivered = true;
                listener.onDelta(index, text);
            }
        }

        /**
         * The reply the events made.
         *
         * @return the response: every choice that had an event, in index order, and the usage
         * @throws ChatModelException of kind {@code MALFORMED_RESPONSE} if no event held a choice
         */
        public ChatResponse response() {
            if (whole != null) {
                return whole;
            }
            for (Map.Entry<Integer, SecretMasker.Stream> e : maskers.entrySet()) {
                deliver(e.getKey(), e.getValue().flush());
            }
            if (texts.isEmpty()) {
                throw new ChatModelException(ChatModelException.Kind.MALFORMED_RESPONSE, 200,
                        "malformed reply from " + endpoint + ": the stream held no choice (" + events + " events)", null);
            }
            List<ChatChoice> out = new ArrayList<>();
            for (Map.Entry<Integer, StringBuilder> e : texts.entrySet()) {
                int i = e.getKey();
                out.add(new ChatChoice(i, masker.maskSecrets(e.getValue().toString()), finishReasons.get(i),
                        logprobs.getOrDefault(i, List.of())));
            }
            return ChatResponse.ok(out, usage);
        }
    }

    private JsonNode parseObject(String body) {
        JsonNode root;
        try {
            root = StrictJson.read(body);
        } catch (JsonProcessingException e) {
            throw malformed("the reply is not valid JSON (" + e.getOriginalMessage() + ")", body, e);
        }
        if (!root.isObject()) {
            throw malformed("the reply is not a JSON object", body, null);
        }
        return root;
    }

    private ChatModelException noChoices(JsonNode root, String body) {
        JsonNode error = root.get("error");
        if (error != null && !error.isNull()) {
            JsonNode message = error.isObject() ? error.get("message") : error;
            return malformed("the reply holds an error instead of choices: "
                    + snippet.apply(message == null ? error.toString() : message.asText()), body, null);
        }
        return malformed("the reply has no non-empty \"choices\" array", body, null);
    }

    private int index(JsonNode c, int position, String at, String body) {
        JsonNode index = c.get("index");
        if (index == null || index.isNull()) {
            return position;
        }
        if (!index.isIntegralNumber() || !index.canConvertToInt() || index.asInt() < 0) {
            throw malformed("\"" + at + ".index\" must be an integer >= 0, was " + index, body, null);
        }
        return index.asInt();
    }

    private String finishReason(JsonNode c, String at, String body) {
        JsonNode r = c.get("finish_reason");
        if (r == null || r.isNull()) {
            return null;
        }
        if (!r.isTextual()) {
            throw malformed("\"" + at + ".finish_reason\" must be a string, was " + r, body, null);
        }
        return r.asText();
    }

    private void readLogprobs(JsonNode lp, String at, String body, List<TokenLogprob> out) {
        if (lp == null || lp.isNull()) {
            return;
        }
        JsonNode content = lp.isObject() ? lp.get("content") : null;
        if (content == null || content.isNull()) {
            if (!lp.isObject()) {
                throw malformed("\"" + at + ".logprobs\" must be an object, was " + lp.getNodeType(), body, null);
            }
            return;
        }
        if (!content.isArray()) {
            throw malformed("\"" + at + ".logprobs.content\" must be an array", body, null);
        }
        for (int k = 0; k < content.size(); k++) {
            JsonNode t = content.get(k);
            String where = at + ".logprobs.content[" + k + "]";
            List<TokenLogprob> top = new ArrayList<>();
            JsonNode alternatives = t.get("top_logprobs");
            if (alternatives != null && !alternatives.isNull()) {
                if (!alternatives.isArray()) {
                    throw malformed("\"" + where + ".top_logprobs\" must be an array", body, null);
                }
                for (int j = 0; j < alternatives.size(); j++) {
                    top.add(token(alternatives.get(j), where + ".top_logprobs[" + j + "]", body, List.of()));
                }
            }
            out.add(token(t, where, body, top));
        }
    }

    private TokenLogprob token(JsonNode t, String where, String body, List<TokenLogprob> top) {
        if (t == null || !t.isObject()) {
            throw malformed("\"" + where + "\" must be an object", body, null);
        }
        JsonNode token = t.get("token");
        JsonNode logprob = t.get("logprob");
        if (token == null || !token.isTextual()) {
            throw malformed("\"" + where + ".token\" must be a string", body, null);
        }
        if (logprob == null || !logprob.isNumber() || Double.isNaN(logprob.asDouble())) {
            throw malformed("\"" + where + ".logprob\" must be a number, was " + logprob, body, null);
        }
        return new TokenLogprob(token.asText(), logprob.asDouble(), top);
    }

    private TokenUsage usage(JsonNode u, String body) {
        if (u == null || u.isNull()) {
            return null;
        }
        if (!u.isObject()) {
            throw malformed("\"usage\" must be an object, was " + u.getNodeType(), body, null);
        }
        long prompt = count(u, "prompt_tokens", body);
        long completion = count(u, "completion_tokens", body);
        if (prompt < 0 || completion < 0) {
            return null; // not reported: unknown, not zero
        }
        long total = count(u, "total_tokens", body);
        return new TokenUsage(prompt, completion, total < 0 ? prompt + completion : total);
    }

    /** A count {@code >= 0}, or -1 if the field is missing. */
    private long count(JsonNode u, String field, String body) {
        JsonNode v = u.get(field);
        if (v == null || v.isNull()) {
            return -1;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
            throw malformed("\"usage." + field + "\" must be an integer >= 0, was " + v, body, null);
        }
        return v.asLong();
    }

    private ChatModelException malformed(String problem, String body, Throwable cause) {
        return new ChatModelException(ChatModelException.Kind.MALFORMED_RESPONSE, 200,
                "malformed reply from " + endpoint + ": " + problem + "; body: " + snippet.apply(body), cause);
    }
}
