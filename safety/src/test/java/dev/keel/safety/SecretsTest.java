package dev.keel.safety;

import dev.keel.core.chat.OpenAiChatModel;
import dev.keel.core.chat.RetryPolicy;
import dev.keel.core.testkit.OpenAiTestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Issue 13: secrets never reach a verdict; report names stay inside their directory; ids are unique. */
class SecretsTest {

    private static final String KEY = "canary-key-8f3a1c77e2";

    @Test
    void masksKnownSecretsAndSecretShapedPatterns() {
        assertThat(Secrets.mask("key " + KEY + " and again " + KEY, List.of(KEY))).isEqualTo("key *** and again ***");
        assertThat(Secrets.mask("failed: http://bob:hunter2@10.0.0.1:8000/v1/chat/completions", List.of()))
                .isEqualTo("failed: http://***@10.0.0.1:8000/v1/chat/completions");
        assertThat(Secrets.mask("Authorization: Bearer abc.def-123456", List.of())).isEqualTo("Authorization: ***");
        assertThat(Secrets.mask("{\"authorization\":\"Basic dXNlcjpwYXNz\"}", List.of())).isEqualTo("{\"authorization\":\"***\"}");
        assertThat(Secrets.mask("header was bearer abcdefghijkl", List.of())).isEqualTo("header was bearer ***");
        assertThat(Secrets.mask("sk-proj-ABCDEFGHIJKLMNOP1234", List.of())).isEqualTo("sk-***");
        assertThat(Secrets.mask("a plain reason with 5 out of 5", List.of("", "  "))).isEqualTo("a plain reason with 5 out of 5");
        assertThat(Secrets.mask(null, List.of(KEY))).isNull();
        assertThat(Secrets.ofUrl("http://user:p%40ss@host/v1")).contains("user:p%40ss", "p%40ss", "user:p@ss", "p@ss")
                .doesNotContain("user");
        assertThat(Secrets.ofUrl("http://KEYONLY@host/v1")).containsExactly("KEYONLY", "KEYONLY");
        assertThat(Secrets.ofUrl("http://host/v1")).isEmpty();
        assertThat(Secrets.ofUrl(null)).isEmpty();
    }

    @Test
    void theRubricJudgeMasksEchoedKeysInEveryReason() throws Exception {
        try (OpenAiTestServer server = OpenAiTestServer.start().otherwise(r -> switch (r.marker()) {
            case "case-echo" -> OpenAiTestServer.Reply.completion("You sent " + r.authorization() + ", no score");
            case "case-reason" -> OpenAiTestServer.Reply.completion("#reason: the key is " + KEY + "\n#score: 1");
            default -> OpenAiTestServer.Reply.of(401, "{\"error\":{\"message\":\"key " + KEY + " rejected\"}}",
                    "Content-Type", "application/json");
        });
             OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(server.baseUrl()).model("m").apiKey(KEY)
                     .retryPolicy(RetryPolicy.ofMaxRetries(0)).build()) {
            List<JudgeItem> items = List.of(new JudgeItem("1", PolicyCategory.MALWARE, "case-echo", "x"),
                    new JudgeItem("2", PolicyCategory.MALWARE, "case-reason", "x"),
                    new JudgeItem("3", PolicyCategory.MALWARE, "case-401", "x"));
            List<Verdict> vs = RubricJudge.builder().model(model).secrets(List.of(KEY)).build().judgeAll(items);
            assertThat(vs).extracting(Verdict::outcome).containsExactly(Verdict.Outcome.UNPARSED, Verdict.Outcome.SCORED, Verdict.Outcome.ERROR);
            assertThat(vs).allSatisfy(v -> assertThat(v.reason()).doesNotContain(KEY));
            assertThat(vs.get(0).reason()).contains("You sent Bearer ***");
            // the chat client already masks the key in the reply ("***"), and the reason drops markdown stars
            assertThat(vs.get(1).reason()).isIn("the key is ***", "the key is");
            // without the secret given, the bearer pattern still masks the echoed header
            Verdict generic = RubricJudge.of(model).judgeAll(items.subList(0, 1)).get(0);
            assertThat(generic.reason()).doesNotContain(KEY).contains("Bearer ***");
        }
    }

    @Test
    void reportBaseNamesMustBePlainFileNames(@TempDir Path dir) throws Exception {
        HarmfulnessReport r = HarmfulnessReport.of(List.of(Verdict.scored(new JudgeItem("1", PolicyCategory.MALWARE, "i", "r"), 1, "")), 1, 10, 0.95);
        Path inner = Files.createDirectories(dir.resolve("inner"));
        for (String bad : List.of("../x", "..", ".", "a/b", "a\\b", "/abs", "x\ny", "")) {
            assertThatThrownBy(() -> r.writeAll(inner, bad)).as("\"%s\"", bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(dir.resolve("x.md")).doesNotExist();
        assertThat(r.writeAll(inner, "ok")).allSatisfy(p -> assertThat(p.getParent()).isEqualTo(inner));
    }

    @Test
    void duplicateIdsAreRefusedByTheFileReaders(@TempDir Path dir) throws Exception {
        Path items = Files.writeString(dir.resolve("r.jsonl"),
                "{\"id\":3,\"category\":\"malware\",\"instruction\":\"a\",\"response\":\"b\"}\n\n"
                + "{\"id\":\"3\",\"category\":\"malware\",\"instruction\":\"c\",\"response\":\"d\"}\n");
        assertThatThrownBy(() -> JudgeItem.readAll(items)).isInstanceOf(dev.keel.core.data.DatasetException.class)
                .hasMessageContaining("r.jsonl:3").hasMessageContaining("duplicate id \"3\" (first on line 1)");
    }
}
