package dev.keel.benchmarks;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.keel.core.lm.LlamaConfig;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.lora.LoraAdapter;
import dev.keel.core.lm.lora.LoraConfig;
import dev.keel.core.lm.train.AdamW;
import dev.keel.core.internal.Gradients;
import dev.keel.core.lm.train.TrainingExample;
import dev.keel.sam.BaseOptimizer;
import dev.keel.sam.LmObjective;
import dev.keel.sam.Sam;
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
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Milliseconds per LoRA training step on a keel-tiny-sized decoder (hidden 128, 4 layers, 4 heads /
 * 2 key-value heads, MLP 352, tied 3,915-word vocabulary: keel-tiny's config.json; LoRA r 8 on q_proj and v_proj; a batch of
 * 16 sequences of 32 tokens) for the base optimizer (AdamW) and for SAM, ASAM and LookSAM (k = 5)
 * around it, all in the same run; divide by {@code optimizer=adamw} for the cost ratios. SAM's floor
 * is 2x (two gradient passes), LookSAM's {@code 1 + 1/k}.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar SamBenchmark -rf json -rff sam.json
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
@Fork(1)
public class SamBenchmark {

    @Param({"adamw", "sam", "asam", "looksam"})
    public String optimizer;

    private NDManager root;
    private LlamaModel model;
    private LoraAdapter lora;
    private LmObjective objective;
    private BaseOptimizer base;
    private Sam sam;

    /** keel-tiny's shape (its committed config.json: vocabulary 3,915). */
    static LlamaConfig keelTinyLike() {
        return LlamaConfig.builder().vocabSize(3915).hiddenSize(128).intermediateSize(352).numHiddenLayers(4)
                .numAttentionHeads(4).numKeyValueHeads(2).tieWordEmbeddings(true).maxPositionEmbeddings(256).build();
    }

    @Setup(Level.Trial)
    public void setUp() {
        root = NDManager.newBaseManager(Device.cpu());
        model = LlamaModel.random(keelTinyLike(), 1, root);
        lora = LoraAdapter.create(model, LoraConfig.builder().rank(8).alpha(16).targetModules("q_proj", "v_proj").build(), 1);
        SplittableRandom r = new SplittableRandom(2);
        List<TrainingExample> batch = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            long[] ids = new long[32];
            for (int j = 0; j < ids.length; j++) {
                ids[j] = 6 + r.nextInt(2000);
            }
            batch.add(TrainingExample.of(ids));
        }
        objective = LmObjective.of(model, lora.parameters(), batch);
        base = BaseOptimizer.adamW(new AdamW(lora.parameters(), 0.9, 0.999, 1e-8, 0, model.manager()));
        Sam.Builder b = Sam.builder().rho(0.05).parameters(lora.parameters()).base(base);
        switch (optimizer) {
            case "sam" -> sam = b.build();
            case "asam" -> sam = b.asam(0.01).build();
            case "looksam" -> sam = b.lookSam(5, 0.7).build();
            default -> sam = null;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (sam != null) {
            sam.close();
        } else {
            base.close();
        }
        lora.close();
        model.close();
        root.close();
    }

    @Benchmark
    public float step() {
        if (sam != null) {
            return sam.step(objective, 1e-4);
        }
        float loss = objective.run();
        base.step(1e-4);
        Gradients.zero(lora.parameters().values());
        return loss;
    }
}
