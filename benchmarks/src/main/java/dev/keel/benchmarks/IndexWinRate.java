package dev.keel.benchmarks;

import dev.keel.core.embed.CachingEmbedder;
import dev.keel.core.embed.OnnxEmbedder;
import dev.keel.examples.fewl.EvounaNq;
import dev.keel.examples.fewl.SimilarityChoice;
import dev.keel.fewl.Fewl;
import dev.keel.fewl.HallucinationBenchmark;
import dev.keel.fewl.HnswIndex;
import dev.keel.fewl.MultiModelRecord;
import dev.keel.fewl.NeighbourIndex;

import java.util.List;
import java.util.Locale;

/**
 * FEWL's win rate on EVOUNA-NQ (the {@code fewl bench} path: the multi-model benchmark, K = 25)
 * with the exact neighbour search and with the HNSW index, in one run and on the same cached
 * embeddings; prints one JSON line per search.
 *
 * <pre>
 * java -Xmx4g -cp ... dev.keel.benchmarks.IndexWinRate [hybrid|cosine|containment] [efSearch]
 * </pre>
 */
public final class IndexWinRate {

    private IndexWinRate() {
    }

    /**
     * Runs both.
     *
     * @param args the similarity (default hybrid) and the index's efSearch (default 100)
     */
    public static void main(String[] args) {
        SimilarityChoice sim = args.length > 0 ? SimilarityChoice.valueOf(args[0].toUpperCase(Locale.ROOT)) : SimilarityChoice.HYBRID;
        int ef = args.length > 1 ? Integer.parseInt(args[1]) : HnswIndex.Parameters.DEFAULT_EF_SEARCH;
        List<MultiModelRecord> records = EvounaNq.load();
        try (CachingEmbedder e = new CachingEmbedder(OnnxEmbedder.allMiniLmL6V2())) {
            for (NeighbourIndex index : List.of(NeighbourIndex.exact(), NeighbourIndex.hnsw(HnswIndex.Parameters.defaults().withEfSearch(ef)))) {
                long t0 = System.nanoTime();
                HallucinationBenchmark.Result r = HallucinationBenchmark.builder()
                        .scorer(Fewl.builder().embedder(e).similarity(sim.create(e)).neighbours(25).neighbourIndex(index))
                        .seed(7).build().runMultiModel(records);
                HallucinationBenchmark.Row fewl = r.row(HallucinationBenchmark.FEWL);
                System.out.printf(Locale.ROOT, "{\"search\":\"%s\",\"similarity\":\"%s\",\"questions\":%d,\"row\":\"%s\",\"winRate\":%.4f,"
                                + "\"low\":%.4f,\"high\":%.4f,\"auroc\":%.4f,\"seconds\":%.1f}%n",
                        index, sim, r.questions(), fewl.name(), fewl.winRate().value(), fewl.winRate().low(), fewl.winRate().high(),
                        fewl.auroc().value(), (System.nanoTime() - t0) / 1e9);
            }
        }
    }
}
