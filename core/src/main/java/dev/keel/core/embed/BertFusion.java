package dev.keel.core.embed;

import dev.keel.core.embed.Protobuf.Field;
import dev.keel.core.embed.Protobuf.Writer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Rewrites a BERT encoder exported from Hugging Face {@code transformers} to ONNX (the node and
 * weight names {@code torch.onnx} gives a {@code BertModel}) into the same network built from ONNX
 * Runtime's fused transformer operators: {@code EmbedLayerNormalization}, one {@code Attention} per
 * layer with the query, key and value projections packed into a single matrix, {@code
 * SkipLayerNormalization} for each residual + layer norm, and {@code BiasGelu}. The arithmetic is the
 * same (exact erf GELU, the model's own epsilon, a raw 0/1 attention mask); what changes is that the
 * about 30 operators a layer that ONNX Runtime's own graph optimizer leaves of the export (182 a call
 * for all-MiniLM-L6-v2) become 7 (46 a call), and the three projections one matrix product. That
 * matters most for short texts and small batches, where dispatching operators and synchronising
 * threads cost as much as computing.
 *
 * <p>Anything that does not look exactly like such an export (missing weights, another activation,
 * extra inputs, external weight files, non-float weights) gives {@link Optional#empty()}, and the
 * caller runs the original model. The weights are copied, never changed, except that each layer's
 * three projection matrices and biases are laid side by side.
 */
final class BertFusion {

    // ONNX protobuf field numbers (onnx.proto).
    private static final int MODEL_IR_VERSION = 1;
    private static final int MODEL_PRODUCER = 2;
    private static final int MODEL_GRAPH = 7;
    private static final int MODEL_OPSET = 8;
    private static final int GRAPH_NODE = 1;
    private static final int GRAPH_NAME = 2;
    private static final int GRAPH_INITIALIZER = 5;
    private static final int GRAPH_INPUT = 11;
    private static final int GRAPH_OUTPUT = 12;
    private static final int NODE_INPUT = 1;
    private static final int NODE_OUTPUT = 2;
    private static final int NODE_NAME = 3;
    private static final int NODE_OP = 4;
    private static final int NODE_ATTRIBUTE = 5;
    private static final int NODE_DOMAIN = 7;
    private static final int ATTR_NAME = 1;
    private static final int ATTR_FLOAT = 2;
    private static final int ATTR_INT = 3;
    private static final int ATTR_TENSOR = 5;
    private static final int ATTR_TYPE = 20;
    private static final int ATTR_TYPE_FLOAT = 1;
    private static final int ATTR_TYPE_INT = 2;
    private static final int TENSOR_DIMS = 1;
    private static final int TENSOR_TYPE = 2;
    private static final int TENSOR_FLOAT_DATA = 4;
    private static final int TENSOR_INT64_DATA = 7;
    private static final int TENSOR_NAME = 8;
    private static final int TENSOR_RAW = 9;
    private static final int TENSOR_EXTERNAL = 13;
    private static final int TENSOR_LOCATION = 14;
    private static final int TYPE_FLOAT = 1;
    private static final int TYPE_INT32 = 6;
    private static final int TYPE_INT64 = 7;
    private static final int OPSET_DOMAIN = 1;
    private static final int OPSET_VERSION = 2;

    private static final String MS = "com.microsoft";
    private static final Set<String> INPUTS = Set.of("input_ids", "attention_mask", "token_type_ids");
    private static final String OUTPUT = "last_hidden_state";

    private BertFusion() {
    }

    /** A node of the original graph, as far as the rewrite needs it. */
    private record Node(String op, List<String> inputs, List<String> outputs, Map<String, Field> attributes) {
    }

    /**
     * The fused model, or empty when {@code model} is not a Hugging Face BERT export this rewrite
     * understands (including bytes that are not an ONNX model at all).
     */
    static Optional<byte[]> fuse(byte[] model) {
        return fuse(model, false);
    }

    /**
     * As {@link #fuse(byte[])}; with {@code packed}, the fused graph takes several texts per row:
     * inputs {@code input_ids}, {@code position_ids} and (if the model has them) {@code
     * token_type_ids} of shape [rows, tokens], and {@code attention_mask} of shape [rows, tokens,
     * tokens], 1 where a token may attend to another (block-diagonal: each text to itself).
     */
    static Optional<byte[]> fuse(byte[] model, boolean packed) {
        try {
            return Optional.ofNullable(rewrite(model, packed));
        } catch (RuntimeException e) {
            // malformed protobuf, impossible shapes, sizes past int range: not a model this rewrite reads
            return Optional.empty();
        }
    }

    private static byte[] rewrite(byte[] model, boolean packed) {
        Field graph = null;
        long irVersion = 0;
        long opset = 0;
        for (Field f : Protobuf.fields(model)) {
            if (f.number() == MODEL_GRAPH && f.wireType() == Protobuf.LEN) {
                graph = f;
            } else if (f.number() == MODEL_IR_VERSION && f.wireType() == Protobuf.VARINT) {
                irVersion = f.value();
            } else if (f.number() == MODEL_OPSET && f.wireType() == Protobuf.LEN) {
                String domain = "";
                long version = 0;
                for (Field g : f.message()) {
                    if (g.number() == OPSET_DOMAIN) {
                        domain = g.string();
                    } else if (g.number() == OPSET_VERSION) {
                        version = g.value();
                    }
                }
                if (domain.isEmpty() || domain.equals("ai.onnx")) {
                    opset = version;
                }
            }
        }
        if (graph == null || irVersion == 0 || opset < 11) {
            return null;
        }

        Map<String, Field> initializers = new HashMap<>();
        Map<String, Node> producers = new HashMap<>();
        Map<String, Field> inputs = new LinkedHashMap<>();
        Field output = null;
        for (Field f : graph.message()) {
            switch (f.number()) {
                case GRAPH_INITIALIZER -> {
                    String name = tensorName(f);
                    initializers.put(name, f);
                }
                case GRAPH_NODE -> {
                    Node n = node(f);
                    for (String o : n.outputs()) {
                        producers.put(o, n);
                    }
                }
                case GRAPH_INPUT -> inputs.put(valueName(f), f);
                case GRAPH_OUTPUT -> {
                    if (valueName(f).equals(OUTPUT)) {
                        output = f;
                    }
                }
                default -> {
                }
            }
        }
        // Initializers listed as graph inputs (older exports) are not real inputs.
        inputs.keySet().removeAll(initializers.keySet());
        if (output == null || !inputs.containsKey("input_ids") || !inputs.containsKey("attention_mask")
                || !INPUTS.containsAll(inputs.keySet())) {
            return null;
        }
        boolean tokenTypes = inputs.containsKey("token_type_ids");

        int layers = 0;
        while (initializers.containsKey("encoder.layer." + layers + ".attention.self.query.bias")) {
            layers++;
        }
        if (layers == 0) {
            return null;
        }
        String[] embeddingNames = {"embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
                "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias"};
        for (String n : embeddingNames) {
            if (!initializers.containsKey(n) || !isFloat(initializers.get(n))) {
                return null;
            }
        }
        if (!positionsAreArange(initializers.get("embeddings.position_ids"))) {
            return null;
        }
        int hidden = (int) dims(initializers.get("embeddings.LayerNorm.weight")).get(0).longValue();
        float epsilon = layerNormEpsilon(producers, initializers, "/embeddings/LayerNorm");
        if (Float.isNaN(epsilon)) {
            return null;
        }

        Writer g = new Writer(model.length + (1 << 20));
        g.string(GRAPH_NAME, "keel-fused-bert");
        List<Writer> nodes = new ArrayList<>();
        Map<String, Field> used = new LinkedHashMap<>();
        List<Writer> created = new ArrayList<>();

        nodes.add(cast("input_ids", "keel_ids32"));
        nodes.add(cast("attention_mask", "keel_mask32"));
        if (tokenTypes) {
            nodes.add(cast("token_type_ids", "keel_types32"));
        }
        for (String n : embeddingNames) {
            used.put(n, initializers.get(n));
        }
        if (packed) {
            nodes.add(cast("position_ids", "keel_pos32"));
        }
        nodes.add(node("EmbedLayerNormalization", MS,
                packed ? List.of("keel_ids32", tokenTypes ? "keel_types32" : "", "embeddings.word_embeddings.weight",
                        "embeddings.position_embeddings.weight", tokenTypes ? "embeddings.token_type_embeddings.weight" : "",
                        "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias", "", "keel_pos32")
                : List.of("keel_ids32", tokenTypes ? "keel_types32" : "", "embeddings.word_embeddings.weight",
                        "embeddings.position_embeddings.weight", tokenTypes ? "embeddings.token_type_embeddings.weight" : "",
                        "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias", "keel_mask32"),
                List.of("keel_emb", "keel_mask_index"), floatAttr("epsilon", epsilon)));

        String x = "keel_emb";
        for (int l = 0; l < layers; l++) {
            String p = "encoder.layer." + l + ".";
            String path = "/encoder/layer." + l + "/";
            Field[] proj = new Field[3];
            Field[] bias = new Field[3];
            String[] parts = {"query", "key", "value"};
            for (int k = 0; k < 3; k++) {
                proj[k] = weightOf(producers, initializers, path + "attention/self/" + parts[k] + "/MatMul_output_0");
                bias[k] = initializers.get(p + "attention.self." + parts[k] + ".bias");
                if (proj[k] == null || bias[k] == null || !isFloat(bias[k])) {
                    return null;
                }
            }
            Field wo = weightOf(producers, initializers, path + "attention/output/dense/MatMul_output_0");
            Field wi = weightOf(producers, initializers, path + "intermediate/dense/MatMul_output_0");
            Field wout = weightOf(producers, initializers, path + "output/dense/MatMul_output_0");
            String[] named = {"attention.output.dense.bias", "attention.output.LayerNorm.weight",
                    "attention.output.LayerNorm.bias", "intermediate.dense.bias", "output.dense.bias",
                    "output.LayerNorm.weight", "output.LayerNorm.bias"};
            for (String n : named) {
                Field t = initializers.get(p + n);
                if (t == null || !isFloat(t)) {
                    return null;
                }
                used.put(p + n, t);
            }
            if (wo == null || wi == null || wout == null || !producers.containsKey(path + "intermediate/intermediate_act_fn/Erf_output_0")) {
                return null;
            }
            int heads = heads(producers, initializers, path + "attention/self/Div_output_0", hidden);
            if (heads <= 0
                    || layerNormEpsilon(producers, initializers, path + "attention/output/LayerNorm") != epsilon
                    || layerNormEpsilon(producers, initializers, path + "output/LayerNorm") != epsilon) {
                return null;
            }
            float[][] w = new float[3][];
            float[][] b = new float[3][];
            for (int k = 0; k < 3; k++) {
                List<Long> d = dims(proj[k]);
                if (d.size() != 2 || d.get(0) != hidden || d.get(1) != hidden) {
                    return null;
                }
                w[k] = floats(proj[k]);
                b[k] = floats(bias[k]);
            }
            float[] qkv = new float[hidden * 3 * hidden];
            for (int r = 0; r < hidden; r++) {
                for (int k = 0; k < 3; k++) {
                    System.arraycopy(w[k], r * hidden, qkv, r * 3 * hidden + k * hidden, hidden);
                }
            }
            float[] qkvBias = new float[3 * hidden];
            for (int k = 0; k < 3; k++) {
                System.arraycopy(b[k], 0, qkvBias, k * hidden, hidden);
            }
            String wName = "keel.layer." + l + ".qkv.weight";
            String bName = "keel.layer." + l + ".qkv.bias";
            created.add(floatTensor(wName, new long[] {hidden, 3L * hidden}, qkv));
            created.add(floatTensor(bName, new long[] {3L * hidden}, qkvBias));
            used.put(tensorName(wo), wo);
            used.put(tensorName(wi), wi);
            used.put(tensorName(wout), wout);

            String a = "keel_l" + l + "_attn";
            String ao = "keel_l" + l + "_attn_out";
            String x1 = "keel_l" + l + "_ln1";
            String inter = "keel_l" + l + "_inter";
            String gelu = "keel_l" + l + "_gelu";
            String o = "keel_l" + l + "_out";
            String x2 = l == layers - 1 ? OUTPUT : "keel_l" + l + "_ln2";
            nodes.add(node("Attention", MS, List.of(x, wName, bName, "keel_mask32"), List.of(a),
                    intAttr("num_heads", heads)));
            nodes.add(node("MatMul", "", List.of(a, tensorName(wo)), List.of(ao)));
            nodes.add(node("SkipLayerNormalization", MS, List.of(ao, x, p + "attention.output.LayerNorm.weight",
                    p + "attention.output.LayerNorm.bias", p + "attention.output.dense.bias"), List.of(x1),
                    floatAttr("epsilon", epsilon)));
            nodes.add(node("MatMul", "", List.of(x1, tensorName(wi)), List.of(inter)));
            nodes.add(node("BiasGelu", MS, List.of(inter, p + "intermediate.dense.bias"), List.of(gelu)));
            nodes.add(node("MatMul", "", List.of(gelu, tensorName(wout)), List.of(o)));
            nodes.add(node("SkipLayerNormalization", MS, List.of(o, x1, p + "output.LayerNorm.weight",
                    p + "output.LayerNorm.bias", p + "output.dense.bias"), List.of(x2), floatAttr("epsilon", epsilon)));
            x = x2;
        }

        for (Writer n : nodes) {
            g.message(GRAPH_NODE, n);
        }
        for (Field t : used.values()) {
            g.copy(t);
        }
        for (Writer t : created) {
            g.message(GRAPH_INITIALIZER, t);
        }
        if (packed) {
            g.message(GRAPH_INPUT, int64Input("input_ids", "batch", "sequence"));
            g.message(GRAPH_INPUT, int64Input("attention_mask", "batch", "sequence", "sequence"));
            g.message(GRAPH_INPUT, int64Input("position_ids", "batch", "sequence"));
            if (tokenTypes) {
                g.message(GRAPH_INPUT, int64Input("token_type_ids", "batch", "sequence"));
            }
        } else {
            for (Field in : inputs.values()) {
                g.copy(in);
            }
        }
        g.copy(output);

        Writer m = new Writer(model.length + (2 << 20));
        m.varint(MODEL_IR_VERSION, irVersion);
        m.string(MODEL_PRODUCER, "keel BertFusion");
        m.message(MODEL_GRAPH, g);
        m.message(MODEL_OPSET, new Writer().string(OPSET_DOMAIN, "").varint(OPSET_VERSION, opset));
        m.message(MODEL_OPSET, new Writer().string(OPSET_DOMAIN, MS).varint(OPSET_VERSION, 1));
        return m.toByteArray();
    }

    // ---- reading the original graph ----

    private static Node node(Field f) {
        String op = "";
        List<String> in = new ArrayList<>();
        List<String> out = new ArrayList<>();
        Map<String, Field> attrs = new HashMap<>();
        for (Field g : f.message()) {
            switch (g.number()) {
                case NODE_INPUT -> in.add(g.string());
                case NODE_OUTPUT -> out.add(g.string());
                case NODE_OP -> op = g.string();
                case NODE_ATTRIBUTE -> {
                    String name = "";
                    for (Field a : g.message()) {
                        if (a.number() == ATTR_NAME) {
                            name = a.string();
                        }
                    }
                    attrs.put(name, g);
                }
                default -> {
                }
            }
        }
        return new Node(op, in, out, attrs);
    }

    private static String tensorName(Field tensor) {
        for (Field f : tensor.message()) {
            if (f.number() == TENSOR_NAME) {
                return f.string();
            }
        }
        return "";
    }

    private static String valueName(Field valueInfo) {
        for (Field f : valueInfo.message()) {
            if (f.number() == 1) {
                return f.string();
            }
        }
        return "";
    }

    private static List<Long> dims(Field tensor) {
        List<Long> out = new ArrayList<>();
        for (Field f : tensor.message()) {
            if (f.number() == TENSOR_DIMS) {
                out.addAll(f.varints());
            }
        }
        return out;
    }

    private static long dataType(Field tensor) {
        for (Field f : tensor.message()) {
            if (f.number() == TENSOR_TYPE) {
                return f.value();
            }
        }
        return 0;
    }

    private static boolean isFloat(Field tensor) {
        if (dataType(tensor) != TYPE_FLOAT) {
            return false;
        }
        for (Field f : tensor.message()) {
            if (f.number() == TENSOR_EXTERNAL || (f.number() == TENSOR_LOCATION && f.value() != 0)) {
                return false;
            }
        }
        return true;
    }

    /** The values of a float tensor, from {@code raw_data} or {@code float_data}. */
    private static float[] floats(Field tensor) {
        long count = 1;
        for (long d : dims(tensor)) {
            count = Math.multiplyExact(count, d);
        }
        float[] out = new float[Math.toIntExact(count)];
        int filled = 0;
        for (Field f : tensor.message()) {
            if (f.number() == TENSOR_RAW) {
                if (f.length() != 4L * out.length) {
                    throw new IllegalArgumentException("raw_data of " + f.length() + " bytes for " + count + " floats");
                }
                ByteBuffer.wrap(f.buf(), f.offset(), f.length()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
                return out;
            }
            if (f.number() == TENSOR_FLOAT_DATA) {
                if (f.wireType() == Protobuf.FIXED32) {
                    out[filled++] = f.fixed32AsFloat();
                } else {
                    int n = f.length() / 4;
                    ByteBuffer.wrap(f.buf(), f.offset(), f.length()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
                            .get(out, filled, n);
                    filled += n;
                }
            }
        }
        if (filled != out.length) {
            throw new IllegalArgumentException("float tensor with " + filled + " of " + count + " values");
        }
        return out;
    }

    /** The weight initializer multiplied by the MatMul whose output is {@code output}, or null. */
    private static Field weightOf(Map<String, Node> producers, Map<String, Field> initializers, String output) {
        Node n = producers.get(output);
        if (n == null || !n.op().equals("MatMul") || n.inputs().size() != 2) {
            return null;
        }
        Field w = initializers.get(n.inputs().get(1));
        return w != null && isFloat(w) && dims(w).size() == 2 ? w : null;
    }

    /** A scalar constant: an initializer or a Constant node's {@code value}; NaN when it is neither. */
    private static float scalar(Map<String, Node> producers, Map<String, Field> initializers, String name) {
        Field t = initializers.get(name);
        if (t == null) {
            Node c = producers.get(name);
            if (c == null || !c.op().equals("Constant") || !c.attributes().containsKey("value")) {
                return Float.NaN;
            }
            for (Field a : c.attributes().get("value").message()) {
                if (a.number() == ATTR_TENSOR) {
                    t = a;
                }
            }
            if (t == null) {
                return Float.NaN;
            }
        }
        if (dataType(t) != TYPE_FLOAT) {
            return Float.NaN;
        }
        float[] v = floats(t);
        return v.length == 1 ? v[0] : Float.NaN;
    }

    /**
     * The epsilon of a layer norm written out as ReduceMean / Sub / Pow / ReduceMean / Add(eps) /
     * Sqrt / Div / Mul / Add under {@code prefix}, or one already fused into LayerNormalization.
     */
    private static float layerNormEpsilon(Map<String, Node> producers, Map<String, Field> initializers, String prefix) {
        Node add = producers.get(prefix + "/Add_output_0");
        Node sqrt = producers.get(prefix + "/Sqrt_output_0");
        Node div = producers.get(prefix + "/Div_output_0");
        if (add == null || sqrt == null || div == null || !add.op().equals("Add") || add.inputs().size() != 2) {
            return Float.NaN;
        }
        return scalar(producers, initializers, add.inputs().get(1));
    }

    /** Heads from the 1/sqrt(head size) scaling of the attention scores; -1 if it cannot be read. */
    private static int heads(Map<String, Node> producers, Map<String, Field> initializers, String divOutput, int hidden) {
        Node div = producers.get(divOutput);
        if (div == null || !div.op().equals("Div") || div.inputs().size() != 2) {
            return -1;
        }
        float root = scalar(producers, initializers, div.inputs().get(1));
        if (!(root > 0)) {
            return -1;
        }
        long headSize = Math.round((double) root * root);
        if (headSize <= 0 || hidden % headSize != 0 || Math.abs(Math.sqrt(headSize) - root) > 1e-3) {
            return -1;
        }
        return (int) (hidden / headSize);
    }

    /** True when there is no position-id table or it holds 0, 1, 2, ... (the positions the fused op uses). */
    private static boolean positionsAreArange(Field positionIds) {
        if (positionIds == null) {
            return true;
        }
        if (dataType(positionIds) != TYPE_INT64) {
            return false;
        }
        for (Field f : positionIds.message()) {
            if (f.number() == TENSOR_RAW) {
                ByteBuffer bb = ByteBuffer.wrap(f.buf(), f.offset(), f.length()).slice().order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < f.length() / 8; i++) {
                    if (bb.getLong(i * 8) != i) {
                        return false;
                    }
                }
                return true;
            }
            if (f.number() == TENSOR_INT64_DATA) {
                List<Long> v = f.varints();
                for (int i = 0; i < v.size(); i++) {
                    if (v.get(i) != i) {
                        return false;
                    }
                }
                return true;
            }
        }
        return false;
    }

    // ---- writing the fused graph ----

    private static Writer node(String op, String domain, List<String> inputs, List<String> outputs, Writer... attributes) {
        Writer n = new Writer();
        for (String i : inputs) {
            n.string(NODE_INPUT, i);
        }
        for (String o : outputs) {
            n.string(NODE_OUTPUT, o);
        }
        n.string(NODE_NAME, "keel_" + op + "_" + outputs.get(0));
        n.string(NODE_OP, op);
        for (Writer a : attributes) {
            n.message(NODE_ATTRIBUTE, a);
        }
        if (!domain.isEmpty()) {
            n.string(NODE_DOMAIN, domain);
        }
        return n;
    }

    private static Writer int64Input(String name, String... dims) {
        Writer shape = new Writer();
        for (String d : dims) {
            shape.message(1, new Writer().string(2, d));
        }
        Writer tensor = new Writer().varint(1, TYPE_INT64).message(2, shape);
        return new Writer().string(1, name).message(2, new Writer().message(1, tensor));
    }

    private static Writer cast(String from, String to) {
        return node("Cast", "", List.of(from), List.of(to), intAttr("to", TYPE_INT32));
    }

    private static Writer floatAttr(String name, float value) {
        return new Writer().string(ATTR_NAME, name).fixed32(ATTR_FLOAT, value).varint(ATTR_TYPE, ATTR_TYPE_FLOAT);
    }

    private static Writer intAttr(String name, long value) {
        return new Writer().string(ATTR_NAME, name).varint(ATTR_INT, value).varint(ATTR_TYPE, ATTR_TYPE_INT);
    }

    private static Writer floatTensor(String name, long[] dims, float[] values) {
        Writer t = new Writer(values.length * 4 + 64);
        for (long d : dims) {
            t.varint(TENSOR_DIMS, d);
        }
        t.varint(TENSOR_TYPE, TYPE_FLOAT);
        t.string(TENSOR_NAME, name);
        ByteBuffer bb = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(values);
        t.bytes(TENSOR_RAW, bb.array());
        return t;
    }
}
