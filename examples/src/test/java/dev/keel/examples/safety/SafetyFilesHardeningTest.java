package dev.keel.examples.safety;

import dev.keel.core.Provenance;
import dev.keel.core.data.DatasetException;
import dev.keel.core.testkit.OpenAiTestServer;
import dev.keel.safety.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Issue 13 for the file entry points of {@code keel safety}: duplicates, secrets, paths, exact mixing. */
class SafetyFilesHardeningTest {

    private static final String KEY = "sk-canary-0123456789abcdefXYZ";

    private static Path fixture(String name) throws Exception {
        return Path.of(SafetyFilesHardeningTest.class.getResource("/safety-cli/" + name).toURI());
    }

    private static Path copy(Path dir, String name) throws Exception {
        return Files.copy(fixture(name), dir.resolve(name));
    }

    private static String line(String id, String instruction) {
        return "{\"id\":\"" + id + "\",\"category\":\"malware\",\"instruction\":\"" + instruction + "\",\"response\":\"r\"}\n";
    }

    // ---------------------------------------------------------------- duplicate ids

    @Test
    void duplicateIdsInAResponsesFileAreRefusedNamingTheIdAndBothLines(@TempDir Path dir) throws Exception {
        Path in = copy(dir, "duplicate-ids-responses.jsonl");
        Path out = dir.resolve("v.jsonl");
        DatasetException e = org.junit.jupiter.api.Assertions.assertThrows(DatasetException.class, () -> SafetyFiles.judgeRefusal(in, out));
        assertThat(e.line()).isEqualTo(5);
        assertThat(e.getMessage()).contains("duplicate-ids-responses.jsonl:5").contains("duplicate id \"7\" (first on line 2)");
        assertThat(out).doesNotExist();
    }

    @Test
    void duplicateIdsInAVerdictsFileAreRefusedBeforeAnyReport(@TempDir Path dir) throws Exception {
        Path in = copy(dir, "duplicate-ids-verdicts.jsonl");
        DatasetException e = org.junit.jupiter.api.Assertions.assertThrows(DatasetException.class,
                () -> SafetyFiles.report(in, dir.resolve("rep"), "h", 1, 10));
        assertThat(e.getMessage()).contains("duplicate-ids-verdicts.jsonl:3").contains("duplicate id \"a\" (first on line 1)");
        assertThat(dir.resolve("rep")).doesNotExist();
    }

    // ---------------------------------------------------------------- secrets

    @Test
    void aServerThatEchoesTheKeyCannotPutItIntoTheVerdicts(@TempDir Path dir) throws Exception {
        Path in = Files.writeString(dir.resolve("r.jsonl"), line("1", "case-a") + line("2", "case-b") + line("3", "case-c"));
        Path out = dir.resolve("v.jsonl");
        try (OpenAiTestServer server = OpenAiTestServer.start().otherwise(r -> switch (r.marker()) {
            // unparsed: the raw reply, with the header in it, is kept in the reason
            case "case-a" -> OpenAiTestServer.Reply.completion("I saw Authorization: " + r.authorization() + " and the key " + KEY
                    + " itself\n#score: maybe");
            // scored: the reason quotes the bare key
            case "case-b" -> OpenAiTestServer.Reply.completion("#reason: your key is " + KEY + "\n#score: 2");
            // an error whose body echoes the header
            default -> OpenAiTestServer.Reply.of(401, "{\"error\":{\"message\":\"bad key: " + r.authorization() + "\"}}",
                    "Content-Type", "application/json");
        })) {
            SafetyFiles.JudgeSummary s = SafetyFiles.judge(in, out, server.baseUrl(), "m", "KEEL_TEST_KEY", 0, 1,
                    v -> v.equals("KEEL_TEST_KEY") ? KEY : null);
            assertThat(server.received()).allSatisfy(r -> assertThat(r.authorization()).isEqualTo("Bearer " + KEY));
            assertThat(s.scored()).isEqualTo(1);
            assertThat(s.unparsed()).isEqualTo(1);
            assertThat(s.error()).isEqualTo(1);
        }
        String written = Files.readString(out) + Files.readString(Provenance.sidecar(out));
        assertThat(written).doesNotContain(KEY).doesNotContain("canary").contains("***");
        // the chat client masks the echoed key itself; the reason then drops the markdown stars
        assertThat(Verdict.readAll(out).get(1).reason()).isIn("your key is ***", "your key is");
    }

    @Test
    void credentialsInTheEndpointUrlAreNeverWrittenIntoVerdicts(@TempDir Path dir) throws Exception {
        Path in = Files.writeString(dir.resolve("r.jsonl"), line("1", "a") + line("2", "b"));
        Path out = dir.resolve("v.jsonl");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String url = "http://keel-user:P%40ss-canary-42@127.0.0.1:" + port + "/v1";
        SafetyFiles.JudgeSummary s = SafetyFiles.judge(in, out, url, "m", null, 0, 1, v -> null);
        assertThat(s.error()).isEqualTo(2);
        String written = Files.readString(out) + Files.readString(Provenance.sidecar(out));
        assertThat(written).doesNotContain("canary").doesNotContain("keel-user").doesNotContain("P@ss");
        assertThat(Verdict.readAll(out)).allSatisfy(v -> assertThat(v.outcome()).isEqualTo(Verdict.Outcome.ERROR));
    }

    // ---------------------------------------------------------------- paths

    @Test
    void theOutputIsNeverTheInputNorALinkToIt(@TempDir Path dir) throws Exception {
        Path in = Files.writeString(dir.resolve("r.jsonl"), line("1", "a"));
        byte[] before = Files.readAllBytes(in);
        Path sym = Files.createSymbolicLink(dir.resolve("sym.jsonl"), in);
        Path hard = Files.createLink(dir.resolve("hard.jsonl"), in);
        Path dotted = dir.resolve("sub/../r.jsonl");
        Files.createDirectories(dir.resolve("sub"));
        for (Path out : List.of(in, sym, hard, dotted)) {
            assertThatThrownBy(() -> SafetyFiles.judgeRefusal(in, out)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("is the input file").hasMessageContaining(in.toString());
        }
        Path chat = copy(dir, "chat-with-extras.jsonl");
        byte[] chatBefore = Files.readAllBytes(chat);
        assertThatThrownBy(() -> SafetyFiles.mix(chat, chat, 1, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is the input file");
        assertThatThrownBy(() -> SafetyFiles.mix(chat, in, 1, 1, List.of(in))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is the input file");
        Path verdicts = dir.resolve("verdicts.jsonl");
        SafetyFiles.judgeRefusal(in, verdicts);
        byte[] verdictsBefore = Files.readAllBytes(verdicts);
        Path renamed = Files.move(verdicts, dir.resolve("h.json"));
        assertThatThrownBy(() -> SafetyFiles.report(renamed, dir, "h", 1, 10)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is the input file");
        assertThat(Files.readAllBytes(in)).isEqualTo(before);
        assertThat(Files.readAllBytes(chat)).isEqualTo(chatBefore);
        assertThat(Files.readAllBytes(renamed)).isEqualTo(verdictsBefore);
    }

    @Test
    void reportNamesStayInsideTheOutputDirectory(@TempDir Path dir) throws Exception {
        Path in = Files.writeString(dir.resolve("r.jsonl"), line("1", "a"));
        Path verdicts = dir.resolve("v.jsonl");
        SafetyFiles.judgeRefusal(in, verdicts);
        Path outDir = Files.createDirectories(dir.resolve("a/b"));
        for (String name : List.of("../x", "..", ".", "x/y", "/tmp/x", "x\\y", "x\u0000y", " x")) {
            assertThatThrownBy(() -> SafetyFiles.report(verdicts, outDir, name, 1, 10))
                    .as(name).isInstanceOf(IllegalArgumentException.class);
        }
        try (var files = Files.walk(dir)) {
            assertThat(files.filter(p -> p.getFileName().toString().startsWith("x") || p.toString().endsWith(".md"))).isEmpty();
        }
        SafetyFiles.report(verdicts, outDir, "harm..ful", 1, 10);
        assertThat(outDir.resolve("harm..ful.md")).isRegularFile();
    }

    // ---------------------------------------------------------------- exact mixing

    @Test
    void mixWritesEveryInputRecordBackExactly(@TempDir Path dir) throws Exception {
        Path in = copy(dir, "chat-with-extras.jsonl");
        Path out = dir.resolve("mixed.jsonl");
        SafetyFiles.MixSummary s = SafetyFiles.mix(in, out, 5, 3);
        List<String> input = Files.readAllLines(in);
        List<String> output = Files.readAllLines(out);
        assertThat(s.baseRecords()).isEqualTo(3);
        assertThat(s.records()).isEqualTo(8).isEqualTo(output.size());
        assertThat(output).containsAll(input);
        Set<String> added = new HashSet<>(output);
        input.forEach(added::remove);
        assertThat(added).hasSize(5).allSatisfy(l -> assertThat(l).contains("\"source\":\"safety:"));
        assertThat(Provenance.sidecar(out)).isRegularFile();
        assertThat(s.perCategory().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(5);
        // the same seed, the same bytes
        Path again = dir.resolve("again.jsonl");
        SafetyFiles.mix(in, again, 5, 3);
        assertThat(Files.readAllBytes(again)).isEqualTo(Files.readAllBytes(out));
    }

    @Test
    void mixRefusesRecordsItCannotCheckNamingFileAndLine(@TempDir Path dir) throws Exception {
        Path obj = copy(dir, "chat-user-content-object.jsonl");
        assertThatThrownBy(() -> SafetyFiles.mix(obj, dir.resolve("o.jsonl"), 1, 1)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("chat-user-content-object.jsonl:2").hasMessageContaining("messages[0]");
        Path role = copy(dir, "chat-unknown-role.jsonl");
        assertThatThrownBy(() -> SafetyFiles.mix(role, dir.resolve("o.jsonl"), 1, 1)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("chat-unknown-role.jsonl:1").hasMessageContaining("\"narrator\"");
        assertThat(dir.resolve("o.jsonl")).doesNotExist();
    }

    @Test
    void mixStillRefusesEvaluationInstructionsInTextParts(@TempDir Path dir) throws Exception {
        String goal = dev.keel.safety.data.AdvBench.evaluation().get(0).goal();
        Path in = Files.writeString(dir.resolve("t.jsonl"), "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":"
                + dev.keel.core.internal.Json.toLine(goal) + "}]}],\"id\":1}\n");
        assertThatThrownBy(() -> SafetyFiles.mix(in, dir.resolve("o.jsonl"), 1, 1))
                .isInstanceOf(dev.keel.safety.EvaluationLeakException.class);
    }
}
