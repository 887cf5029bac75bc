package dev.keel.examples.safety;

import dev.keel.core.testkit.OpenAiTestServer;

import dev.keel.safety.Verdict;
import dev.keel.safety.RubricJudge;
import dev.keel.safety.JudgeItem;
import dev.keel.safety.HarmfulnessJudge;

import dev.keel.core.chat.OpenAiChatModel;
import dev.keel.core.data.DatasetException;
import dev.keel.core.internal.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Acceptance 4 and the judge entry point: bad responses files, unreachable endpoints. */
class SafetyFilesJudgeTest {

    private static String line(String id, String category, String instruction, String response) {
        return "{\"id\":\"" + id + "\",\"category\":\"" + category + "\",\"instruction\":\"" + instruction
                + "\",\"response\":\"" + response + "\"}\n";
    }

    @Test
    void missingFieldNamesFileAndLine(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("responses.jsonl");
        Files.writeString(in, line("1", "malware", "a", "b") + "\n"
                + "{\"id\":\"2\",\"category\":\"malware\",\"instruction\":\"a\"}\n");
        Path out = dir.resolve("verdicts.jsonl");
        assertThatThrownBy(() -> SafetyFiles.judgeRefusal(in, out))
                .isInstanceOf(DatasetException.class)
                .hasMessageContaining("responses.jsonl:3")
                .hasMessageContaining("missing field \"response\"");
        assertThat(out).doesNotExist();
    }

    @Test
    void badCategoryNamesLineAndValue(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("responses.jsonl");
        Files.writeString(in, line("1", "malware", "a", "b") + line("2", "weapons", "a", "b"));
        assertThatThrownBy(() -> SafetyFiles.judgeRefusal(in, dir.resolve("v.jsonl")))
                .isInstanceOf(DatasetException.class)
                .hasMessageContaining("responses.jsonl:2")
                .hasMessageContaining("\"weapons\"");
        DatasetException e = org.junit.jupiter.api.Assertions.assertThrows(DatasetException.class,
                () -> SafetyFiles.judgeRefusal(in, dir.resolve("v.jsonl")));
        assertThat(e.line()).isEqualTo(2);
    }

    @Test
    void malformedJsonAndNonTextFieldsAreNamed(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("r.jsonl");
        Files.writeString(in, "{not json\n");
        assertThatThrownBy(() -> SafetyFiles.judgeRefusal(in, dir.resolve("v.jsonl"))).hasMessageContaining("r.jsonl:1");
        Files.writeString(in, "{\"id\":\"1\",\"category\":\"malware\",\"instruction\":\"a\",\"response\":5}\n");
        assertThatThrownBy(() -> SafetyFiles.judgeRefusal(in, dir.resolve("v.jsonl")))
                .hasMessageContaining("r.jsonl:1").hasMessageContaining("\"response\" must be a string");
    }

    @Test
    void refusalRunWritesVerdictsAndProvenance(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("responses.jsonl");
        Files.writeString(in, line("1", "malware", "a", "I can't help with that.") + line("2", "fraud_deception", "b", "Sure, here is the text."));
        Path out = dir.resolve("verdicts.jsonl");
        SafetyFiles.JudgeSummary s = SafetyFiles.judgeRefusal(in, out);
        assertThat(s.total()).isEqualTo(2);
        assertThat(s.scored()).isEqualTo(2);
        assertThat(Verdict.readAll(out)).extracting(Verdict::score).containsExactly(1, 5);
        assertThat(Json.mapper().readTree(dev.keel.core.Provenance.sidecar(out).toFile()).get("model").asText()).startsWith("refusal:");
    }

    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void unreachableEndpointGivesErrorVerdictsAfterBoundedRetriesAndWritesThemAll(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("responses.jsonl");
        Files.writeString(in, line("1", "malware", "a", "x") + line("2", "physical_harm", "b", "y") + line("3", "adult_content", "c", "z"));
        Path out = dir.resolve("verdicts.jsonl");
        String url = "http://127.0.0.1:" + closedPort() + "/v1";
        long start = System.nanoTime();
        SafetyFiles.JudgeSummary s;
        try (OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(url).model("nobody").maxRetries(1)
                .retryBaseDelay(Duration.ofMillis(5)).retryMaxDelay(Duration.ofMillis(10)).build()) {
            s = SafetyFiles.judge(in, out, RubricJudge.of(model));
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
        assertThat(s.error()).isEqualTo(3);
        List<Verdict> vs = Verdict.readAll(out);
        assertThat(vs).extracting(Verdict::id).containsExactly("1", "2", "3");
        assertThat(vs).allSatisfy(v -> {
            assertThat(v.outcome()).isEqualTo(Verdict.Outcome.ERROR);
            assertThat(v.score()).isNull();
            assertThat(v.reason()).contains("IO").contains("after 2 attempts");
        });
    }

    @Test
    void endpointEntryPointWritesEveryOtherVerdict(@TempDir Path dir) throws Exception {
        try (OpenAiTestServer server = OpenAiTestServer.judge()) {
            Path in = dir.resolve("responses.jsonl");
            Files.writeString(in, line("1", "malware", "case-wellformed", "x") + line("2", "malware", "case-down", "y")
                    + line("3", "malware", "case-missing", "z"));
            Path out = dir.resolve("verdicts.jsonl");
            SafetyFiles.JudgeSummary s = SafetyFiles.judge(in, out, server.baseUrl(), "loopback-judge", null, 1);
            assertThat(s.total()).isEqualTo(3);
            assertThat(Verdict.readAll(out)).extracting(Verdict::outcome)
                    .containsExactly(Verdict.Outcome.SCORED, Verdict.Outcome.ERROR, Verdict.Outcome.UNPARSED);
            assertThat(server.hits("case-down")).isEqualTo(2);
        }
    }

    @Test
    void aJudgeThatThrowsStillYieldsAVerdictPerItem(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("responses.jsonl");
        Files.writeString(in, line("1", "malware", "a", "x") + line("2", "malware", "b", "y"));
        HarmfulnessJudge broken = new HarmfulnessJudge() {
            @Override
            public List<Verdict> judgeAll(List<JudgeItem> items) {
                throw new IllegalStateException("boom");
            }

            @Override
            public String id() {
                return "broken";
            }
        };
        Path out = dir.resolve("v.jsonl");
        SafetyFiles.judge(in, out, broken);
        assertThat(Verdict.readAll(out)).hasSize(2).allSatisfy(v -> assertThat(v.reason()).contains("boom"));
    }
}
