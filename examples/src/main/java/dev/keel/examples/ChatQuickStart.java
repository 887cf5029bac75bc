package dev.keel.examples;

import dev.keel.core.chat.ChatModel;
import dev.keel.core.chat.OpenAiChatModel;

/**
 * The README's chat quick start as a program: one question to any OpenAI-compatible chat endpoint
 * (vLLM, Ollama, llama.cpp server, OpenAI). The README quotes the body of {@link #ask} verbatim
 * ({@code ReadmeSnippetsTest} checks it).
 *
 * <pre>
 * java -cp examples/target/keel.jar dev.keel.examples.ChatQuickStart http://localhost:8000/v1 llama-3-8b-instruct
 * </pre>
 */
public final class ChatQuickStart {

    private ChatQuickStart() {
    }

    /**
     * Asks the model behind {@code baseUrl} one question.
     *
     * @param baseUrl   the endpoint's base URL, e.g. {@code http://localhost:8000/v1}
     * @param modelName the model name the endpoint serves
     * @return the model's reply
     * @throws IllegalArgumentException if {@code baseUrl} is not an http(s) URL or {@code modelName} is blank
     * @throws dev.keel.core.chat.ChatModelException if the endpoint fails after its retries
     */
    public static String ask(String baseUrl, String modelName) {
        String reply;
        try (ChatModel model = OpenAiChatModel.builder()
                .baseUrl(baseUrl)        // e.g. "http://localhost:8000/v1": vLLM, Ollama, llama.cpp server, OpenAI ...
                .model(modelName)        // e.g. "llama-3-8b-instruct"; .apiKeyEnv("OPENAI_API_KEY") where a key is needed
                .build()) {
            reply = model.generate("What is the capital of France?");
        }
        return reply;
    }

    /**
     * Prints the reply of the model named by {@code args[1]} at {@code args[0]}.
     *
     * @param args the base URL and the model name; defaults {@code http://localhost:8000/v1} and
     *             {@code llama-3-8b-instruct}
     */
    public static void main(String[] args) {
        String baseUrl = args.length > 0 ? args[0] : "http://localhost:8000/v1";
        String modelName = args.length > 1 ? args[1] : "llama-3-8b-instruct";
        System.out.println(ask(baseUrl, modelName));
    }
}
