package dev.keel.benchmarks;

import dev.keel.core.embed.OnnxEmbedder;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Sentences per second embedding 1,000 TruthfulQA answers with all-MiniLM-L6-v2: Keel's
 * {@link OnnxEmbedder} against langchain4j's {@code AllMiniLmL6V2EmbeddingModel} (the peer), in
 * the same run, handing each {@code embedAll} call {@code batch} texts. {@code keel-unfused} is Keel
 * on the graph as exported, without {@link OnnxEmbedder.Builder#fuse(boolean) fusion}. On a machine
 * whose speed drifts between forks, {@link EmbeddingRatios} gives steadier ratios.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar EmbeddingBenchmark -rf json -rff embedding.json
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 10)
@Measurement(iterations = 3, time = 10)
@Fork(1)
public class EmbeddingBenchmark {

    static final int TEXTS = 1000;

    /** {@code keel} as shipped (fused graph), {@code keel-unfused} with the exported graph, or the peer. */
    @Param({"keel", "keel-unfused", "langchain4j"})
    public String impl;

    @Param({"1", "32"})
    public int batch;

    private List<List<String>> chunks;
    private List<List<TextSegment>> segmentChunks;
    private OnnxEmbedder keel;
    private AllMiniLmL6V2EmbeddingModel peer;

    @Setup(Level.Trial)
    public void setUp() {
        List<String> answers = BenchmarkData.answers(TEXTS);
        chunks = new ArrayList<>();
        segmentChunks = new ArrayList<>();
        for (int i = 0; i < answers.size(); i += batch) {
            List<String> c = answers.subList(i, Math.min(answers.size(), i + batch));
            chunks.add(c);
            segmentChunks.add(c.stream().map(TextSegment::from).toList());
        }
        if (impl.startsWith("keel")) {
            keel = OnnxEmbedder.allMiniLmL6V2(OnnxEmbedder.builder().batchSize(Math.max(1, batch))
                    .fuse(!impl.equals("keel-unfused")));
        } else {
            peer = new AllMiniLmL6V2EmbeddingModel();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (keel != null) {
            keel.close();
        }
    }

    @Benchmark
    @OperationsPerInvocation(TEXTS)
    public void embed(Blackhole bh) {
        if (keel != null) {
            for (List<String> c : chunks) {
                bh.consume(keel.embedAll(c));
            }
        } else {
            for (List<TextSegment> c : segmentChunks) {
                bh.consume(peer.embedAll(c).content());
            }
        }
    }
}
