package dev.keel.core.lm;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import dev.keel.core.internal.CompactWeights;
import dev.keel.core.internal.LmLoss;
import dev.keel.core.lm.lora.LoraAdapter;
import dev.keel.core.lm.lora.LoraConfig;
import dev.keel.core.lm.safetensors.DType;
import dev.keel.core.lm.safetensors.SafeTensors;
import dev.keel.core.lm.safetensors.SafeTensorsFile;
import dev.keel.core.lm.safetensors.TensorSource;
import dev.keel.core.testkit.TinyFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** 16-bit checkpoints kept 16-bit on the device ({@link LoadOptions}), against the same checkpoint expanded to F32. */
class CompactWeightsTest {

    private static final LoadOptions F32 = LoadOptions.builder().weights(LoadOptions.Weights.F32).build();

    private static float[] logits(LlamaModel model, Path dir) {
        try (NDManager step = model.manager().newSubManager()) {
            return model.forward(TinyFixtures.inputIds(dir, step)).toFloatArray();
        }
    }

    @Test
    void bf16CheckpointStaysSixteenBitAndGivesTheF32Logits() throws IOException {
        Path dir = TinyFixtures.vectorsDir("qwen3-a");
        try (LlamaModel compact = LlamaModel.load(dir, Device.cpu());
             LlamaModel expanded = LlamaModel.load(dir, Device.cpu(), F32)) {
            NDArray q = compact.parameters().get("model.layers.0.self_attn.q_proj.weight").getArray();
            assertThat(q.getDataType()).isEqualTo(DataType.FLOAT16);
            assertThat(compact.parameters().get("model.norm.weight").getArray().getDataType()).isEqualTo(DataType.FLOAT32);
            assertThat(expanded.parameters().get("model.layers.0.self_attn.q_proj.weight").getArray().getDataType())
                    .isEqualTo(DataType.FLOAT32);
            // the matrices take 2 bytes a weight, only the norms stay at 4
            assertThat(compact.weightBytes()).isLessThan(expanded.weightBytes() * 52 / 100);
            float scale = compact.weightScale("model.layers.0.self_attn.q_proj.weight");
            assertThat(Math.getExponent(scale)).isEqualTo((int) Math.round(Math.log(scale) / Math.log(2)));
            // the stored values times the scale are the checkpoint's values exactly
            float[] stored;
            try (NDArray f = q.toType(DataType.FLOAT32, true)) {
                stored = f.toFloatArray();
            }
            float[] truth;
            try (SafeTensorsFile f = SafeTensorsFile.open(dir.resolve("model.safetensors"))) {
                truth = f.readFloats("model.layers.0.self_attn.q_proj.weight");
            }
            for (int i = 0; i < truth.length; i++) {
                assertThat(stored[i] * scale).isEqualTo(truth[i]);
            }
            double d = TinyFixtures.maxAbsDiff(logits(compact, dir), logits(expanded, dir));
            assertThat(d).isLessThan(1e-5);
        }
    }

    @Test
    void halfPrecisionComputeIsCloseAndReturnsF32Logits() throws IOException {
        Path dir = TinyFixtures.vectorsDir("llama3-a");
        LoadOptions half = LoadOptions.builder().computeType(DataType.FLOAT16).build();
        try (LlamaModel h = LlamaModel.load(dir, Device.cpu(), half);
             LlamaModel f = LlamaModel.load(dir, Device.cpu())) {
            assertThat(h.computeType()).isEqualTo(DataType.FLOAT16);
            try (NDManager step = h.manager().newSubManager()) {
                NDArray logits = h.forward(TinyFixtures.inputIds(dir, step));
                assertThat(logits.getDataType()).isEqualTo(DataType.FLOAT32);
                double d = TinyFixtures.maxAbsDiff(logits.toFloatArray(), logits(f, dir));
                System.out.println("llama3-a: max |logits(f16 compute) - logits(f32)| = " + d);
                assertThat(d).isGreaterThan(0).isLessThan(2e-2);
            }
        }
    }

    @Test
    void aMatrixThatF16CannotHoldExactlyStaysF32(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("t.safetensors");
        // 1e-30 beside 1.0: no power of two brings both into float16 exactly; 2^-20 beside 1.0 fits once scaled
        SafeTensors.writer()
                .add("wide", DType.BF16, new long[] {2, 2}, new float[] {1f, 1e-30f, -0.5f, 0.25f})
                .add("scaled", DType.BF16, new long[] {2, 2}, new float[] {1f, 0x1p-20f, -0.5f, 3f})
                .write(file);
        try (TensorSource src = SafeTensorsFile.open(file); NDManager m = NDManager.newBaseManager(Device.cpu())) {
            assertThat(CompactWeights.load(src, "wide", m, true)).isNull();
            CompactWeights.Stored s = CompactWeights.load(src, "scaled", m, true);
            assertThat(s).isNotNull();
            assertThat(s.array().getDataType()).isEqualTo(DataType.FLOAT16);
            assertThat(s.scale()).isEqualTo(0x1p-14f);
            float[] back = s.array().toType(DataType.FLOAT32, false).mul(s.scale()).toFloatArray();
            assertThat(back).containsExactly(1f, 0x1p-20f, -0.5f, 3f);
        }
    }

    @Test
    void savedFromTheCompactModelTheWeightsComeBackBitForBit(@TempDir Path tmp) throws IOException {
        Path dir = TinyFixtures.vectorsDir("qwen2-a");
        try (LlamaModel compact = LlamaModel.load(dir, Device.cpu())) {
            compact.save(tmp.resolve("bf16"), DType.BF16, Long.MAX_VALUE);
            compact.save(tmp.resolve("f32"));
        }
        try (SafeTensorsFile orig = SafeTensorsFile.open(dir.resolve("model.safetensors"));
             SafeTensorsFile bf16 = SafeTensorsFile.open(tmp.resolve("bf16/model.safetensors"));
             SafeTensorsFile f32 = SafeTensorsFile.open(tmp.resolve("f32/model.safetensors"))) {
            for (String name : orig.names()) {
                if (name.equals("lm_head.weight")) {
                    continue;
                }
                assertThat(bf16.readFloats(name)).as(name).containsExactly(orig.readFloats(name));
                assertThat(f32.readFloats(name)).as(name).containsExactly(orig.readFloats(name));
                assertThat(f32.info(name).dtype()).isEqualTo(DType.F32);
            }
        }
    }

    @Test
    void loraTrainsOnACompactBaseWhichStaysFrozenAndRefusesFullTrainingAndMerging() throws IOException {
        Path dir = TinyFixtures.vectorsDir("qwen3-a");
        try (LlamaModel model = LlamaModel.load(dir, Device.cpu())) {
            assertThatThrownBy(() -> model.setBaseTrainable(true)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("is kept as float16").hasMessageContaining("LoadOptions.Weights.F32");
            float[] baseBefore = model.parameters().get("model.layers.1.mlp.down_proj.weight").getArray()
                    .toType(DataType.FLOAT32, false).toFloatArray();
            try (LoraAdapter lora = LoraAdapter.create(model, LoraConfig.builder().rank(4).alpha(8)
                    .targetModules("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
                    .build(), 3)) {
                for (Parameter p : lora.parameters().values()) {
                    assertThat(p.getArray().getDataType()).isEqualTo(DataType.FLOAT32);
                }
                float first = Float.NaN;
                float last = Float.NaN;
                for (int step = 0; step < 5; step++) {
                    try (NDManager sm = model.manager().newSubManager()) {
                        NDArray ids = TinyFixtures.inputIds(dir, sm);
                        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                            NDArray loss = LmLoss.mean(model.forward(ids, null, null, true), ids, null);
                            gc.backward(loss);
                            last = loss.getFloat();
                        }
                    }
                    if (step == 0) {
                        first = last;
                    }
                    for (Parameter p : lora.parameters().values()) {
                        NDArray g = p.getArray().getGradient();
                        p.getArray().subi(g.mul(0.05f));
                        g.subi(g);
                    }
                }
                assertThat(last).isLessThan(first);
                assertThatThrownBy(lora::merge).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("kept as float16");
            }
            float[] baseAfter = model.parameters().get("model.layers.1.mlp.down_proj.weight").getArray()
                    .toType(DataType.FLOAT32, false).toFloatArray();
            assertThat(baseAfter).containsExactly(baseBefore);
        }
    }

    @Test
    void optionsRefuseBfloat16ComputeNamingIt() {
        assertThatThrownBy(() -> LoadOptions.builder().computeType(DataType.BFLOAT16))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("computeType must be float32 or float16, was bfloat16");
        assertThatThrownBy(() -> LoadOptions.builder().weights(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("weights");
        assertThat(LoadOptions.defaults().weights()).isEqualTo(LoadOptions.Weights.AS_STORED);
        assertThat(LoadOptions.defaults().computeType()).isEqualTo(DataType.FLOAT32);
    }

    @Test
    void anF32CheckpointStaysF32() throws IOException {
        Path dir = TinyFixtures.vectorsDir("mistral-a");
        try (LlamaModel model = LlamaModel.load(dir, Device.cpu())) {
            for (Map.Entry<String, Parameter> e : model.parameters().entrySet()) {
                assertThat(e.getValue().getArray().getDataType()).as(e.getKey()).isEqualTo(DataType.FLOAT32);
                assertThat(model.weightScale(e.getKey())).isEqualTo(1f);
            }
        }
    }
}
