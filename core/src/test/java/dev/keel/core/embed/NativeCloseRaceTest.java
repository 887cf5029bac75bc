package dev.keel.core.embed;

import dev.keel.core.lm.generate.LmTokenizer;
import dev.keel.core.testkit.CloseRace;
import dev.keel.core.testkit.ForkedJava;
import dev.keel.core.testkit.TinyFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Native-resource holders closed while other threads use them: a forked JVM races {@code close()}
 * against callers many times (see {@link CloseRace}); before the close guard it died of SIGSEGV in
 * {@code OrtSession.run} or the tokenizer's native code.
 */
class NativeCloseRaceTest {

    static final int REPETITIONS = 300;
    static final int THREADS = 4;

    /** The child: {@code embedder|tokenizer repetitions threads seed}. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            int reps = Integer.parseInt(args[1]);
            int threads = Integer.parseInt(args[2]);
            long seed = Long.parseLong(args[3]);
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                texts.add("paris is the capital of france and lyon is not " + "the capital ".repeat(i % 7));
            }
            CloseRace.Counts c = switch (args[0]) {
                case "embedder" -> CloseRace.run(NativeCloseRaceTest::tinyEmbedder, e -> e.embedAll(texts), reps, threads, 3000, seed);
                case "tokenizer" -> CloseRace.run(NativeCloseRaceTest::tokenizer, t -> t.decode(t.encode(texts.get(5))), reps, threads, 3000, seed);
                default -> throw new IllegalArgumentException(args[0]);
            };
            System.out.println(c.line());
            if (c.firstFailure() != null) {
                System.out.println("first failure: " + c.firstFailure());
            }
        }
    }

    static OnnxEmbedder tinyEmbedder() {
        try {
            return OnnxEmbedder.builder().modelPath(TinyFixtures.resource("tiny-embedder/model.onnx"))
                    .tokenizerPath(TinyFixtures.resource("tiny-embedder/tokenizer.json")).batchSize(8).threads(1).build();
        } catch (ModelLoadException e) {
            throw new IllegalStateException(e);
        }
    }

    static LmTokenizer tokenizer() {
        try {
            return LmTokenizer.load(TinyFixtures.resource("tiny-embedder/tokenizer.json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"embedder", "tokenizer"})
    void closeDuringCallsNeverCrashesNorHangs(String target) throws Exception {
        ForkedJava.Result r = ForkedJava.run(Child.class, List.of("-Xmx256m"), Map.of(), 120, target,
                Integer.toString(REPETITIONS), Integer.toString(THREADS), "42");
        assertThat(r.timedOut()).as("child hung: %s", r.output()).isFalse();
        assertThat(r.exitCode()).as("child crashed: %s", r.output()).isZero();
        CloseRace.Counts c = CloseRace.Counts.parse(r.output());
        assertThat(c).as(r.output()).isNotNull();
        System.out.println(target + ": " + c.line());
        assertThat(c.repetitions()).isEqualTo(REPETITIONS);
        assertThat(c.hangs()).as(r.output()).isZero();
        assertThat(c.otherFailures()).as(r.output()).isZero();
        // every caller ends with the clean refusal, and the race really ran calls before close
        assertThat(c.closedRefusals()).isEqualTo((long) REPETITIONS * THREADS);
        assertThat(c.calls()).isPositive();
    }

    @Test
    void useAfterCloseIsAnIllegalStateAndCloseIsIdempotent() {
        OnnxEmbedder e = tinyEmbedder();
        assertThat(e.embed("paris")).hasSize(64);
        e.close();
        e.close();
        assertThatThrownBy(() -> e.embedAll(List.of("paris"))).isInstanceOf(IllegalStateException.class)
                .hasMessage("embedder model.onnx is closed");
        LmTokenizer t = tokenizer();
        t.close();
        t.close();
        assertThatThrownBy(() -> t.encode("paris")).isInstanceOf(IllegalStateException.class).hasMessageEndingWith("is closed");
        CachingEmbedder cache = new CachingEmbedder(tinyEmbedder());
        cache.embed("paris");
        cache.close();
        cache.close();
        // a cached text is refused too: a closed embedder answers nothing
        assertThatThrownBy(() -> cache.embed("paris")).isInstanceOf(IllegalStateException.class).hasMessageEndingWith("is closed");
    }
}
