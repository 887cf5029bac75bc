package dev.keel.fewl;

import dev.keel.core.embed.ModelLoadException;
import dev.keel.core.testkit.CloseRace;
import dev.keel.core.testkit.ForkedJava;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link OnnxCrossEncoderSimilarity#close()} while other threads score: a forked JVM races close
 * against callers 300 times; no crash, no hang, every caller ends with "is closed".
 */
class CrossEncoderCloseRaceTest {

    /** The child: {@code repetitions threads seed}. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Path dir = Files.createTempDirectory("keel-ce-race");
            copyModel(dir);
            List<String> a = new ArrayList<>();
            List<String> b = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                a.add("paris is the capital");
                b.add("the capital is paris " + "paris ".repeat(i % 9));
            }
            CloseRace.Counts c = CloseRace.run(() -> {
                try {
                    return OnnxCrossEncoderSimilarity.load(dir, 0);
                } catch (ModelLoadException e) {
                    throw new IllegalStateException(e);
                }
            }, ce -> ce.scoreAll(a, b), Integer.parseInt(args[0]), Integer.parseInt(args[1]), 3000, Long.parseLong(args[2]));
            System.out.println(c.line());
            if (c.firstFailure() != null) {
                System.out.println("first failure: " + c.firstFailure());
            }
            for (String f : List.of("model.onnx", "tokenizer.json")) {
                Files.delete(dir.resolve(f));
            }
            Files.delete(dir);
        }
    }

    static void copyModel(Path dir) throws IOException {
        for (String f : List.of("model.onnx", "tokenizer.json")) {
            try (InputStream in = CrossEncoderCloseRaceTest.class.getResourceAsStream("/cross-encoder/" + f)) {
                Files.copy(in, dir.resolve(f));
            }
        }
    }

    @Test
    void closeDuringScoringNeverCrashesNorHangs() throws Exception {
        ForkedJava.Result r = ForkedJava.run(Child.class, List.of("-Xmx256m"), Map.of(), 120, "300", "4", "7");
        assertThat(r.timedOut()).as("child hung: %s", r.output()).isFalse();
        assertThat(r.exitCode()).as("child crashed: %s", r.output()).isZero();
        CloseRace.Counts c = CloseRace.Counts.parse(r.output());
        assertThat(c).as(r.output()).isNotNull();
        System.out.println("cross-encoder: " + c.line());
        assertThat(c.hangs()).isZero();
        assertThat(c.otherFailures()).as(r.output()).isZero();
        assertThat(c.closedRefusals()).isEqualTo(300L * 4);
        assertThat(c.calls()).isPositive();
    }

    @Test
    void useAfterCloseIsRefusedByName(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        copyModel(dir);
        OnnxCrossEncoderSimilarity ce = OnnxCrossEncoderSimilarity.load(dir, 0);
        ce.close();
        ce.close();
        assertThatThrownBy(() -> ce.score("a", "b")).isInstanceOf(IllegalStateException.class)
                .hasMessage("cross-encoder " + dir.getFileName() + " is closed");
    }
}
