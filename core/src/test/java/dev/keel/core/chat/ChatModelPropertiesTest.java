package dev.keel.core.chat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Invariants of the chat models, checked on generated inputs. */
class ChatModelPropertiesTest {

    private static final double[] JITTER = {0};
    private static OpenAiChatModel backoffModel;

    @Property(tries = 200)
    boolean backoffStaysWithinHalfToFullOfTheCappedExponential(@ForAll @IntRange(min = 0, max = 40) int retry,
                                                               @ForAll @DoubleRange(min = 0, max = 1) double jitter) {
        synchronized (JITTER) {
            if (backoffModel == null) {
                backoffModel = OpenAiChatModel.builder().baseUrl("http://127.0.0.1:9/v1").model("m")
                        .retryBaseDelay(Duration.ofMillis(100)).retryMaxDelay(Duration.ofSeconds(5))
                        .jitter(() -> JITTER[0]).build();
            }
            JITTER[0] = jitter;
            long full = Math.min(5000L, 100L * (1L << Math.min(retry, 20)));
            long d = backoffModel.backoffDelay(retry).toMillis();
            return d >= full / 2 && d <= full;
        }
    }

    /** Any well-formed text: controls, quotes, backslashes, line breaks, BMP letters (no lone surrogates). */
    @Provide
    Arbitrary<String> texts() {
        return Arbitraries.strings().withCharRange('\u0000', '\uD7FF').withCharRange('\uE000', '\uFFFD')
                .withChars('"', '\\', '\n', '\r', '\u2028').ofMaxLength(60);
    }

    @Property(tries = 50)
    boolean anyTextSurvivesSaveAndLoad(@ForAll("texts") String prompt, @ForAll("texts") String reply) throws IOException {
        Path file = Files.createTempFile("keel-recorded", ".jsonl");
        try {
            RecordedChatModel source = RecordedChatModel.of(Map.of(List.of(ChatMessage.user(prompt)), reply));
            RecordingChatModel recording = RecordingChatModel.wrap(source);
            recording.generate(prompt);
            recording.save(file);
            try (RecordedChatModel replay = RecordedChatModel.load(file)) {
                return replay.generate(prompt).equals(reply);
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
