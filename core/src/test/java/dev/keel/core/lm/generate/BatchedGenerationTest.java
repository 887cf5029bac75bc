package dev.keel.core.lm.generate;

import ai.djl.Device;
import dev.keel.core.chat.GenerationOptions;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.testkit.TinyFixtures;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BatchedGenerationTest {

    private static long[] randomIds(SplittableRandom r, int len, int vocab) {
        long[] ids = new long[len];
        for (int i = 0; i < len; i++) {
            ids[i] = 3 + r.nextInt(vocab - 3);
        }
        return ids;
    }

    /** Each row of the batch against the same request generated alone. */
    private static void assertBatchEqualsBatchOne(LlamaModel model, List<Generator.Request> requests) {
        Generator g = new Generator(model);
        List<GenerationResult> batched = g.generateBatch(requests);
        assertThat(batched).hasSize(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            Generator.Request r = requests.get(i);
            GenerationResult alone = g.generate(r.prompt(), r.options(), r.stopTokenIds(), true, r.topK(), r.callback());
            assertThat(batched.get(i)).as("row %d (prompt of %d tokens)", i, r.prompt().length).isEqualTo(alone);
        }
    }

    @Test
    void greedyBatchedEqualsBatchOneOnTheTinyModelWithDifferentLengthsLimitsAndStops() {
        try (LlamaModel model = TinyFixtures.tinyModel(3)) {
            SplittableRandom r = new SplittableRandom(1);
            int[] lengths = {5, 1, 12, 7, 3, 20};
            int[] limits = {9, 14, 3, 20, 1, 6};
            List<Generator.Request> requests = new ArrayList<>();
            for (int i = 0; i < lengths.length; i++) {
                requests.add(new Generator.Request(randomIds(r, lengths[i], 97),
                        GenerationOptions.builder().maxTokens(limits[i]).build(), Set.of()));
            }
            // a row with a stop id taken from its own free-running output
            long[] free = new Generator(model).generate(requests.get(3).prompt(), requests.get(3).options(), Set.of(), true, null)
                    .tokens();
            requests.set(3, new Generator.Request(requests.get(3).prompt(), requests.get(3).options(), Set.of(free[4])));
            List<GenerationResult> out = new Generator(model).generateBatch(requests);
            assertThat(out.get(3).reason()).isEqualTo(GenerationResult.FinishReason.STOP_TOKEN);
            assertThat(out.get(0).reason()).isEqualTo(GenerationResult.FinishReason.MAX_TOKENS);
            assertThat(out.get(0).tokens()).hasSize(9);
            assertThat(out.get(4).tokens()).hasSize(1);
            // the rows say different things (the comparison is not between constant outputs)
            assertThat(Arrays.stream(out.get(1).tokens()).distinct().count()).isGreaterThan(2);
            assertThat(Arrays.copyOf(out.get(1).tokens(), 6)).isNotEqualTo(out.get(5).tokens());
            assertBatchEqualsBatchOne(model, requests);
        }
    }

    @Test
    void rowsReachTheContextLengthOnTheirOwnRealLength() {
        // tiny config: max_position_embeddings 64; the 60-token row stops at 64, the short rows run on
        try (LlamaModel model = TinyFixtures.tinyModel(5)) {
            SplittableRandom r = new SplittableRandom(2);
            GenerationOptions o = GenerationOptions.builder().maxTokens(30).build();
            List<Generator.Request> requests = List.of(new Generator.Request(randomIds(r, 60, 97), o, Set.of()),
                    new Generator.Request(randomIds(r, 10, 97), o, Set.of()),
                    new Generator.Request(randomIds(r, 40, 97), o, Set.of()));
            List<GenerationResult> out = new Generator(model).generateBatch(requests);
            assertThat(out.get(0).reason()).isEqualTo(GenerationResult.FinishReason.LENGTH);
            assertThat(out.get(0).tokens()).hasSize(4);
            assertThat(out.get(1).reason()).isEqualTo(GenerationResult.FinishReason.MAX_TOKENS);
            assertThat(out.get(1).tokens()).hasSize(30);
            assertThat(out.get(2).reason()).isEqualTo(GenerationResult.FinishReason.LENGTH);
            assertThat(out.get(2).tokens()).hasSize(24);
            assertBatchEqualsBatchOne(model, requests);
        }
    }

    @Test
    void greedyBatchedEqualsBatchOneOnTheQwen3AndMistralVectorsModels() throws IOException {
        for (String variant : List.of("qwen3-a", "mistral-a")) {
            try (LlamaModel model = LlamaModel.load(TinyFixtures.vectorsDir(variant), Device.cpu())) {
                int vocab = model.config().vocabSize();
                SplittableRandom r = new SplittableRandom(7);
                List<Generator.Request> requests = new ArrayList<>();
                for (int len : new int[] {4, 11, 1, 17, 8}) {
                    requests.add(new Generator.Request(randomIds(r, len, vocab),
                            GenerationOptions.builder().maxTokens(12 + len % 5).build(), Set.of()));
                }
                assertBatchEqualsBatchOne(model, requests);
            }
        }
    }

    @Test
    void eachSampledRowFollowsItsOwnSeedWhateverItsCompanions() {
        try (LlamaModel model = TinyFixtures.tinyModel(9)) {
            SplittableRandom r = new SplittableRandom(4);
            long[] a = randomIds(r, 6, 97);
            long[] b = randomIds(r, 13, 97);
            long[] c = randomIds(r, 2, 97);
            GenerationOptions sa = GenerationOptions.builder().temperature(1.3).topP(0.9).maxTokens(15).seed(21).build();
            GenerationOptions sb = GenerationOptions.builder().temperature(0.8).maxTokens(10).seed(22).build();
            Generator g = new Generator(model);
            List<GenerationResult> one = g.generateBatch(List.of(new Generator.Request(a, sa, Set.of()),
                    new Generator.Request(b, sb, Set.of()), new Generator.Request(c, GenerationOptions.builder()
                            .maxTokens(7).build(), Set.of())));
            List<GenerationResult> other = g.generateBatch(List.of(new Generator.Request(c, sb, Set.of()),
                    new Generator.Request(a, sa, Set.of(), 0, null)));
            assertThat(other.get(1)).isEqualTo(one.get(0));
            assertThat(one.get(0)).isEqualTo(g.generate(a, sa, Set.of(), true, null));
            assertThat(one.get(1)).isEqualTo(g.generate(b, sb, Set.of(), true, null));
            // another seed gives another sample
            GenerationResult reseeded = g.generateBatch(List.of(new Generator.Request(a, sa.toBuilder().seed(23).build(),
                    Set.of()))).get(0);
            assertThat(reseeded).isNotEqualTo(one.get(0));
            // top-k 1 is greedy
            GenerationResult topOne = g.generateBatch(List.of(new Generator.Request(a, sa, Set.of(), 1, null))).get(0);
            assertThat(topOne.tokens()).containsExactly(g.generate(a, GenerationOptions.builder().maxTokens(15).build(),
                    Set.of(), true, null).tokens());
        }
    }

    @Test
    void aRowsCallbackStopsOnlyThatRow() {
        try (LlamaModel model = TinyFixtures.tinyModel(11)) {
            SplittableRandom r = new SplittableRandom(8);
            GenerationOptions o = GenerationOptions.builder().maxTokens(10).build();
            long[] p0 = randomIds(r, 5, 97);
            long[] p1 = randomIds(r, 9, 97);
            List<long[]> seen = new ArrayList<>();
            List<GenerationResult> out = new Generator(model).generateBatch(List.of(
                    new Generator.Request(p0, o, Set.of(), 0, generated -> {
                        seen.add(generated);
                        return generated.length < 3;
                    }),
                    new Generator.Request(p1, o, Set.of())));
            assertThat(out.get(0).reason()).isEqualTo(GenerationResult.FinishReason.STOPPED);
            assertThat(out.get(0).tokens()).hasSize(3);
            assertThat(seen).hasSize(3);
            assertThat(Arrays.equals(seen.get(2), out.get(0).tokens())).isTrue();
            assertThat(out.get(1).tokens()).hasSize(10);
            assertThat(out.get(1)).isEqualTo(new Generator(model).generate(p1, o, Set.of(), true, null));
        }
    }

    @Test
    void badRequestsAreRefusedByName() {
        try (LlamaModel model = TinyFixtures.tinyModel(1)) {
            GenerationOptions o = GenerationOptions.defaults();
            assertThatThrownBy(() -> new Generator.Request(new long[0], o, Set.of()))
                    .hasMessageContaining("prompt must hold at least one token");
            assertThatThrownBy(() -> new Generator.Request(new long[] {1}, o, Set.of(), -1, null))
                    .hasMessageContaining("topK must be >= 0, was -1");
            assertThatThrownBy(() -> new Generator(model).generateBatch(List.of(
                    new Generator.Request(new long[] {1}, o, Set.of()), new Generator.Request(new long[65], o, Set.of()))))
                    .hasMessageContaining("prompt 1 of 65 tokens exceeds the context length (64)");
            assertThat(new Generator(model).generateBatch(List.of())).isEmpty();
        }
    }

    @Test
    void mostLikelyOrdersByLogitThenIdInBothPaths() {
        SplittableRandom r = new SplittableRandom(13);
        for (int trial = 0; trial < 20; trial++) {
            float[] logits = new float[1000 + r.nextInt(2000)];
            for (int i = 0; i < logits.length; i++) {
                // few distinct values, negative and positive, so that ties are common
                logits[i] = (r.nextInt(41) - 20) * 0.25f;
            }
            logits[r.nextInt(logits.length)] = -0.0f;
            Integer[] naive = new Integer[logits.length];
            for (int i = 0; i < naive.length; i++) {
                naive[i] = i;
            }
            Arrays.sort(naive, (x, y) -> logits[x] != logits[y] ? Float.compare(logits[y], logits[x]) : Integer.compare(x, y));
            for (int limit : new int[] {1, 7, 50, logits.length / 4, logits.length}) {
                int[] got = Generator.mostLikely(logits, limit);
                int[] want = new int[limit];
                for (int i = 0; i < limit; i++) {
                    want[i] = naive[i];
                }
                assertThat(got).as("limit %d", limit).containsExactly(want);
            }
        }
    }
}
