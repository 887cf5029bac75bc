package dev.keel.fewl;

import dev.keel.core.testkit.TestEmbedders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HnswIndexTest {

    /** Unit vectors around {@code clusters} centres, like question embeddings that share topics. */
    static float[][] clustered(int n, int d, int clusters, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[][] centres = new float[clusters][d];
        for (float[] c : centres) {
            for (int i = 0; i < d; i++) {
                c[i] = (float) gaussian(rng);
            }
        }
        float[][] v = new float[n][d];
        for (int j = 0; j < n; j++) {
            float[] c = centres[rng.nextInt(clusters)];
            for (int i = 0; i < d; i++) {
                v[j][i] = c[i] + 0.8f * (float) gaussian(rng);
            }
            v[j] = TestEmbedders.normalise(v[j]);
        }
        return v;
    }

    static double gaussian(SplittableRandom rng) {
        double u = 1 - rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.nextDouble());
    }

    static double recall(NeighbourSearch.Result approx, NeighbourSearch.Result exact) {
        long hit = 0;
        long total = 0;
        for (int q = 0; q < exact.indices().length; q++) {
            Set<Integer> a = new HashSet<>();
            for (int j : approx.indices()[q]) {
                a.add(j);
            }
            for (int j : exact.indices()[q]) {
                total++;
                if (a.contains(j)) {
                    hit++;
                }
            }
        }
        return (double) hit / total;
    }

    @Test
    void recallAt25AgainstTheExactSearchOnClusteredVectors() {
        float[][] corpus = clustered(6000, 48, 60, 1);
        float[][] queries = new float[300][];
        int[] self = new int[300];
        for (int q = 0; q < 300; q++) {
            self[q] = q * 20;
            queries[q] = corpus[self[q]];
        }
        NeighbourSearch.Result exact = NeighbourSearch.topK(queries, corpus, 25, self, 0.95);
        try (HnswIndex index = HnswIndex.build(corpus, new HnswIndex.Parameters(16, 100, 100, 2500, 42))) {
            NeighbourSearch.Result approx = index.search(queries, 25, self, 0.95);
            assertThat(recall(approx, exact)).isGreaterThanOrEqualTo(0.95);
            assertThat(index.describe()).containsEntry("shards", "3").containsEntry("luceneSimilarity", "DOT_PRODUCT");
            for (int q = 0; q < 300; q++) {
                assertThat(approx.indices()[q]).hasSize(25).doesNotContain(self[q]);
                for (int r = 0; r < 25; r++) {
                    // scored exactly: the same float dot product as the exact search
                    assertThat(approx.similarities()[q][r]).isEqualTo((double) NeighbourSearch.dotFloat(queries[q], corpus[approx.indices()[q][r]]));
                    if (r > 0) {
                        assertThat(approx.similarities()[q][r]).isLessThanOrEqualTo(approx.similarities()[q][r - 1]);
                    }
                }
            }
            // efSearch as low as 1 still returns K (the search asks for K + 1 candidates at least), with lower recall
            NeighbourSearch.Result low = index.search(queries, 25, self, 0.95, 1);
            assertThat(low.indices()[0]).hasSize(25);
        }
    }

    @Test
    void aSmallCorpusIsSearchedCompletelyAndNearDuplicatesAreSkipped() {
        float[][] corpus = clustered(40, 8, 3, 2);
        corpus[1] = corpus[0].clone();
        try (HnswIndex index = HnswIndex.build(corpus, HnswIndex.Parameters.defaults())) {
            NeighbourSearch.Result approx = index.search(new float[][]{corpus[0]}, 100, new int[]{0}, 0.95);
            NeighbourSearch.Result exact = NeighbourSearch.topK(new float[][]{corpus[0]}, corpus, 100, new int[]{0}, 0.95);
            assertThat(approx.indices()[0]).containsExactly(exact.indices()[0]).doesNotContain(0, 1);
            assertThat(index.search(new float[][]{corpus[0]}, 0, null, 0.95).indices()[0]).isEmpty();
        }
    }

    @Test
    void savedIndexLoadsForItsVectorsAndIsRefusedForOthers(@TempDir Path dir) throws IOException {
        float[][] corpus = clustered(500, 16, 5, 3);
        Path file = dir.resolve("q.hnsw");
        NeighbourSearch.Result before;
        try (HnswIndex index = HnswIndex.build(corpus, new HnswIndex.Parameters(8, 50, 40, 200, 7))) {
            before = index.search(corpus, 10, null, 0.99);
            index.save(file);
        }
        try (HnswIndex back = HnswIndex.load(file, corpus)) {
            assertThat(back.parameters()).isEqualTo(new HnswIndex.Parameters(8, 50, 40, 200, 7));
            NeighbourSearch.Result after = back.search(corpus, 10, null, 0.99);
            for (int q = 0; q < corpus.length; q++) {
                assertThat(after.indices()[q]).containsExactly(before.indices()[q]);
            }
        }
        float[][] other = corpus.clone();
        other[3] = corpus[4];
        assertThatThrownBy(() -> HnswIndex.load(file, other)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("was built for other vectors").hasMessageContaining("SHA-256");
        assertThatThrownBy(() -> HnswIndex.load(file, java.util.Arrays.copyOf(corpus, 499)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("was built for 500 vectors, these are 499");
        assertThatThrownBy(() -> HnswIndex.load(file, clustered(500, 12, 5, 3)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dimension 16, these have 12");
        Path junk = dir.resolve("junk.hnsw");
        Files.writeString(junk, "not an index");
        assertThatThrownBy(() -> HnswIndex.load(junk, corpus)).isInstanceOf(IOException.class).hasMessageContaining("not a Keel HNSW index file");
    }

    @Test
    void theSameParametersBuildTheSameGraphAndTheStreamFormRoundTrips() throws IOException {
        float[][] corpus = clustered(800, 16, 8, 4);
        try (HnswIndex a = HnswIndex.build(corpus, new HnswIndex.Parameters(8, 40, 20, 300, 11));
             HnswIndex b = HnswIndex.build(corpus, new HnswIndex.Parameters(8, 40, 20, 300, 11))) {
            ByteArrayOutputStream x = new ByteArrayOutputStream();
            ByteArrayOutputStream y = new ByteArrayOutputStream();
            a.writeTo(x);
            b.writeTo(y);
            try (HnswIndex c = HnswIndex.read(new ByteArrayInputStream(x.toByteArray()), corpus, "bytes")) {
                NeighbourSearch.Result ra = a.search(corpus, 5, null, 1.0);
                NeighbourSearch.Result rb = b.search(corpus, 5, null, 1.0);
                NeighbourSearch.Result rc = c.search(corpus, 5, null, 1.0);
                for (int q = 0; q < corpus.length; q++) {
                    assertThat(rb.indices()[q]).containsExactly(ra.indices()[q]);
                    assertThat(rc.indices()[q]).containsExactly(ra.indices()[q]);
                }
            }
        }
    }

    @Test
    void badArgumentsAndUseAfterCloseAreRefusedByName() {
        assertThatThrownBy(() -> new HnswIndex.Parameters(1, 100, 100, 10, 0)).hasMessage("m must be in [2, 512], was 1");
        assertThatThrownBy(() -> new HnswIndex.Parameters(16, 0, 100, 10, 0)).hasMessageContaining("beamWidth must be in [1, 3200], was 0");
        assertThatThrownBy(() -> new HnswIndex.Parameters(16, 10, 0, 10, 0)).hasMessage("efSearch must be >= 1, was 0");
        assertThatThrownBy(() -> new HnswIndex.Parameters(16, 10, 10, 0, 0)).hasMessage("shardSize must be >= 1, was 0");
        assertThatThrownBy(() -> HnswIndex.build(new float[0][], HnswIndex.Parameters.defaults())).hasMessage("vectors must not be empty");
        assertThatThrownBy(() -> HnswIndex.build(new float[][]{{1, 0}, {1}}, HnswIndex.Parameters.defaults()))
                .hasMessage("vectors[1] must have length 2");
        assertThatThrownBy(() -> HnswIndex.build(new float[][]{{1, Float.NaN}}, HnswIndex.Parameters.defaults()))
                .hasMessage("vectors[0] contains NaN");
        HnswIndex index = HnswIndex.build(new float[][]{{1, 0}, {0, 1}, {0.6f, 0.8f}}, HnswIndex.Parameters.defaults());
        assertThat(index.describe()).containsEntry("luceneSimilarity", "DOT_PRODUCT");
        assertThatThrownBy(() -> index.search(new float[][]{{1, 0, 0}}, 1, null, 0.9)).hasMessage("queries[0] must have length 2");
        assertThatThrownBy(() -> index.search(new float[][]{{1, 0}}, 1, new int[2], 0.9)).hasMessageContaining("selfIndex has 2 entries, queries 1");
        index.close();
        index.close();
        assertThatThrownBy(() -> index.search(new float[][]{{1, 0}}, 1, null, 0.9)).isInstanceOf(IllegalStateException.class)
                .hasMessage("HnswIndex is closed");
        try (HnswIndex raw = HnswIndex.build(new float[][]{{2, 0}, {0, 3}, {1, 1}}, HnswIndex.Parameters.defaults())) {
            assertThat(raw.describe()).containsEntry("luceneSimilarity", "MAXIMUM_INNER_PRODUCT");
            assertThat(raw.search(new float[][]{{1, 0}}, 2, null, 10).indices()[0]).containsExactly(0, 2);
        }
    }

    @Test
    void theScorerUsesTheChosenSearchAndRecordsIt(@TempDir Path dir) {
        TestEmbedders.Hashing e = new TestEmbedders.Hashing(64);
        List<FewlItem> items = new ArrayList<>();
        String[] topics = {"sky", "river", "mountain", "city", "forest", "ocean", "desert", "island"};
        for (int i = 0; i < 80; i++) {
            String t = topics[i % topics.length];
            items.add(FewlItem.of("i" + i, "what is the " + t + " number " + i + " like", "a " + t + " answer " + (i % 3),
                    List.of(Reference.of("A", t + " reference " + (i % 5)), Reference.of("B", "other " + t + " " + (i % 7)))));
        }
        try (FewlScorer exact = Fewl.builder().embedder(e).neighbours(5).neighbourIndex(NeighbourIndex.exact()).build();
             FewlScorer approx = Fewl.builder().embedder(e).neighbours(5)
                     .neighbourIndex(NeighbourIndex.hnswFile(dir.resolve("q.hnsw"), HnswIndex.Parameters.defaults())).build();
             FewlScorer auto = Fewl.builder().embedder(e).neighbours(5).build()) {
            List<FewlScore> a = exact.scoreAll(items);
            List<FewlScore> b = approx.scoreAll(items);
            List<FewlScore> c = auto.scoreAll(items);
            for (int i = 0; i < items.size(); i++) {
                // 80 questions: the graph search visits them all, so the neighbours are the exact ones
                assertThat(b.get(i).total()).isEqualTo(a.get(i).total());
                assertThat(c.get(i).total()).isEqualTo(a.get(i).total());
            }
            assertThat(exact.provenance().config()).containsEntry("neighbourIndex", "exact")
                    .containsEntry("neighbourSearch", "exact over 80 corpus questions");
            assertThat(approx.provenance().config().get("neighbourSearch"))
                    .startsWith("hnsw(m=16,beamWidth=100,efSearch=100,shardSize=250000,seed=42) file ").endsWith(" over 80 corpus questions");
            assertThat(auto.provenance().config()).containsEntry("neighbourIndex",
                    "auto(threshold=100000,hnsw(m=16,beamWidth=100,efSearch=100,shardSize=250000,seed=42))");
            assertThat(Files.exists(dir.resolve("q.hnsw"))).isTrue();
            // the kept file is read back for the same questions ...
            assertThat(approx.scoreAll(items).get(3).total()).isEqualTo(a.get(3).total());
            // ... and refused for other ones
            assertThatThrownBy(() -> approx.scoreAll(items.subList(0, 79))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("was built for 80 vectors, these are 79");
        }
        assertThat(NeighbourIndex.auto().usesIndex(99_999)).isFalse();
        assertThat(NeighbourIndex.auto().usesIndex(100_000)).isTrue();
        assertThat(NeighbourIndex.exact().usesIndex(10_000_000)).isFalse();
        assertThatThrownBy(() -> NeighbourIndex.auto(0, HnswIndex.Parameters.defaults())).hasMessage("threshold must be >= 1, was 0");
    }
}
