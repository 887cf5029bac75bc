package dev.keel.benchmarks;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.keel.core.internal.LmLoss;
import dev.keel.core.lm.CausalLm;
import dev.keel.core.lm.LlamaConfig;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.LmState;
import dev.keel.core.lm.rwkv.RwkvConfig;
import dev.keel.core.lm.rwkv.RwkvModel;
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

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The Transformer ({@code arch=llama}, with its KV cache) against RWKV-4 ({@code arch=rwkv}, with its recurrent
 * state) at keel-tiny's shape and parameter count, random weights, one PyTorch thread: one new token after a
 * context of {@code context} tokens (the context is kept at that length between invocations: the KV cache drops
 * its oldest position), and one training step of 16 x 64 tokens (tokens/s).
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar RwkvBenchmark -rf json
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1",
        "-Dai.djl.pytorch.num_interop_threads=1"})
public class RwkvBenchmark {

    private static final int BATCH = 16;
    private static final int LENGTH = 64;

    /** The architecture. */
    @Param({"llama", "rwkv"})
    public String arch;

    /** Tokens seen before the new one. */
    @Param({"64", "512", "2048"})
    public int context;

    private NDManager root;
    private CausalLm model;
    private NDManager stateManager;
    private LmState state;
    private long[][] batch;

    /** keel-tiny's Llama shape, with room for 4,096 positions. */
    static LlamaConfig llama() {
        return LlamaConfig.builder().vocabSize(3915).hiddenSize(128).intermediateSize(352).numHiddenLayers(4)
                .numAttentionHeads(4).numKeyValueHeads(2).tieWordEmbeddings(true).maxPositionEmbeddings(4096)
                .rmsNormEps(1e-5).build();
    }

    /** RWKV-4 of keel-tiny's width, depth and parameter count. */
    static RwkvConfig rwkv() {
        return RwkvConfig.builder().vocabSize(3915).hiddenSize(128).intermediateSize(396).numHiddenLayers(4)
                .tieWordEmbeddings(true).contextLength(4096).build();
    }

    /** Builds the model and feeds the context. */
    @Setup(Level.Trial)
    public void setUp() {
        root = NDManager.newBaseManager();
        model = arch.equals("rwkv") ? RwkvModel.random(rwkv(), 1, root) : LlamaModel.random(llama(), 1, root);
        SplittableRandom r = new SplittableRandom(7);
        stateManager = model.manager().newSubManager();
        state = model.newState(stateManager);
        for (int fed = 0; fed < context; fed += 256) {
            long[] ids = new long[Math.min(256, context - fed)];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = r.nextInt(model.vocabSize());
            }
            try (NDManager step = stateManager.newSubManager()) {
                model.forward(step.create(new long[][] {ids}), null, state, false);
            }
        }
        batch = new long[BATCH][LENGTH];
        for (long[] row : batch) {
            for (int j = 0; j < LENGTH; j++) {
                row[j] = r.nextInt(model.vocabSize());
            }
        }
    }

    /** Keeps the context at {@link #context} positions. */
    @TearDown(Level.Invocation)
    public void keepLength() {
        if (state.length() > context) {
            state.retain(new long[] {0}, state.length() - context);
        }
    }

    /** Frees everything. */
    @TearDown(Level.Trial)
    public void tearDown() {
        state.close();
        stateManager.close();
        model.close();
        root.close();
    }

    /**
     * One new token with the state (the logits copied to the host, as a sampler needs them).
     *
     * @return the last logit, so that nothing is optimised away
     */
    @Benchmark
    public float nextToken() {
        try (NDManager step = stateManager.newSubManager()) {
            float[] logits = model.forward(step.create(new long[][] {{5}}), null, state, false).toFloatArray();
            return logits[logits.length - 1];
        }
    }

    /**
     * One forward and backward pass over 16 x 64 tokens (all weights trainable); reported per token.
     *
     * @return the loss
     */
    @Benchmark
    @OperationsPerInvocation(BATCH * LENGTH)
    public float trainStepPerToken() {
        model.setBaseTrainable(true);
        try (NDManager sm = model.manager().newSubManager();
             GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray ids = sm.create(batch);
            NDArray loss = LmLoss.mean(model.forward(ids, null, null, true), ids, null);
            gc.backward(loss);
            return loss.getFloat();
        } finally {
            model.setBaseTrainable(false);
        }
    }
}
