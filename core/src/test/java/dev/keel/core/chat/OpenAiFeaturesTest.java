package dev.keel.core.chat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.core.internal.Json;
import dev.keel.core.testkit.OpenAiTestServer;
import dev.keel.core.testkit.OpenAiTestServer.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What real OpenAI-compatible servers speak: streaming (server-sent events) equal to the plain
 * reply, {@code n}, logprobs, usage and finish reason, {@code max_completion_tokens},
 * {@code response_format}, extra parameters; and the key rules (URL credentials, no key for loopback).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class OpenAiFeaturesTest {

    private static final String TEXT = "The capital of France is Paris, and its river is the Seine.";

    private OpenAiTestServer server;

    @BeforeEach
    void start() throws IOException {
        server = OpenAiTestServer.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private OpenAiChatModel.Builder client() {
        return OpenAiChatModel.builder().baseUrl(server.baseUrl()).model("loop").requestTimeout(Duration.ofSeconds(10))
                .maxRetries(0);
    }

    private JsonNode sent(int i) throws IOException {
        return Json.mapper().readTree(server.received().get(i).body());
    }

    @Test
    void aStreamedReplyEqualsTheNonStreamedOneWithUsageAndFinishReason() throws Exception {
        server.otherwise(r -> Reply.completion(TEXT));
        ChatRequest request = new ChatRequest(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Capital of France?")),
                GenerationOptions.builder().n(3).logprobs(true).topLogprobs(2).build());
        ChatResponse plain;
        ChatResponse streamed;
        Map<Integer, StringBuilder> pieces = new TreeMap<>();
        List<Integer> order = new ArrayList<>();
        try (OpenAiChatModel model = client().build()) {
            plain = model.generateAll(List.of(request)).get(0);
            streamed = model.generateStreaming(request, (c, d) -> {
                pieces.computeIfAbsent(c, k -> new StringBuilder()).append(d);
                order.add(c);
            });
        }
        assertThat(plain.isOk()).as("%s", plain.error()).isTrue();
        assertThat(streamed).isEqualTo(plain);

        assertThat(plain.text()).isEqualTo(TEXT);
        assertThat(plain.finishReason()).isEqualTo("stop");
        assertThat(plain.choices()).extracting(ChatChoice::index).containsExactly(0, 1, 2);
        assertThat(plain.choices().get(2).text()).isEqualTo(TEXT + " #2");
        // prompt: "Be brief." (2 pieces) + "Capital of France?" (3); completion: 12 + 13 + 13 pieces
        assertThat(plain.usage()).isEqualTo(new TokenUsage(5, 38, 43));
        List<TokenLogprob> lp = plain.choices().get(0).logprobs();
        assertThat(lp).hasSize(12);
        assertThat(lp.get(0).token()).isEqualTo("The");
        assertThat(lp.get(1).token()).isEqualTo(" capital");
        assertThat(lp.get(1).logprob()).isEqualTo(-0.2);
        assertThat(lp.get(1).topLogprobs()).extracting(TokenLogprob::token).containsExactly(" capital", " capital~1");
        assertThat(lp.get(1).topLogprobs().get(1).logprob()).isEqualTo(-1.2);

        assertThat(pieces.keySet()).containsExactly(0, 1, 2);
        for (ChatChoice c : streamed.choices()) {
            assertThat(pieces.get(c.index()).toString()).isEqualTo(c.text());
        }
        assertThat(order).as("one delta per piece, interleaved").hasSize(38);
        assertThat(order.subList(0, 3)).containsExactly(0, 1, 2);

        JsonNode plainBody = sent(0);
        JsonNode streamBody = sent(1);
        assertThat(plainBody.has("stream")).isFalse();
        assertThat(streamBody.get("stream").asBoolean()).isTrue();
        assertThat(streamBody.get("stream_options").get("include_usage").asBoolean()).isTrue();
        for (JsonNode b : List.of(plainBody, streamBody)) {
            assertThat(b.get("n").asInt()).isEqualTo(3);
            assertThat(b.get("logprobs").asBoolean()).isTrue();
            assertThat(b.get("top_logprobs").asInt()).isEqualTo(2);
        }
        assertThat(server.received().get(1).body()).contains("\"stream\":true");
    }

    @Test
    void aTokenLimitCutsTheReplyAndSaysLengthStreamedOrNot() throws Exception {
        server.otherwise(r -> Reply.completion(TEXT));
        ChatRequest request = new ChatRequest(List.of(ChatMessage.user("q")), GenerationOptions.builder().maxTokens(4).build());
        try (OpenAiChatModel model = client().build()) {
            ChatResponse plain = model.generateAll(List.of(request)).get(0);
            ChatResponse streamed = model.generateStreaming(request, (c, d) -> { });
            assertThat(plain.text()).isEqualTo("The capital of France");
            assertThat(plain.finishReason()).isEqualTo("length");
            assertThat(plain.usage()).isEqualTo(new TokenUsage(1, 4, 5));
            assertThat(plain.choices().get(0).logprobs()).as("not asked for").isEmpty();
            assertThat(streamed).isEqualTo(plain);
        }
        assertThat(sent(0).get("max_tokens").asInt()).isEqualTo(4);
    }

    @Test
    void maxCompletionTokensIsSentInsteadOfMaxTokens() throws Exception {
        server.otherwise(r -> Reply.completion(TEXT));
        GenerationOptions o = GenerationOptions.builder().maxCompletionTokens(3).build();
        assertThat(o.maxTokens()).isEqualTo(3);
        assertThat(o.usesMaxCompletionTokens()).isTrue();
        assertThat(o.toBuilder().maxTokens(3).build().usesMaxCompletionTokens()).as("maxTokens undoes it").isFalse();
        try (OpenAiChatModel model = client().build()) {
            ChatResponse r = model.generateAll(List.of(new ChatRequest(List.of(ChatMessage.user("q")), o))).get(0);
            assertThat(r.text()).isEqualTo("The capital of");
            assertThat(r.finishReason()).isEqualTo("length");
        }
        JsonNode body = sent(0);
        assertThat(body.get("max_completion_tokens").asInt()).isEqualTo(3);
        assertThat(body.has("max_tokens")).isFalse();
    }

    @Test
    void responseFormatAndExtraParametersAreSentAsGiven() throws Exception {
        server.otherwise(r -> Reply.completion("{\"score\": 2}"));
        String schema = "{\"type\":\"object\",\"properties\":{\"score\":{\"type\":\"integer\"}},\"required\":[\"score\"]}";
        GenerationOptions jsonObject = GenerationOptions.builder().responseFormat(ResponseFormat.jsonObject())
                .extraParameter("repetition_penalty", "1.1")
                .extraParameter("chat_template_kwargs", "{\"enable_thinking\": false}")
                .extraParameter("user", "\"keel-test\"").build();
        GenerationOptions withSchema = GenerationOptions.builder()
                .responseFormat(ResponseFormat.jsonSchema("verdict", schema, true)).build();
        try (OpenAiChatModel model = client().build()) {
            model.generate(List.of(ChatMessage.user("q")), jsonObject);
            model.generate(List.of(ChatMessage.user("q")), withSchema);
        }
        JsonNode a = sent(0);
        assertThat(a.get("response_format").toString()).isEqualTo("{\"type\":\"json_object\"}");
        assertThat(a.get("repetition_penalty").asDouble()).isEqualTo(1.1);
        assertThat(a.get("chat_template_kwargs").get("enable_thinking").isBoolean()).isTrue();
        assertThat(a.get("user").asText()).isEqualTo("keel-test");
        JsonNode b = sent(1);
        assertThat(b.get("response_format").get("type").asText()).isEqualTo("json_schema");
        assertThat(b.get("response_format").get("json_schema").get("name").asText()).isEqualTo("verdict");
        assertThat(b.get("response_format").get("json_schema").get("strict").asBoolean()).isTrue();
        assertThat(b.get("response_format").get("json_schema").get("schema")).isEqualTo(Json.mapper().readTree(schema));
        assertThat(b.has("repetition_penalty")).isFalse();
    }

    @Test
    void optionsAreCheckedAsTheyAreSet() {
        GenerationOptions.Builder b = GenerationOptions.builder();
        assertThatThrownBy(() -> b.extraParameter("max_tokens", "5")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"max_tokens\"").hasMessageContaining("set by Keel");
        assertThatThrownBy(() -> b.extraParameter("stream", "true")).hasMessageContaining("\"stream\"");
        assertThatThrownBy(() -> b.extraParameter("logit_bias", "{1: 2}")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("logit_bias").hasMessageContaining("one JSON value");
        assertThatThrownBy(() -> b.extraParameter("x", "1 2")).hasMessageContaining("one JSON value");
        assertThatThrownBy(() -> b.extraParameter("x", "")).hasMessageContaining("one JSON value");
        assertThatThrownBy(() -> b.extraParameter(" ", "1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.extraParameters(Map.of("ok", "1", "n", "2"))).hasMessageContaining("\"n\"");
        assertThat(b.build().extraParameters()).as("a refused map leaves the builder as it was").isEmpty();
        assertThatThrownBy(() -> b.n(0)).hasMessageContaining("n").hasMessageContaining("0");
        assertThatThrownBy(() -> b.n(GenerationOptions.MAX_N + 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.topLogprobs(21)).hasMessageContaining("topLogprobs").hasMessageContaining("21");
        assertThatThrownBy(() -> GenerationOptions.builder().topLogprobs(3).build()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("logprobs(true)");
        assertThatThrownBy(() -> b.maxCompletionTokens(0)).hasMessageContaining("maxCompletionTokens");
        assertThatThrownBy(() -> ResponseFormat.jsonSchema("bad name", "{}", false)).hasMessageContaining("bad name");
        assertThatThrownBy(() -> ResponseFormat.jsonSchema("v", "[1]", false)).hasMessageContaining("one JSON object");
        assertThatThrownBy(() -> ResponseFormat.jsonSchema("v", "{\"a\":1,\"a\":2}", false)).hasMessageContaining("one JSON value");
        GenerationOptions o = GenerationOptions.builder().n(2).logprobs(true).topLogprobs(1)
                .responseFormat(ResponseFormat.jsonObject()).extraParameter("x", "1").build();
        assertThat(o.toBuilder().build()).isEqualTo(o).hasSameHashCodeAs(o);
        assertThat(o).isNotEqualTo(o.toBuilder().extraParameter("x", "2").build());
        assertThat(GenerationOptions.defaults().n()).isEqualTo(1);
    }

    @Test
    void aServerThatIgnoresStreamIsAcceptedAsOnePiece() {
        server.then(200, OpenAiTestServer.completion("whole reply"), "Content-Type", "application/json");
        List<String> deltas = new ArrayList<>();
        try (OpenAiChatModel model = client().build()) {
            ChatResponse r = model.generateStreaming(ChatRequest.ofUser("q"), (c, d) -> deltas.add(d));
            assertThat(r.text()).isEqualTo("whole reply");
            assertThat(r.finishReason()).isEqualTo("stop");
        }
        assertThat(deltas).containsExactly("whole reply");
    }

    @Test
    void streamsFromOtherServersAreRead() {
        // CRLF line ends, a comment, "event:" lines, a usage-only chunk with "choices": null (vLLM),
        // a multi-byte character split across events, and no include_usage answer for n
        String sse = ": keep-alive\r\n\r\n"
                + "event: message\r\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}\r\n\r\n"
                + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Gr\\u00fc\"}}]}\r\n\r\n"
                + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\u00dfe\"},\"finish_reason\":\"stop\"}]}\r\n\r\n"
                + "data: {\"choices\":null,\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\r\n\r\n"
                + "data: [DONE]\r\n\r\n";
        server.then(200, sse, "Content-Type", "text/event-stream; charset=utf-8")
                .then(200, "data: {\"error\":{\"message\":\"model crashed\"}}\n\ndata: [DONE]\n\n", "Content-Type", "text/event-stream")
                .then(200, "data: [DONE]\n\n", "Content-Type", "text/event-stream");
        StringBuilder seen = new StringBuilder();
        try (OpenAiChatModel model = client().build()) {
            ChatResponse r = model.generateStreaming(ChatRequest.ofUser("q"), (c, d) -> seen.append(d));
            assertThat(r.text()).isEqualTo("Grüße");
            assertThat(r.finishReason()).isEqualTo("stop");
            assertThat(r.usage()).isEqualTo(new TokenUsage(3, 2, 5));
            ChatResponse crashed = model.generateStreaming(ChatRequest.ofUser("q"), (c, d) -> { });
            assertThat(crashed.error().kind()).isEqualTo(ChatModelException.Kind.MALFORMED_RESPONSE);
            assertThat(crashed.error().getMessage()).contains("model crashed");
            ChatResponse empty = model.generateStreaming(ChatRequest.ofUser("q"), (c, d) -> { });
            assertThat(empty.error().getMessage()).contains("held no choice");
        }
        assertThat(seen.toString()).isEqualTo("Grüße");
    }

    @Test
    void aKeySplitAcrossStreamedPiecesIsStillMasked() {
        String key = "sk-split-key-0042";
        String sse = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"key=sk-sp\"}}]}\n\n"
                + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lit-key-00\"}}]}\n\n"
                + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"42 done sk-\"},\"finish_reason\":\"stop\"}]}\n\n"
                + "data: [DONE]\n\n";
        server.then(200, sse, "Content-Type", "text/event-stream");
        StringBuilder seen = new StringBuilder();
        try (OpenAiChatModel model = client().apiKey(key).build()) {
            ChatResponse r = model.generateStreaming(ChatRequest.ofUser("q"), (c, d) -> seen.append(d));
            assertThat(r.text()).isEqualTo("key=*** done sk-");
        }
        assertThat(seen.toString()).isEqualTo("key=*** done sk-");
    }

    @Test
    void theDefaultStreamingOfAnyChatModelPassesTheWholeReply() {
        ChatModel model = new ChatModel() {
            @Override
            public List<ChatResponse> generateAll(List<ChatRequest> requests) {
                return requests.stream().map(r -> ChatResponse.ok("fixed")).toList();
            }

            @Override
            public String id() {
                return "fixed";
            }
        };
        List<String> deltas = new ArrayList<>();
        ChatResponse r = model.generateStreaming(ChatRequest.ofUser("q"), (c, d) -> deltas.add(c + ":" + d));
        assertThat(r.text()).isEqualTo("fixed");
        assertThat(deltas).containsExactly("0:fixed");
    }

    @Test
    void credentialsInTheBaseUrlAreSentAsBasicAuthAndNeverShown() {
        String password = "pw-Very-Secret-91";
        String base = server.baseUrl().replace("http://", "http://alice:" + password + "@");
        server.then(500, "{\"error\":{\"message\":\"denied for alice:" + password + "\"}}").thenReply("ok " + password);
        try (OpenAiChatModel model = client().baseUrl(base).build()) {
            assertThat(model.endpoint().toString()).doesNotContain(password).doesNotContain("alice").isEqualTo(server.baseUrl() + "/chat/completions");
            assertThat(model.toString()).doesNotContain(password);
            ChatResponse failed = model.generateAll(List.of(ChatRequest.ofUser("q"))).get(0);
            assertThat(failed.error().getMessage()).doesNotContain(password).contains("denied for ***");
            assertThat(model.generate("q")).isEqualTo("ok ***");
        }
        String expected = "Basic " + Base64.getEncoder().encodeToString(("alice:" + password).getBytes(StandardCharsets.UTF_8));
        assertThat(server.received().get(0).authorization()).isEqualTo(expected);
        assertThatThrownBy(() -> OpenAiChatModel.builder().baseUrl("ftp://bob:" + password + "@h/v1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining(password).hasMessageContaining("ftp://***@h/v1");
        assertThatThrownBy(() -> OpenAiChatModel.builder().baseUrl("http://bob:" + password + "@h/v1?x=1"))
                .hasMessageNotContaining(password);
        assertThatThrownBy(() -> OpenAiChatModel.builder().baseUrl("http://bob:" + password + "@h/v 1"))
                .hasMessageNotContaining(password);
        assertThatThrownBy(() -> OpenAiChatModel.builder().baseUrl(base).model("m").apiKey("sk-1234").build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("only one").hasMessageNotContaining(password);
    }

    @Test
    void aConnectionFailureToAUrlWithCredentialsDoesNotShowThem() throws IOException {
        String url;
        try (OpenAiTestServer gone = OpenAiTestServer.start()) {
            url = gone.baseUrl();
        }
        String password = "pw-gone-5521";
        try (OpenAiChatModel model = client().baseUrl(url.replace("http://", "http://u:" + password + "@")).build()) {
            ChatResponse r = model.generateAll(List.of(ChatRequest.ofUser("q"))).get(0);
            assertThat(r.error().kind()).isEqualTo(ChatModelException.Kind.IO);
            assertThat(r.error().getMessage()).doesNotContain(password);
        }
    }

    @Test
    void anUnsetKeyVariableIsFineForALoopbackServerAndRefusedForAnyOther() {
        server.thenReply("no key needed");
        try (OpenAiChatModel model = client().apiKeyEnv("KEEL_UNSET_KEY").environment(name -> null).build()) {
            assertThat(model.toString()).contains("apiKey=none");
            assertThat(model.generate("q")).isEqualTo("no key needed");
        }
        assertThat(server.received().get(0).authorization()).isNull();
        for (String host : List.of("localhost", "LOCALHOST", "127.0.0.1", "127.8.9.10", "[::1]", "api.localhost")) {
            OpenAiChatModel.builder().baseUrl("http://" + host + ":8000/v1").model("m").apiKeyEnv("KEEL_UNSET_KEY")
                    .environment(name -> "  ").build().close();
        }
        for (String host : List.of("example.com", "10.0.0.1", "localhost.example.com", "[::2]", "0.0.0.0")) {
            assertThatThrownBy(() -> OpenAiChatModel.builder().baseUrl("http://" + host + "/v1").model("m")
                    .apiKeyEnv("KEEL_UNSET_KEY").environment(name -> null).build())
                    .as(host).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("KEEL_UNSET_KEY").hasMessageContaining("not a loopback host");
        }
        try (OpenAiChatModel model = OpenAiChatModel.builder().baseUrl("https://example.com/v1").model("m")
                .apiKey("sk-x-1234").noApiKey().build()) {
            assertThat(model.toString()).contains("apiKey=none");
        }
    }

    @Test
    void responsesAreCheckedWhole() {
        assertThatThrownBy(() -> new ChatResponse("a", null, List.of(ChatChoice.of("b")), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("first choice");
        assertThatThrownBy(() -> new ChatResponse("a", null, List.of(), null)).hasMessageContaining("at least one choice");
        ChatModelException e = new ChatModelException(ChatModelException.Kind.OTHER, "x");
        assertThatThrownBy(() -> new ChatResponse(null, e, List.of(ChatChoice.of("b")), null)).hasMessageContaining("no choices");
        assertThat(ChatResponse.ok("t").choices()).containsExactly(ChatChoice.of("t"));
        assertThat(ChatResponse.ok("t").finishReason()).isNull();
        assertThat(ChatResponse.failed(e).choices()).isEmpty();
        assertThatThrownBy(() -> new TokenUsage(-1, 0, 0)).hasMessageContaining("promptTokens").hasMessageContaining("-1");
        assertThatThrownBy(() -> new TokenLogprob("a", Double.NaN, List.of())).hasMessageContaining("NaN");
    }
}
