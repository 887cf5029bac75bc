package dev.keel.examples.fewl;

import dev.keel.core.internal.ProvenanceJson;
import dev.keel.fewl.FewlItem;
import dev.keel.fewl.HallucinationBenchmark;
import dev.keel.fewl.Fewl;
import dev.keel.fewl.BenchQuestion;
import dev.keel.fewl.BenchmarkFile;
import dev.keel.fewl.FewlScorer;
import dev.keel.fewl.ProgressListener;
import dev.keel.fewl.FewlScore;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.Provenance;
import dev.keel.core.internal.AtomicFiles;
import dev.keel.core.internal.Json;
import dev.keel.core.embed.Embedder;
import dev.keel.core.embed.OnnxEmbedder;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * What the {@code keel fewl} sub-commands call: {@link #score}, {@link #bench} and {@link #demo}.
 * Each has an overload that takes the embedder (not closed), for tests and callers that hold one.
 * Output files are written atomically, after all the work is done: on any error nothing is written.
 */
public final class FewlCommands {

    private FewlCommands() {
    }

    /**
     * {@code keel fewl score --in items.jsonl --out scores.jsonl [--neighbours K] [--temperature T]}:
     * scores every item of {@code in} (with the default embedder) and writes one {@link FewlScore} JSON
     * object a line to {@code out}, and the provenance to {@code out + ".provenance.json"}.
     *
     * @param k        neighbour questions (K)
     * @param tau      a fixed temperature, or {@code null} for the default ({@link Temperature#defaults()})
     * @param progress receives progress; may be {@code null}
     * @return the scores
     * @throws dev.keel.core.data.DatasetException for a bad line of {@code in}, naming file and line
     * @throws IllegalArgumentException            for a bad item (naming its id)
     */
    public static List<FewlScore> score(Path in, Path out, int k, Double tau, ProgressListener progress) throws IOException {
        try (OnnxEmbedder e = OnnxEmbedder.allMiniLmL6V2()) {
            return score(in, out, k, tau, progress, e);
        }
    }

    /** {@link #score(Path, Path, int, Double, ProgressListener)} with {@code embedder}. */
    public static List<FewlScore> score(Path in, Path out, int k, Double tau, ProgressListener progress, Embedder embedder) throws IOException {
        Preconditions.notNull(in, "in");
        Preconditions.notNull(out, "out");
        Preconditions.notNull(embedder, "embedder");
        List<FewlItem> items = FewlItem.readAll(in);
        FewlScorer.Builder b = Fewl.builder().embedder(embedder).neighbours(k)
                .progress(progress == null ? ProgressListener.NONE : progress);
        if (tau != null) {
            b.temperature(tau);
        }
        try (FewlScorer scorer = b.build()) {
            List<FewlScore> scores = scorer.scoreAll(items);
            FewlScore.writeAll(out, scores);
            ObjectNode p = Json.mapper().createObjectNode();
            p.put("input", in.toString());
            p.set("provenance", ProvenanceJson.toJson(scorer.provenance()));
            AtomicFiles.writeString(provenancePath(out), Json.toLine(p) + "\n");
            return scores;
        }
    }

    /** Where {@link #score} writes the provenance of {@code out}. */
    public static Path provenancePath(Path out) {
        return Provenance.sidecar(out);
    }

    /**
     * {@code keel fewl bench --in bench.jsonl [--seed S] [--similarity hybrid] [--out result.json]}:
     * runs the {@link HallucinationBenchmark} on a benchmark file of either shape (gold answers, see
     * {@link dev.keel.fewl.BenchRecord} and {@link BenchQuestion#split}; or several models'
     * labelled answers, see {@link dev.keel.fewl.MultiModelRecord}, with the selection block) with the
     * default embedder and K = 25, prints the table to {@code console}, and writes it as JSON to
     * {@code outJson} if that is not {@code null}.
     *
     * @param in         the benchmark file
     * @param seed       the bootstrap seed
     * @param similarity the answer similarity
     * @param outJson    where the JSON goes, or {@code null}
     * @param console    where the table goes
     * @return the result
     * @throws IOException                         if a file cannot be read or written
     * @throws dev.keel.core.data.DatasetException for a bad line of {@code in}, naming file and line
     * @throws IllegalArgumentException            if the file has no usable question
     */
    public static HallucinationBenchmark.Result bench(Path in, long seed, SimilarityChoice similarity, Path outJson,
                                                      PrintStream console) throws IOException {
        try (OnnxEmbedder e = OnnxEmbedder.allMiniLmL6V2()) {
            return bench(in, seed, similarity, outJson, console, e);
        }
    }

    /**
     * {@link #bench(Path, long, SimilarityChoice, Path, PrintStream)} with {@code embedder} (not closed).
     *
     * @param in         the benchmark file
     * @param seed       the bootstrap seed
     * @param similarity the answer similarity
     * @param outJson    where the JSON goes, or {@code null}
     * @param console    where the table goes
     * @param embedder   the embedder
     * @return the result
     * @throws IOException                         if a file cannot be read or written
     * @throws dev.keel.core.data.DatasetException for a bad line of {@code in}, naming file and line
     * @throws IllegalArgumentException            if the file has no usable question
     */
    public static HallucinationBenchmark.Result bench(Path in, long seed, SimilarityChoice similarity, Path outJson,
                                                      PrintStream console, Embedder embedder) throws IOException {
        Preconditions.notNull(in, "in");
        Preconditions.notNull(similarity, "similarity");
        Preconditions.notNull(console, "console");
        Preconditions.notNull(embedder, "embedder");
        BenchmarkFile file = BenchmarkFile.read(in);
        if (file.format() == BenchmarkFile.Format.GOLD_ANSWERS && file.gold().questions().isEmpty()) {
            throw new IllegalArgumentException(in + ": no usable question (" + file.gold().skippedIds().size()
                    + " skipped for fewer than two correct or two incorrect answers)");
        }
        HallucinationBenchmark.Result r = HallucinationBenchmark.builder()
                .scorer(Fewl.builder().embedder(embedder).similarity(similarity.create(embedder))).seed(seed).build().run(file);
        console.print(r.table());
        if (outJson != null) {
            AtomicFiles.writeString(outJson, r.toJsonLine() + "\n");
        }
        return r;
    }

    /**
     * {@link #bench(Path, long, SimilarityChoice, Path, PrintStream, Embedder)} with cosine similarity,
     * as before the similarity could be chosen.
     *
     * @param in       the benchmark file
     * @param seed     the bootstrap seed
     * @param outJson  where the JSON goes, or {@code null}
     * @param console  where the table goes
     * @param embedder the embedder
     * @return the result
     * @throws IOException if a file cannot be read or written
     */
    public static HallucinationBenchmark.Result bench(Path in, long seed, Path outJson, PrintStream console, Embedder embedder) throws IOException {
        return bench(in, seed, SimilarityChoice.COSINE, outJson, console, embedder);
    }

    /**
     * {@code keel fewl demo [--seed S] [--similarity containment] [--simulated]}: the EVOUNA-NQ
     * demo ({@link FewlDemo#run(long, PrintStream, Embedder, SimilarityChoice)}), or with
     * {@code simulated} the TruthfulQA one ({@link FewlDemo#runSimulated(long, PrintStream)}).
     *
     * @param seed       the seed
     * @param simulated  whether to run the simulated TruthfulQA benchmark
     * @param similarity the answer similarity of the EVOUNA-NQ demo (the simulated one uses cosine)
     * @param console    where the table goes
     * @return the result
     */
    public static HallucinationBenchmark.Result demo(long seed, boolean simulated, SimilarityChoice similarity, PrintStream console) {
        return demo(seed, simulated, similarity, console, ProgressListener.NONE);
    }

    /**
     * {@link #demo(long, boolean, SimilarityChoice, PrintStream)} that reports the EVOUNA-NQ
     * benchmark's configurations scored so far (stage {@code benchmark}) to {@code progress}.
     *
     * @param seed       the seed
     * @param simulated  whether to run the simulated TruthfulQA benchmark (which reports no progress)
     * @param similarity the answer similarity of the EVOUNA-NQ demo
     * @param console    where the table goes
     * @param progress   receives progress
     * @return the result
     */
    public static HallucinationBenchmark.Result demo(long seed, boolean simulated, SimilarityChoice similarity, PrintStream console,
                                                     ProgressListener progress) {
        if (simulated) {
            return FewlDemo.runSimulated(seed, console);
        }
        try (OnnxEmbedder e = OnnxEmbedder.allMiniLmL6V2()) {
            return FewlDemo.run(seed, console, e, similarity, progress);
        }
    }

    /**
     * {@code keel fewl demo [--seed S]}: see {@link FewlDemo#run(long, PrintStream)}.
     *
     * @param seed    the seed
     * @param console where the table goes
     * @return the result
     */
    public static HallucinationBenchmark.Result demo(long seed, PrintStream console) {
        return FewlDemo.run(seed, console);
    }
}
