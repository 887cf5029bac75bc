package dev.keel.examples.fewl;

import dev.keel.core.internal.ProvenanceJson;
import dev.keel.fewl.FewlItem;
import dev.keel.fewl.HallucinationBenchmark;
import dev.keel.fewl.Fewl;
import dev.keel.fewl.BenchQuestion;
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
     * {@code keel fewl bench --in bench.jsonl [--seed S] [--out result.json]}: runs the
     * {@link HallucinationBenchmark} on a benchmark file (see {@link BenchRecord} and
     * {@link BenchQuestion#split}) with the default embedder and K = 25, prints the table to
     * {@code console}, and writes it as JSON to {@code outJson} if that is not {@code null}.
     */
    public static HallucinationBenchmark.Result bench(Path in, long seed, Path outJson, PrintStream console) throws IOException {
        try (OnnxEmbedder e = OnnxEmbedder.allMiniLmL6V2()) {
            return bench(in, seed, outJson, console, e);
        }
    }

    /** {@link #bench(Path, long, Path, PrintStream)} with {@code embedder}. */
    public static HallucinationBenchmark.Result bench(Path in, long seed, Path outJson, PrintStream console, Embedder embedder) throws IOException {
        Preconditions.notNull(in, "in");
        Preconditions.notNull(console, "console");
        Preconditions.notNull(embedder, "embedder");
        BenchQuestion.Suite suite = BenchQuestion.read(in);
        if (suite.questions().isEmpty()) {
            throw new IllegalArgumentException(in + ": no usable question (" + suite.skippedIds().size()
                    + " skipped for fewer than two correct or two incorrect answers)");
        }
        HallucinationBenchmark.Result r = HallucinationBenchmark.builder().scorer(Fewl.builder().embedder(embedder)).seed(seed).build().run(suite);
        console.print(r.table());
        if (outJson != null) {
            AtomicFiles.writeString(outJson, r.toJsonLine() + "\n");
        }
        return r;
    }

    /** {@code keel fewl demo [--seed S]}: see {@link FewlDemo#run(long, PrintStream)}. */
    public static HallucinationBenchmark.Result demo(long seed, PrintStream console) {
        return FewlDemo.run(seed, console);
    }
}
