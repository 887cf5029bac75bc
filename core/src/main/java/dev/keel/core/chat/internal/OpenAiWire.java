package dev.keel.core.chat.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.chat.ChatMessage;
import dev.keel.core.chat.ChatModelException;
import dev.keel.core.chat.ChatRequest;
import dev.keel.core.chat.GenerationOptions;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.Preconditions;

import java.net.URI;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * The wire format of OpenAI's chat-completions API: the request JSON built from a
 * {@link ChatRequest}, and {@code choices[0].message.content} read from a reply, with a
 * {@code MALFORMED_RESPONSE} failure that names what is missing (or the error the body holds).
 *
 * <p>Immutable and thread-safe.
 */
public final class OpenAiWire {

    private final String model;
    private final URI endpoint;
    private final UnaryOperator<String> snippet;

    /**
     * The mapping for {@code model} at {@code endpoint}.
     *
     * @param model    the model name sent with each request
     * @param endpoint the endpoint named in failure messages
     * @param snippet  shortens (and masks) a body quoted in a failure message
     * @throws NullPointerException if an argument is null
     */
    public OpenAiWire(String model, URI endpoint, UnaryOperator<String> snippet) {
        this.model = Preconditions.notNull(model, "model");
        this.endpoint = Preconditions.notNull(endpoint, "endpoint");
        this.snippet = Preconditions.notNull(snippet, "snippet");
    }

    /**
     * The JSON body of the chat-completions request: model, messages, temperature, top_p,
     * max_tokens, and stop and seed when set.
     *
     * @param request the request
     * @return the body as a JSON string
     */
    public String requestBody(ChatRequest request) {
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
        root.put("max_tokens", o.maxTokens());
        if (!o.stop().isEmpty()) {
            ArrayNode stop = root.putArray("stop");
            o.stop().forEach(stop::add);
        }
        if (o.seed() != null) {
            root.put("seed", o.seed().longValue());
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
     * @return the reply text
     * @throws ChatModelException of kind {@code MALFORMED_RESPONSE} naming what is missing, or
     *                            quoting the error the body holds instead of choices
     */
    public String parseReply(String body) {
        JsonNode root;
        try {
            root = Json.mapper().readTree(body);
        } catch (JsonProcessingException e) {
            throw malformed("the reply is not valid JSON (" + e.getOriginalMessage() + ")", body, e);
        }
        if (root == null || !root.isObject()) {
            throw malformed("the reply is not a JSON object", body, null);
        }
        JsonNode choices = root.get("choices");
        if (choices == null || !choices.isArray() || choices.isEmpty()) {
            JsonNode error = root.get("error");
            if (error != null && !error.isNull()) {
                JsonNode message = error.isObject() ? error.get("message") : error;
                throw malformed("the reply holds an error instead of choices: "
                        + snippet.apply(message == null ? error.toString() : message.asText()), body, null);
            }
            throw malformed("the reply has no non-empty \"choices\" array", body, null);
        }
        JsonNode message = choices.get(0).get("message");
        if (message == null || !message.isObject()) {
            throw malformed("the reply has no \"choices[0].message\" object", body, null);
        }
        JsonNode content = message.get("content");
        if (content == null || !content.isTextual()) {
            throw malformed("the reply's \"choices[0].message.content\" is "
                    + (content == null ? "missing" : content.getNodeType().toString().toLowerCase(Locale.ROOT))
                    + ", expected a string", body, null);
        }
        return content.asText();
    }

    private ChatModelException malformed(String problem, String body, Throwable cause) {
        return new ChatModelException(ChatModelException.Kind.MALFORMED_RESPONSE, 200,
                "malformed reply from " + endpoint + ": " + problem + "; body: " + snippet.apply(body), cause);
    }
}
