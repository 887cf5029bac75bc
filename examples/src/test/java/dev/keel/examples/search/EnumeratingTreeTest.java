package dev.keel.examples.search;

import ai.djl.Device;
import dev.keel.core.lm.CausalLm;
import dev.keel.core.lm.generate.LmTokenizer;
import dev.keel.core.lm.search.LmStepModel;
import dev.keel.core.lm.search.StepModel;
import dev.keel.core.lm.train.TrainingExample;
import dev.keel.examples.tiny.TinyCorpus;
import dev.keel.examples.tiny.TinyModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** {@link EnumeratingTree} on the bundled keel-tiny with a few records. */
class EnumeratingTreeTest {

    private static CausalLm model;
    private static LmTokenizer tok;

    @BeforeAll
    static void load() throws IOException {
        model = CausalLm.load(TinyModel.path(), Device.cpu());
        tok = LmTokenizer.load(TinyModel.path().resolve("tokenizer.json"));
    }

    @AfterAll
    static void close() {
        tok.close();
        model.close();
    }

    private static List<TinyCorpus.Item> firstOfEachFamily(List<TinyCorpus.Item> items, int perFamily) {
        List<TinyCorpus.Item> out = new ArrayList<>();
        for (TinyCorpus.Family f : TinyCorpus.Family.values()) {
            items.stream().filter(i -> i.family() == f).limit(perFamily).forEach(out::add);
        }
        return out;
    }

    @Test
    void smokeRunWritesTheTableAndItsNumbersHold(@TempDir Path dir) throws IOException {
        List<TinyCorpus.Item> train = firstOfEachFamily(TinyCorpus.train(42), 6);
        List<TinyCorpus.Item> held = firstOfEachFamily(TinyCorpus.heldOut(42, 2), 2);
        EnumeratingTree.Settings s = new EnumeratingTree.Settings(List.of(2, 0), 0, 2, 42);
        EnumeratingTree.Result r = EnumeratingTree.compute(model, tok, train, held, 128, s, "keel-tiny", "test", x -> { });
        EnumeratingTree.write(dir, r);
        List<String> csv = Files.readAllLines(dir.resolve(EnumeratingTree.CSV));
        assertThat(csv.get(0)).startsWith("section,family,bucket,max_order,states,tokens,kl_mean");
        assertThat(csv).hasSize(r.rows().size() + 1);
        assertThat(Files.readString(dir.resolve(EnumeratingTree.MD))).contains("## Seen prefixes")
                .contains("| all | 54 |");
        int vocab = model.vocabSize();
        for (EnumeratingTree.Row row : r.rows()) {
            if (row.section().startsWith("seen") && row.states() > 0) {
                assertThat(row.klMean()).as(row.toString()).isGreaterThan(-1e-9);
                assertThat(row.klWeighted()).isGreaterThan(-1e-9);
                assertThat(row.treeEntropy()).isGreaterThanOrEqualTo(0);
                assertThat(row.top1()).isBetween(0.0, 1.0);
                assertThat(row.mass()).isBetween(0.0, 1.0 + 1e-9);
            }
            if (row.section().equals("train") || row.section().equals("heldout")) {
                assertThat(row.seenShare()).isBetween(0.0, 1.0);
                assertThat(row.modelPpl()).isGreaterThanOrEqualTo(1.0);
                assertThat(row.treePpl()).isGreaterThanOrEqualTo(1.0);
                assertThat(row.uniformPpl()).isEqualTo(vocab);
            }
        }
        // the exact tree has seen every training prefix; on its own records its back-off beats uniform by far
        EnumeratingTree.Row trainAll = r.row("train", "all", "", 2);
        assertThat(trainAll.seenShare()).isEqualTo(1.0);
        assertThat(trainAll.treePpl()).isLessThan(2.0);
        assertThat(trainAll.states()).isEqualTo(54);
        // held-out prompts are unseen from their first answer token
        assertThat(r.row("heldout", "add2", "", 2).seenShare()).isZero();
        // the buckets partition the states
        EnumeratingTree.Row seen = r.row("seen", "all", "all", -1);
        long sum = 0;
        for (String b : EnumeratingTree.BUCKETS) {
            sum += r.row("seen", "all", b, -1).states();
        }
        assertThat(sum).isEqualTo(seen.states());
        // each answer state once: a record's answer states are its target tokens (no two of these 54 prompts coincide)
        long targets = 0;
        for (TrainingExample e : EnumeratingTree.encode(train, tok, 128)) {
            targets += e.targetCount();
        }
        assertThat(seen.states()).isEqualTo(targets);
        assertThat(trainAll.tokens()).isEqualTo(targets);
    }

    @Test
    void theBatchedForwardGivesTheModelsOwnStepByStepProbabilities() {
        // records of different lengths share a padded batch; the reference reads each one token at a time
        List<TinyCorpus.Item> train = List.of(new TinyCorpus.Item(TinyCorpus.Family.ADD1, "What is 3 + 4?", "7"),
                new TinyCorpus.Item(TinyCorpus.Family.COPY, "Repeat these words: cat dog sun moon", "cat dog sun moon"),
                new TinyCorpus.Item(TinyCorpus.Family.CAPITALS, "What is the capital of France?", "The capital of France is Paris."));
        EnumeratingTree.Settings s = new EnumeratingTree.Settings(List.of(1), 0, 1, 42);
        EnumeratingTree.Result r = EnumeratingTree.compute(model, tok, train, train, 0, s, "keel-tiny", "test", x -> { });
        double nll = 0;
        int n = 0;
        try (LmStepModel steps = new LmStepModel(model)) {
            for (TrainingExample e : EnumeratingTree.encode(train, tok, 0)) {
                long[] ids = e.inputIds();
                int first = 1;
                while (!e.labelMask()[first]) {
                    first++;
                }
                StepModel.State state = steps.root(Arrays.copyOf(ids, first));
                for (int t = first; t < ids.length; t++) {
                    nll -= state.logProbs()[(int) ids[t]];
                    n++;
                    StepModel.State next = t + 1 < ids.length ? steps.extend(state, ids[t]) : null;
                    state.close();
                    state = next;
                }
            }
        }
        assertThat(r.row("train", "all", "", 1).modelPpl()).isCloseTo(Math.exp(nll / n), within(1e-4));
        assertThat(r.row("train", "all", "", 1).tokens()).isEqualTo(n);
        // the same records as "held-out": the tree has seen all of them
        assertThat(r.row("heldout", "all", "", 1).seenShare()).isEqualTo(1.0);
        assertThat(r.row("heldout", "all", "", 1).modelPpl()).isCloseTo(Math.exp(nll / n), within(1e-4));
    }

    @Test
    void aCorpusTheModelWasNotTrainedOnIsRefused() {
        // the bundled model's own corpus passes the check: EnumeratingTreeIT (it tokenizes all 12,565 records)
        List<TinyCorpus.Item> train = TinyCorpus.train(42);
        assertThatThrownBy(() -> EnumeratingTree.checkCorpus(TinyModel.path(), 7, train))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("was trained with seed 42 (metrics.json), not 7");
        assertThatThrownBy(() -> EnumeratingTree.checkCorpus(TinyModel.path(), 42, train.subList(0, 100)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tokenizer.json: the vocabulary of");
    }

    @Test
    void badSettingsAreRefused() {
        assertThatThrownBy(() -> new EnumeratingTree.Settings(List.of(), 0, 1, 42))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxOrders");
        assertThatThrownBy(() -> new EnumeratingTree.Settings(List.of(-1), 0, 1, 42))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("maxOrder must be >= 0, was -1");
        assertThatThrownBy(() -> new EnumeratingTree.Settings(List.of(1), -1, 1, 42))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("seenRecords must be >= 0, was -1");
        assertThatThrownBy(() -> new EnumeratingTree.Settings(List.of(1), 0, 0, 42))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("heldOutPerFamily must be > 0, was 0");
        assertThat(EnumeratingTree.sample(10, 3, 1)).hasSize(3).isSorted().isEqualTo(EnumeratingTree.sample(10, 3, 1));
        assertThat(EnumeratingTree.bucket(1)).isEqualTo("1");
        assertThat(EnumeratingTree.bucket(9)).isEqualTo("2-9");
        assertThat(EnumeratingTree.bucket(10)).isEqualTo("10-99");
        assertThat(EnumeratingTree.bucket(100)).isEqualTo(">=100");
    }
}
