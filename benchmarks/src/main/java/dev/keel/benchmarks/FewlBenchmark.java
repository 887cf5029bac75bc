package dev.keel.benchmarks;

import dev.keel.core.embed.OnnxEmbedder;
import dev.keel.fewl.BenchQuestion;
import dev.keel.fewl.Fewl;
import dev.keel.examples.fewl.EvounaNq;
import dev.keel.examples.fewl.FewlDemo;
import dev.keel.examples.fewl.SimilarityChoice;
import dev.keel.fewl.MultiModelRecord;
import dev.keel.fewl.FewlItem;
import dev.keel.fewl.FewlScore;
import dev.keel.fewl.FewlScorer;
import dev.keel.fewl.Reference;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * FEWL scoring cost: one run of a fresh scorer over the first 200 questions of the FEWL demo
 * (N = 4 simulated references, expertise answers from the data, K = 5 or 25 neighbours), against
 * embedding the run's distinct texts alone with the same embedder. Their ratio is the share of the
 * time spent embedding; the rest is FEWL's own overhead. Items/s = items / (seconds per run).
 *
 * <p>The multi-model benchmark at 5 models ({@link MultiModel}): the leave-one-out items of the
 * first 200 questions of the bundled EVOUNA-NQ (5 answers each, every one scored with the other four
 * as references, K = 25), scored by a fresh scorer with the similarity of the {@code similarity}
 * parameter ({@link #multiModelScore}), against embedding the run's distinct texts alone
 * ({@link #multiModelEmbedOnly}: questions, and the answers for the embedding similarities).
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar FewlBenchmark -rf json -rff fewl.json
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 5)
@Fork(1)
public class FewlBenchmark {

    static final int QUESTIONS = 200;

    @Param({"5", "25"})
    public int neighbours;

    private List<FewlItem> items;
    private List<String> distinctTexts;
    private OnnxEmbedder embedder;

    @Setup(Level.Trial)
    public void setUp() {
        List<BenchQuestion> qs = BenchQuestion.splitAll(FewlDemo.records(42)).questions();
        items = new ArrayList<>();
        Set<String> texts = new LinkedHashSet<>();
        for (BenchQuestion q : qs.subList(0, Math.min(QUESTIONS, qs.size()))) {
            for (FewlItem it : q.items()) {
                items.add(it);
                texts.add(it.question());
                texts.add(it.answer());
                for (Reference r : it.references()) {
                    texts.add(r.answer());
                }
                texts.addAll(it.wrongAnswers());
                texts.addAll(it.correctedAnswers());
            }
        }
        distinctTexts = new ArrayList<>(texts);
        embedder = OnnxEmbedder.allMiniLmL6V2();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        embedder.close();
    }

    /** A full scoring run: embeds every distinct text once, neighbours, weights, penalty. The scorer does not close the embedder it is given. */
    @Benchmark
    public List<FewlScore> score() {
        try (FewlScorer scorer = Fewl.builder().embedder(embedder).neighbours(neighbours).build()) {
            return scorer.scoreAll(items);
        }
    }

    /** Embedding the same distinct texts alone: the floor under {@link #score()}. */
    @Benchmark
    public float[][] embedOnly() {
        return embedder.embedAll(distinctTexts);
    }

    /** The number of items a {@link #score()} run scores, for items/s. */
    public int itemCount() {
        return items.size();
    }

    /** The multi-model (EVOUNA-NQ, 5 models, leave-one-out) workload. */
    @State(Scope.Benchmark)
    public static class MultiModel {
        /** The answer similarity. */
        @Param({"containment", "hybrid", "cosine"})
        public String similarity;

        List<FewlItem> items;
        List<FewlItem> corpus;
        List<String> distinctTexts;
        OnnxEmbedder embedder;

        /** Loads the first 200 questions and the embedder. */
        @Setup(Level.Trial)
        public void setUp() {
            List<MultiModelRecord> recs = EvounaNq.load().subList(0, QUESTIONS);
            items = new ArrayList<>();
            corpus = new ArrayList<>();
            Set<String> texts = new LinkedHashSet<>();
            boolean answers = !similarity.equals("containment");
            for (MultiModelRecord r : recs) {
                items.addAll(r.items());
                List<Reference> refs = r.references();
                corpus.add(FewlItem.of(r.id(), r.question(), refs.get(0).answer(), refs));
                texts.add(r.question());
                if (answers) {
                    refs.forEach(x -> texts.add(x.answer()));
                }
            }
            distinctTexts = new ArrayList<>(texts);
            embedder = OnnxEmbedder.allMiniLmL6V2();
        }

        /** Closes the embedder. */
        @TearDown(Level.Trial)
        public void tearDown() {
            embedder.close();
        }
    }

    /**
     * One FEWL pass over the multi-model items (leave-one-out references, penalty over the same
     * models' answers to the 25 nearest questions): every distinct text embedded once, then the scores.
     *
     * @param m the workload
     * @return the scores
     */
    @Benchmark
    public List<FewlScore> multiModelScore(MultiModel m) {
        try (FewlScorer scorer = Fewl.builder().embedder(m.embedder).similarity(SimilarityChoice.parse(m.similarity).create(m.embedder))
                .corpus(m.corpus).neighbours(25).build()) {
            return scorer.scoreAll(m.items);
        }
    }

    /**
     * Embedding the multi-model run's distinct texts alone: the floor under {@link #multiModelScore}.
     *
     * @param m the workload
     * @return the vectors
     */
    @Benchmark
    public float[][] multiModelEmbedOnly(MultiModel m) {
        return m.embedder.embedAll(m.distinctTexts);
    }
}
