package dev.keel.core.chat;

import java.util.List;

/**
 * Anything that continues a conversation: a remote OpenAI-compatible endpoint
 * ({@link OpenAiChatModel}), recorded replies ({@link RecordedChatModel}) or a local model.
 *
 * <p>The batch method is the one to implement; failures of single requests come back as
 * {@link ChatResponse#failed failed} responses so that one bad request never loses the others.
 *
 * <pre>{@code
 * try (ChatModel model = OpenAiChatModel.builder().baseUrl("http://localhost:8000/v1").model("llama").build()) {
 *     String reply = model.generate("What is the capital of France?");
 * }
 * }</pre>
 */
public interface ChatModel extends AutoCloseable {

    /**
     * Generates one reply per request, in order. Never throws for a single failed request.
     *
     * @param requests the requests
     * @return one response per request, in the order of {@code requests}
     */
    List<ChatResponse> generateAll(List<ChatRequest> requests);

    /**
     * Generates the reply to one request.
     *
     * @param request the request
     * @return the reply text
     * @throws ChatModelException if the request failed
     */
    default String generate(ChatRequest request) {
        return generateAll(List.of(request)).get(0).textOrThrow();
    }

    /**
     * Generates the reply to {@code messages} with {@code options}.
     *
     * @param messages the conversation so far, not empty
     * @param options  generation options
     * @return the reply text
     * @throws ChatModelException if the request failed
     */
    default String generate(List<ChatMessage> messages, GenerationOptions options) {
        return generate(new ChatRequest(messages, options));
    }

    /**
     * Generates the reply to a single user prompt with default options.
     *
     * @param userPrompt what the user says
     * @return the reply text
     * @throws ChatModelException if the request failed
     */
    default String generate(String userPrompt) {
        return generate(ChatRequest.ofUser(userPrompt));
    }

    /**
     * Generates the reply to {@code request}, passing its text to {@code listener} piece by piece as
     * it arrives. This default generates the whole reply with {@link #generateAll} and passes each
     * choice's text as one piece; a model that can stream (an OpenAI-compatible endpoint) overrides
     * it. Never throws for a failed request.
     *
     * @param request  the request
     * @param listener receives each choice's text, in pieces
     * @return the whole response, as {@link #generateAll} gives it
     * @throws NullPointerException if an argument is null
     */
    default ChatResponse generateStreaming(ChatRequest request, ChatDeltaListener listener) {
        java.util.Objects.requireNonNull(request, "request");
        java.util.Objects.requireNonNull(listener, "listener");
        ChatResponse r = generateAll(List.of(request)).get(0);
        for (ChatChoice c : r.choices()) {
            if (!c.text().isEmpty()) {
                listener.onDelta(c.index(), c.text());
            }
        }
        return r;
    }

    /**
     * An identifier of the model, for provenance (e.g. the endpoint's model name).
     *
     * @return the identifier
     */
    String id();

    /** Releases what the model holds; idempotent. */
    @Override
    default void close() {
    }
}
