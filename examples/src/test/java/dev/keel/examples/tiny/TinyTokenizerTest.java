package dev.keel.examples.tiny;

import dev.keel.core.lm.generate.LmTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TinyTokenizerTest {

    static final List<String> TEXTS = List.of(
            "I'm sorry, but I can't help with that.", "I'm sorry, but I can't help with that.",
            "What is 12 + 7?", "What is 12 + 7?", "The capital of France is Paris.", "The capital of France is Paris.");

    @Test
    void huggingFaceSplitsTextExactlyLikeThePiecesTheVocabularyWasBuiltFrom(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        TinyTokenizer.write(file, TEXTS, 1);
        Map<String, Integer> vocab = TinyTokenizer.vocabulary(TEXTS, 1);
        List<String> probes = new ArrayList<>(TEXTS);
        probes.add("  What\tis\n\n12?  ");
        probes.add("Paris, France: 7 + 12 (sorry!)");
        try (LmTokenizer tok = LmTokenizer.load(file)) {
            assertThat(tok.vocabSize()).isEqualTo(vocab.size());
            for (String p : probes) {
                long[] expected = TinyTokenizer.pieces(p).stream()
                        .mapToLong(s -> vocab.getOrDefault(s, TinyTokenizer.UNK_ID)).toArray();
                assertThat(tok.encode(p)).as(p).containsExactly(expected);
            }
        }
    }

    @Test
    void decodingRestoresSpacingAndTheChatMarkersAreSingleTokens(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        TinyTokenizer.write(file, TEXTS, 2);
        try (LmTokenizer tok = LmTokenizer.load(file)) {
            for (String t : TEXTS) {
                assertThat(tok.decode(tok.encode(t))).isEqualTo(t);
            }
            long[] ids = tok.encode("<|user|> What is 12 + 7?<|assistant|> 19<|end|>");
            assertThat(ids[0]).isEqualTo(3);
            assertThat(ids[ids.length - 1]).isEqualTo(TinyTokenizer.END_ID);
            assertThat(tok.decode(ids)).isEqualTo("What is 12 + 7? 19");
            // a word below the count becomes <unk>, which decodes to nothing
            assertThat(tok.encode("zebra Paris")).containsExactly(TinyTokenizer.UNK_ID,
                    TinyTokenizer.vocabulary(TEXTS, 2).get("\u2581Paris"));
        }
    }

    @Test
    void piecesSplitDigitsAndPunctuation() {
        assertThat(TinyTokenizer.pieces("I'm 42.")).containsExactly("\u2581I", "'", "m", "\u2581", "4", "2", ".");
        assertThat(TinyTokenizer.pieces("")).isEmpty();
        assertThatThrownBy(() -> TinyTokenizer.vocabulary(TEXTS, 0)).hasMessageContaining("minCount");
    }
}
