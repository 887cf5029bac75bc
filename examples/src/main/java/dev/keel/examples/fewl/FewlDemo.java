package dev.keel.examples.fewl;

import dev.keel.fewl.Fewl;
import dev.keel.fewl.Reference;
import dev.keel.fewl.HallucinationBenchmark;
import dev.keel.fewl.ProgressListener;
import dev.keel.fewl.Temperature;
import dev.keel.fewl.BenchRecord;
import dev.keel.fewl.BenchQuestion;
import dev.keel.fewl.MultiModelRecord;

import dev.keel.core.internal.Preconditions;
import dev.keel.core.data.TruthfulQa;
import dev.keel.core.embed.Embedder;
import dev.keel.core.embed.OnnxEmbedder;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * {@code keel fewl demo}: FEWL on real models' answers, the bundled EVOUNA-NQ ({@link EvounaNq}:
 * 3,014 Natural Questions, five systems' answers, human judgements), each answer scored with the
 * other four systems' answers as references ({@link #run(long, PrintStream)}); and, with
 * {@code --simulated}, the benchmark on the bundled TruthfulQA (817 questions,
 * Apache-2.0; Lin, Hilton, Evans, ACL 2022) with four simulated reference LLMs of known expertise.
 * For each question reference {@code i} gives one of the question's correct answers with probability
 * {@code 0.8, 0.6, 0.4, 0.2} and one of its incorrect answers otherwise (uniformly, seeded). The
 * records then go through the benchmark's usual split: the first half of the correct answers are the
 * CO answers, the first half of the incorrect ones the IW answers, the rest the candidates.
 *
 * <pre>{@code
 * HallucinationBenchmark.Result r = FewlDemo.run(42, System.out);
 * }</pre>
 */
public final class FewlDemo {

    /** How often each simulated reference answers correctly. */
    public static final List<Double> ACCURACIES = List.of(0.8, 0.6, 0.4, 0.2);
    /** The extra τ rows the demo prints next to the default ({@link Temperature#defaults()}). */
    public static final List<Temperature> COMPARED_TEMPERATURES =
            List.of(Temperature.fixed(1.0), Temperature.spread(0.5), Temperature.spread(2.0));
    /** K used by the demo. */
    public static final int NEIGHBOURS = 25;

    private FewlDemo() {
    }

    /**
     * Runs the EVOUNA-NQ demo with the default all-MiniLM-L6-v2 embedder and the demo's similarity
     * ({@link SimilarityChoice#CONTAINMENT}), and prints the table to {@code out}.
     *
     * @param seed the bootstrap seed
     * @param out  where the table goes
     * @return the result
     */
    public static HallucinationBenchmark.Result run(long seed, PrintStream out) {
        try (OnnxEmbedder e = OnnxEmbedder.allMiniLmL6V2()) {
            return run(seed, out, e, SimilarityChoice.CONTAINMENT);
        }
    }

    /**
     * Runs the EVOUNA-NQ demo: the multi-model benchmark (leave-one-out, K = 25, the selection
     * block) on the bundled questions, and prints the table to {@code out}.
     *
     * @param seed       the bootstrap seed
     * @param out        where the table goes
     * @param embedder   the embedder (not closed): neighbour questions, and answers for the embedding similarities
     * @param similarity the answer similarity
     * @return the result
     */
    public static HallucinationBenchmark.Result run(long seed, PrintStream out, Embedder embedder, SimilarityChoice similarity) {
        return run(seed, out, embedder, similarity, ProgressListener.NONE);
    }

    /**
     * {@link #run(long, PrintStream, Embedder, SimilarityChoice)} that reports the benchmark's
     * configurations scored so far (stage {@code benchmark}) to {@code progress}.
     *
     * @param seed       the seed of the bootstrap
     * @param out        where the table goes
     * @param embedder   the embedder (not closed)
     * @param similarity the answer similarity
     * @param progress   receives progress
     * @return the result
     */
    public static HallucinationBenchmark.Result run(long seed, PrintStream out, Embedder embedder, SimilarityChoice similarity,
                                                    ProgressListener progress) {
        Preconditions.notNull(progress, "progress");
        Preconditions.notNull(out, "out");
        Preconditions.notNull(embedder, "embedder");
        Preconditions.notNull(similarity, "similarity");
        long start = System.nanoTime();
        List<MultiModelRecord> records = EvounaNq.load();
        HallucinationBenchmark.Result r = HallucinationBenchmark.builder()
                .scorer(Fewl.builder().embedder(embedder).similarity(similarity.create(embedder)).neighbours(NEIGHBOURS))
                .seed(seed).progress(progress).build().runMultiModel(records);
        out.printf(Locale.ROOT, "FEWL demo: EVOUNA-NQ (Apache-2.0; Wang, Cheng, et al., NeurIPS 2023), %d questions, five systems' answers "
                + "with human judgements; each answer scored with the other four as references; similarity %s, K = %d, seed %d, %s%n",
                records.size(), r.provenance().config().get("similarity"), NEIGHBOURS, seed, embedder.id());
        out.print(r.table());
        out.printf(Locale.ROOT, "(%.1f s)%n", (System.nanoTime() - start) / 1e9);
        return r;
    }

    /**
     * Runs the simulated TruthfulQA demo with the default all-MiniLM-L6-v2 embedder and prints the table to {@code out}.
     *
     * @param seed the seed of the simulated references and the bootstrap
     * @param out  where the table goes
     * @return the result
     */
    public static HallucinationBenchmark.Result runSimulated(long seed, PrintStream out) {
        try (OnnxEmbedder e = OnnxEmbedder.allMiniLmL6V2()) {
            return runSimulated(seed, out, e);
        }
    }

    /**
     * Runs the simulated TruthfulQA demo with {@code embedder} (not closed) and prints the table to {@code out}.
     *
     * @param seed     the seed of the simulated references and the bootstrap
     * @param out      where the table goes
     * @param embedder the embedder
     * @return the result
     */
    public static HallucinationBenchmark.Result runSimulated(long seed, PrintStream out, Embedder embedder) {
        Preconditions.notNull(out, "out");
        Preconditions.notNull(embedder, "embedder");
        long start = System.nanoTime();
        BenchQuestion.Suite suite = BenchQuestion.splitAll(records(seed));
        HallucinationBenchmark.Result r = HallucinationBenchmark.builder()
                .scorer(Fewl.builder().embedder(embedder).neighbours(NEIGHBOURS)).seed(seed).compareTemperatures(COMPARED_TEMPERATURES).build().run(suite);
        out.printf(Locale.ROOT, "FEWL demo: TruthfulQA with simulated references (correct with probability %s), seed %d, %s%n",
                ACCURACIES, seed, embedder.id());
        out.print(r.table());
        out.printf(Locale.ROOT, "(%.1f s)%n", (System.nanoTime() - start) / 1e9);
        return r;
    }

    /** The simulated benchmark records, one per TruthfulQA question, ids {@code tqa-1 ...}. */
    public static List<BenchRecord> records(long seed) {
        List<TruthfulQa.Question> qs = TruthfulQa.load();
        SplittableRandom rng = new SplittableRandom(seed);
        List<BenchRecord> out = new ArrayList<>(qs.size());
        for (int i = 0; i < qs.size(); i++) {
            TruthfulQa.Question q = qs.get(i);
            List<String> correct = q.correct().stream().distinct().toList();
            List<String> incorrect = q.incorrect().stream().distinct().filter(a -> !correct.contains(a)).toList();
            List<Reference> refs = new ArrayList<>(ACCURACIES.size());
            for (double p : ACCURACIES) {
                boolean right = rng.nextDouble() < p;
                List<String> pool = (right && !correct.isEmpty()) || incorrect.isEmpty() ? correct : incorrect;
                refs.add(new Reference(String.format(Locale.ROOT, "sim-%.1f", p), pool.get(rng.nextInt(pool.size()))));
            }
            out.add(new BenchRecord("tqa-" + (i + 1), q.question(), refs, correct, incorrect));
        }
        return out;
    }

    /**
     * Prints the EVOUNA-NQ demo table with seed 42 (or the first argument).
     *
     * @param args optionally the seed
     */
    public static void main(String[] args) {
        run(args.length > 0 ? Long.parseLong(args[0]) : 42L, System.out);
    }
}
