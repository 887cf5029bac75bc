package dev.keel.core.lm.rwkv;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.LmLoss;
import dev.keel.core.lm.CausalLm;
import dev.keel.core.lm.KvCache;
import dev.keel.core.lm.LmState;
import dev.keel.core.lm.safetensors.DType;
import dev.keel.core.lm.safetensors.SafeTensors;
import dev.keel.core.lm.safetensors.TensorSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RwkvModelTest {

    @TempDir
    Path tmp;

    static RwkvConfig small() {
        return RwkvConfig.builder().vocabSize(30).hiddenSize(16).attentionHiddenSize(12).intermediateSize(40)
                .numHiddenLayers(3).eosTokenId(1).build();
    }

    /** Copies a committed reference directory (written by core/src/test/python/rwkv_reference.py) out of the classpath. */
    private Path reference(String variant) throws IOException {
        Path d = tmp.resolve(variant);
        Files.createDirectories(d);
        for (String f : new String[] {"config.json", "model.safetensors", "logits.json"}) {
            try (InputStream in = RwkvModelTest.class.getResourceAsStream("/rwkv/" + variant + "/" + f)) {
                assertThat(in).as(f).isNotNull();
                Files.copy(in, d.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return d;
    }

    private static long[][] ids(JsonNode node) {
        long[][] out = new long[node.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new long[node.get(i).size()];
            for (int j = 0; j < out[i].length; j++) {
                out[i][j] = node.get(i).get(j).asLong();
            }
        }
        return out;
    }

    private static double maxDiff(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @ParameterizedTest
    @ValueSource(strings = {"untied-rescale", "tied-wide-keys"})
    void logitsMatchTheIndependentPythonReference(String variant) throws IOException {
        Path dir = reference(variant);
        JsonNode ref = Json.readFile(dir.resolve("logits.json"));
        JsonNode values = ref.get("logits");
        float[] expected = new float[values.size()];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = (float) values.get(i).asDouble();
        }
        try (RwkvModel model = RwkvModel.load(dir, Device.cpu());
             NDManager step = model.manager().newSubManager()) {
            NDArray ids = step.create(ids(ref.get("ids")));
            NDArray parallel = model.forward(ids, null, null, false);
            double dp = maxDiff(parallel.toFloatArray(), expected);
            // the recurrent form, one token at a time
            long[][] raw = ids(ref.get("ids"));
            float[] stepwise;
            try (LmState state = model.newState(step)) {
                NDList outs = new NDList();
                for (int t = 0; t < raw[0].length; t++) {
                    long[][] one = new long[raw.length][1];
                    for (int b = 0; b < raw.length; b++) {
                        one[b][0] = raw[b][t];
                    }
                    outs.add(model.forward(step.create(one), null, state, false));
                }
                stepwise = ai.djl.ndarray.NDArrays.concat(outs, 1).toFloatArray();
            }
            double ds = maxDiff(stepwise, expected);
            System.out.println(variant + ": max |Keel - reference| parallel " + dp + ", recurrent " + ds);
            assertThat(dp).isLessThan(1e-4);
            assertThat(ds).isLessThan(1e-4);
        }
    }

    @Test
    void parallelAndRecurrentFormsAgreeAcrossChunksAndStates() {
        try (NDManager root = NDManager.newBaseManager(Device.cpu());
             RwkvModel model = RwkvModel.random(small(), 7, root);
             NDManager step = model.manager().newSubManager()) {
            int t = 2 * RwkvModel.CHUNK + 5;
            long[][] raw = new long[2][t];
            java.util.SplittableRandom r = new java.util.SplittableRandom(3);
            for (long[] row : raw) {
                for (int i = 0; i < t; i++) {
                    row[i] = r.nextInt(30);
                }
            }
            float[] all = model.forward(step.create(raw), null, null, false).toFloatArray();
            // a prompt of 9 in the parallel form with a state, then the rest one token at a time
            NDList outs = new NDList();
            try (LmState state = model.newState(step)) {
                NDArray prompt = step.create(raw).get(new NDIndex(":, :9"));
                outs.add(model.forward(prompt, null, state, false));
                for (int i = 9; i < t; i++) {
                    outs.add(model.forward(step.create(raw).get(new NDIndex(":, " + i + ":" + (i + 1))), null, state,
                            false));
                }
                assertThat(state.length()).isEqualTo(t);
                assertThat(state.bytes()).isEqualTo(2 * small().stateBytesPerSequence());
            }
            double d1 = maxDiff(ai.djl.ndarray.NDArrays.concat(outs, 1).toFloatArray(), all);
            // two parallel calls of 20 and 17 through the state (chunks that do not start at 0)
            NDList halves = new NDList();
            try (LmState state = model.newState(step)) {
                halves.add(model.forward(step.create(raw).get(new NDIndex(":, :20")), null, state, false));
                halves.add(model.forward(step.create(raw).get(new NDIndex(":, 20:")), null, state, false));
            }
            double d2 = maxDiff(ai.djl.ndarray.NDArrays.concat(halves, 1).toFloatArray(), all);
            System.out.println("parallel vs recurrent: " + d1 + ", parallel vs two parallel calls: " + d2);
            assertThat(d1).isLessThan(1e-4);
            assertThat(d2).isLessThan(1e-4);
        }
    }

    @Test
    void leftPaddingGivesTheUnpaddedLogits() {
        try (NDManager root = NDManager.newBaseManager(Device.cpu());
             RwkvModel model = RwkvModel.random(small(), 8, root);
             NDManager step = model.manager().newSubManager()) {
            long[] seq = {4, 9, 2, 7, 7, 3};
            float[] alone = model.forward(step.create(new long[][] {seq}), null, null, false).toFloatArray();
            long[][] padded = {{0, 0, 0, 4, 9, 2, 7, 7, 3}, {5, 6, 7, 8, 9, 10, 11, 12, 13}};
            float[][] mask = {{0, 0, 0, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 1, 1, 1}};
            try (LmState state = model.newState(step)) {
                NDArray out = model.forward(step.create(padded), step.create(mask), state, false);
                float[] row = out.get(new NDIndex("0:1, 3:, :")).toFloatArray();
                assertThat(maxDiff(row, alone)).isLessThan(1e-5);
                // the next step continues the unpadded sequence
                float[] next = model.forward(step.create(new long[][] {{1}, {1}}), null, state, false)
                        .get(new NDIndex("0:1")).toFloatArray();
                float[] ref = model.forward(step.create(new long[][] {{4, 9, 2, 7, 7, 3, 1}}), null, null, false)
                        .get(new NDIndex(":, 6:")).toFloatArray();
                assertThat(maxDiff(next, ref)).isLessThan(1e-5);
                // a finished row leaves the batch
                state.retain(new long[] {1}, 3);
                assertThat(((RwkvState) state).batchSize()).isEqualTo(1);
                assertThat(state.length()).isEqualTo(7);
            }
        }
    }

    @Test
    void saveThenLoadIsBitIdentical() throws IOException {
        for (boolean tied : new boolean[] {false, true}) {
            RwkvConfig c = RwkvConfig.builder().vocabSize(30).hiddenSize(16).intermediateSize(24).numHiddenLayers(2)
                    .tieWordEmbeddings(tied).rescaleEvery(1).build();
            Path dir = tmp.resolve("saved-" + tied);
            try (NDManager root = NDManager.newBaseManager(Device.cpu());
                 RwkvModel model = RwkvModel.random(c, 11, root)) {
                model.save(dir);
                try (RwkvModel back = RwkvModel.load(dir, Device.cpu());
                     NDManager s1 = model.manager().newSubManager();
                     NDManager s2 = back.manager().newSubManager()) {
                    assertThat(back.config()).isEqualTo(c);
                    assertThat(back.parameters().keySet()).containsExactlyElementsOf(model.parameters().keySet());
                    for (Map.Entry<String, Parameter> e : model.parameters().entrySet()) {
                        assertThat(back.parameters().get(e.getKey()).getArray().contentEquals(e.getValue().getArray()))
                                .as(e.getKey()).isTrue();
                    }
                    long[][] ids = {{1, 2, 3, 4, 5}};
                    assertThat(back.forward(s2.create(ids)).toFloatArray())
                            .containsExactly(model.forward(s1.create(ids)).toFloatArray());
                }
            }
        }
        assertThat(CausalLm.isRwkv(tmp.resolve("saved-true"))).isTrue();
        try (CausalLm any = CausalLm.load(tmp.resolve("saved-true"), Device.cpu())) {
            assertThat(any).isInstanceOf(RwkvModel.class);
        }
    }

    @Test
    void trainingFormHasGradientsForEveryWeight() {
        try (NDManager root = NDManager.newBaseManager(Device.cpu());
             RwkvModel model = RwkvModel.random(small(), 5, root)) {
            model.setBaseTrainable(true);
            try (NDManager step = model.manager().newSubManager();
                 GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray ids = step.create(new long[][] {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}});
                NDArray logits = model.forward(ids, null, null, true);
                NDArray loss = LmLoss.mean(logits, ids, null);
                gc.backward(loss);
                for (Map.Entry<String, Parameter> e : model.parameters().entrySet()) {
                    NDArray g = e.getValue().getArray().getGradient();
                    float norm = g.abs().sum().getFloat();
                    assertThat(Float.isFinite(norm)).as(e.getKey()).isTrue();
                    assertThat(norm).as(e.getKey()).isGreaterThan(0f);
                }
            }
            model.setBaseTrainable(false);
        }
    }

    @Test
    void trainingGradientsMatchFiniteDifferences() throws IOException {
        // d loss / d (time_decay, time_first, time_mix_key) through the chunked scan (37 positions, 3 chunks),
        // against central differences, on the reference checkpoint (weights large enough to matter)
        try (RwkvModel model = RwkvModel.load(reference("untied-rescale"), Device.cpu())) {
            long[][] raw = new long[1][37];
            for (int i = 0; i < 37; i++) {
                raw[0][i] = (i * 7 + 3) % 50;
            }
            String[] names = {"rwkv.blocks.0.attention.time_decay", "rwkv.blocks.1.attention.time_first",
                    "rwkv.blocks.2.attention.time_mix_key"};
            int at = 5;
            model.setBaseTrainable(true);
            float[] analytic = new float[names.length];
            try (NDManager step = model.manager().newSubManager();
                 GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray ids = step.create(raw);
                gc.backward(LmLoss.mean(model.forward(ids, null, null, true), ids, null));
                for (int n = 0; n < names.length; n++) {
                    analytic[n] = model.parameters().get(names[n]).getArray().getGradient().toFloatArray()[at];
                }
            }
            model.setBaseTrainable(false);
            for (int n = 0; n < names.length; n++) {
                Parameter p = model.parameters().get(names[n]);
                float h = 1e-2f;
                float[] v = p.getArray().toFloatArray();
                double[] losses = new double[2];
                for (int s = 0; s < 2; s++) {
                    float[] w = v.clone();
                    w[at] += s == 0 ? h : -h;
                    p.getArray().set(w);
                    try (NDManager step = model.manager().newSubManager()) {
                        NDArray ids = step.create(raw);
                        losses[s] = LmLoss.mean(model.forward(ids, null, null, true), ids, null).getFloat();
                    }
                }
                p.getArray().set(v);
                double numeric = (losses[0] - losses[1]) / (2 * h);
                System.out.println("d loss / d " + names[n] + "[" + at + "]: autograd " + analytic[n]
                        + ", finite difference " + numeric);
                assertThat(Math.abs(numeric)).as(names[n]).isGreaterThan(1e-3);
                assertThat(Math.abs(analytic[n] - numeric)).as(names[n]).isLessThan(0.03 * Math.abs(numeric) + 2e-4);
            }
        }
    }

    @Test
    void configRefusesUnknownFieldsAndWrongTypes() {
        ObjectNode o = small().toJson();
        assertThat(RwkvConfig.fromJson(o)).isEqualTo(small());
        ObjectNode extra = o.deepCopy();
        extra.put("num_attention_heads", 4);
        assertThatThrownBy(() -> RwkvConfig.fromJson(extra)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("num_attention_heads (4)");
        ObjectNode type = o.deepCopy();
        type.put("model_type", "llama");
        assertThatThrownBy(() -> RwkvConfig.fromJson(type)).hasMessageContaining("model_type must be \"rwkv\", was \"llama\"");
        ObjectNode neg = o.deepCopy();
        neg.put("rescale_every", -1);
        assertThatThrownBy(() -> RwkvConfig.fromJson(neg)).hasMessageContaining("rescale_every");
        ObjectNode str = o.deepCopy();
        str.put("hidden_size", "16");
        assertThatThrownBy(() -> RwkvConfig.fromJson(str)).hasMessageContaining("hidden_size must be an integer").hasMessageContaining("was \"16\"");
        ObjectNode infinite = o.deepCopy();
        infinite.set("layer_norm_epsilon", new com.fasterxml.jackson.databind.node.DoubleNode(Double.POSITIVE_INFINITY));
        assertThatThrownBy(() -> RwkvConfig.fromJson(infinite)).hasMessageContaining("layer_norm_epsilon must be a finite number");
        ObjectNode huge = o.deepCopy();
        huge.put("num_hidden_layers", 4294967301L);
        assertThatThrownBy(() -> RwkvConfig.fromJson(huge)).hasMessageContaining("num_hidden_layers must be an integer")
                .hasMessageContaining("4294967301");
        ObjectNode missing = o.deepCopy();
        missing.remove("num_hidden_layers");
        assertThatThrownBy(() -> RwkvConfig.fromJson(missing)).hasMessageContaining("num_hidden_layers is missing");
        ObjectNode defaults = missing.deepCopy();
        defaults.put("num_hidden_layers", 2);
        defaults.remove("attention_hidden_size");
        defaults.remove("intermediate_size");
        defaults.remove("rescale_every");
        RwkvConfig d = RwkvConfig.fromJson(defaults);
        assertThat(d.attentionHiddenSize()).isEqualTo(16);
        assertThat(d.intermediateSize()).isEqualTo(64);
        assertThat(d.rescaleEvery()).isEqualTo(6);   // transformers' default
        assertThatThrownBy(() -> RwkvConfig.builder().hiddenSize(4).build()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("vocabSize is required");
    }

    @Test
    void loadIsExactOrRefused() throws IOException {
        Path dir = tmp.resolve("m");
        try (NDManager root = NDManager.newBaseManager(Device.cpu());
             RwkvModel model = RwkvModel.random(small(), 1, root)) {
            model.save(dir);
            Map<String, NDArray> all = new LinkedHashMap<>();
            model.parameters().forEach((k, v) -> all.put(k, v.getArray()));
            // an extra tensor
            Map<String, NDArray> extra = new LinkedHashMap<>(all);
            extra.put("rwkv.blocks.3.ln1.weight", all.get("rwkv.ln_out.weight"));
            SafeTensors.write(dir.resolve("model.safetensors"), extra, DType.F32);
            assertThatThrownBy(() -> RwkvModel.load(dir, Device.cpu())).isInstanceOf(IOException.class)
                    .hasMessageContaining("[rwkv.blocks.3.ln1.weight] would be left unused");
            // a missing one
            Map<String, NDArray> less = new LinkedHashMap<>(all);
            less.remove("rwkv.blocks.1.attention.time_first");
            SafeTensors.write(dir.resolve("model.safetensors"), less, DType.F32);
            assertThatThrownBy(() -> RwkvModel.load(dir, Device.cpu())).isInstanceOf(IOException.class)
                    .hasMessageContaining("no tensor [rwkv.blocks.1.attention.time_first [12]]");
            // a misshapen one
            Map<String, NDArray> bad = new LinkedHashMap<>(all);
            bad.put("rwkv.blocks.0.attention.key.weight", all.get("rwkv.blocks.0.feed_forward.receptance.weight"));
            SafeTensors.write(dir.resolve("model.safetensors"), bad, DType.F32);
            assertThatThrownBy(() -> RwkvModel.load(dir, Device.cpu())).isInstanceOf(IOException.class)
                    .hasMessageContaining("\"rwkv.blocks.0.attention.key.weight\" has shape [16, 16], expected [12, 16]");
            // a stored head of a tied model must equal the embedding
            try (TensorSource unused = SafeTensors.open(dir.resolve("model.safetensors"))) {
                assertThat(unused.names()).isNotEmpty();
            }
        }
    }

    @Test
    void inputsAndStatesAreChecked() {
        try (NDManager root = NDManager.newBaseManager(Device.cpu());
             RwkvModel model = RwkvModel.random(small(), 1, root);
             NDManager step = model.manager().newSubManager()) {
            assertThatThrownBy(() -> model.forward(step.create(new long[][] {{30}})))
                    .hasMessageContaining("token id 30 is outside the vocabulary [0, 30)");
            assertThatThrownBy(() -> model.forward(step.create(new long[] {1, 2})))
                    .hasMessageContaining("inputIds must be [batch, length], was (2)");
            try (KvCache cache = new KvCache(step, 3)) {
                assertThatThrownBy(() -> model.forward(step.create(new long[][] {{1}}), null, cache, false))
                        .hasMessageContaining("state must be an RwkvState");
            }
            try (LmState s = model.newState(step)) {
                model.forward(step.create(new long[][] {{1}, {2}}), null, s, false);
                assertThatThrownBy(() -> model.forward(step.create(new long[][] {{1}}), null, s, false))
                        .hasMessageContaining("state holds 2 sequences, inputIds 1");
                assertThatThrownBy(() -> model.forward(step.create(new long[][] {{1}, {2}}),
                        step.create(new float[][] {{1}, {1}}), s, false))
                        .hasMessageContaining("attentionMask must be [2, 2] (state 1 + new 1), was (2, 1)");
                s.close();
                s.close();
                assertThatThrownBy(() -> s.retain(new long[] {0}, 0)).isInstanceOf(IllegalStateException.class);
            }
            assertThat(step.create(new float[] {1}).getShape()).isEqualTo(new Shape(1));
        }
        RwkvModel m = RwkvModel.random(small(), 1, NDManager.newBaseManager(Device.cpu()));
        m.close();
        m.close();
        assertThatThrownBy(() -> m.newState(null)).isInstanceOf(IllegalStateException.class);
    }
}
