package dev.keel.benchmarks;

import ai.djl.ndarray.NDManager;
import dev.keel.core.chat.GenerationOptions;
import dev.keel.core.lm.LlamaConfig;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.generate.Generator;
import dev.keel.core.lm.search.Evaluator;
import dev.keel.core.lm.search.LmStepModel;
import dev.keel.core.lm.search.Mcts;
import dev.keel.core.lm.search.SearchResult;
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

import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Monte Carlo tree search's speed against plain greedy decoding on the same model (random weights,
 * CPU): {@code greedy} (tokens/s of {@link Generator} with the KV cache, the peer in the same run),
 * {@code mctsExpansions} (expanded tokens/s: every simulation expands one node by one forward step from
 * a copy of its parent's KV cache, valued by the model's likelihood) and {@code mctsRollouts}
 * (simulations/s with a greedy rollout of up to {@value #ROLLOUT_DEPTH} tokens each). The goal of the
 * design is expansion at ≥ 0.7× greedy's tokens/s. {@link #main} prints the memory per cached node.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar SearchBenchmark -f 1 -wi 1 -i 2 -rf json -rff search.json
 * java -cp benchmarks/target/benchmarks.jar dev.keel.benchmarks.SearchBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1, time = 5)
@Measurement(iterations = 2, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g", "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1",
    "-Dai.djl.pytorch.num_interop_threads=1"})
public class SearchBenchmark {

    static final int PROMPT = 16;
    static final int TOKENS = 32;
    static final int SIMULATIONS = 16;
    static final int ROLLOUT_DEPTH = 8;

    /** The model shape. */
    @Param({"keel-tiny", "smollm2-135m"})
    public String shape;

    private NDManager root;
    private LlamaModel model;
    private LmStepModel steps;
    private long[] prompt;

    static LlamaConfig config(String shape) {
        return shape.equals("keel-tiny") ? LmTinyBenchmark.keelTiny() : LmBenchmark.config(shape);
    }

    /** Builds the random model and the prompt. */
    @Setup(Level.Trial)
    public void setUp() {
        root = NDManager.newBaseManager();
        LlamaConfig c = config(shape);
        model = LlamaModel.random(c, 1, root);
        steps = new LmStepModel(model);
        SplittableRandom r = new SplittableRandom(7);
        prompt = new long[PROMPT];
        for (int i = 0; i < PROMPT; i++) {
            prompt[i] = 6 + r.nextInt(c.vocabSize() - 6);
        }
    }

    /** Frees the model. */
    @TearDown(Level.Trial)
    public void tearDown() {
        steps.close();
        model.close();
        root.close();
    }

    /**
     * Greedy decoding of {@value #TOKENS} tokens with the KV cache.
     *
     * @return the tokens generated
     */
    @Benchmark
    @OperationsPerInvocation(TOKENS)
    public int greedy() {
        return new Generator(model).generate(prompt, GenerationOptions.builder().temperature(0).maxTokens(TOKENS).build(),
                List.of(), true, null).tokens().length;
    }

    /**
     * A search of {@value #TOKENS} expansions (forward token-steps), valued by the model's likelihood.
     *
     * @return the forward steps spent
     */
    @Benchmark
    @OperationsPerInvocation(TOKENS)
    public long mctsExpansions() {
        SearchResult r = Mcts.builder(steps).evaluator(Evaluator.logLikelihood()).topK(8).maxDepth(TOKENS)
                .tokenBudget(TOKENS).simulations(1000).build().search(prompt);
        return r.forwardSteps();
    }

    /**
     * {@value #SIMULATIONS} simulations, each with a greedy rollout to depth {@value #ROLLOUT_DEPTH}.
     *
     * @return the forward steps spent
     */
    @Benchmark
    @OperationsPerInvocation(SIMULATIONS)
    public long mctsRollouts() {
        SearchResult r = Mcts.builder(steps).evaluator(Evaluator.rollout(t -> t.length() % 3 / 2.0, 0)).topK(8)
                .maxDepth(ROLLOUT_DEPTH).simulations(SIMULATIONS).build().search(prompt);
        return r.forwardSteps();
    }

    /**
     * Prints the memory per cached node: the state bytes of a search of {@value #TOKENS} expansions
     * divided by its cached nodes, and the formula's value at the mean prefix length.
     *
     * @param args shapes (default: keel-tiny and smollm2-135m)
     */
    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", "true");
        for (String shape : args.length > 0 ? args : new String[] {"keel-tiny", "smollm2-135m"}) {
            SearchBenchmark b = new SearchBenchmark();
            b.shape = shape;
            b.setUp();
            try {
                SearchResult r = Mcts.builder(b.steps).evaluator(Evaluator.logLikelihood()).topK(8).maxDepth(TOKENS)
                        .tokenBudget(TOKENS).simulations(1000).build().search(b.prompt);
                LlamaConfig c = config(shape);
                long perPosition = 2L * c.numHiddenLayers() * c.numKeyValueHeads() * c.headDim() * 4;
                System.out.printf(Locale.ROOT, "%s: %d cached nodes, peak %d bytes, %.0f bytes per node; KV %d bytes per "
                                + "position + %d bytes of log-probabilities per node%n", shape, r.cachedNodes(),
                        r.peakStateBytes(), (double) r.peakStateBytes() / r.cachedNodes(), perPosition,
                        4L * c.vocabSize());
            } finally {
                b.tearDown();
            }
        }
    }
}
