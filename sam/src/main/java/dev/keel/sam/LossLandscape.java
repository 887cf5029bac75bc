package dev.keel.sam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.Provenance;
import dev.keel.core.lm.CausalLm;
import dev.keel.core.lm.lora.LoraAdapter;
import dev.keel.sam.internal.ParamSnapshot;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The loss surface {@code L(w + a d1 + b d2)} on a grid of {@code (a, b)}, along two random
 * filter-normalised directions (Li et al., "Visualizing the Loss Landscape of Neural Nets", 2018):
 * each direction is Gaussian, and every row of a 2-D (or higher) tensor is rescaled to the norm of
 * the same row of the weights; 1-D tensors (norm gains) get no direction. The directions derive from
 * the seed, and the weights are put back exactly afterwards.
 *
 * <p>Note: a fresh LoRA adapter has {@code lora_B = 0}, so its rows have norm 0, its direction on B
 * is 0, and moving A alone does not change the output: the LoRA-only landscape of an untrained
 * adapter is flat by construction. Compare adapters before and after training over
 * {@link #allParameters} (or over trained adapters only).
 *
 * <pre>{@code
 * Landscape l = LossLandscape.builder().objective(LmObjective.of(model, Map.of(), examples, 8))
 *         .parameters(LossLandscape.allParameters(model, lora)).grid(51).range(-1, 1).seed(7).build().compute();
 * l.writePng(Path.of("landscape.png"), "after SAM");
 * }</pre>
 */
public final class LossLandscape {

    private final LmObjective objective;
    private final Map<String, Parameter> params;
    private final int grid;
    private final double min;
    private final double max;
    private final long seed;
    private final java.util.function.LongConsumer progress;

    private LossLandscape(Builder b) {
        this.objective = b.objective;
        this.params = new LinkedHashMap<>(b.params);
        this.grid = b.grid;
        this.min = b.min;
        this.max = b.max;
        this.seed = b.seed;
        this.progress = b.progress;
    }

    /**
     * Starts a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The adapter's parameters (LoRA only).
     *
     * @param adapter the LoRA adapter
     * @return the lora parameters
     */
    public static Map<String, Parameter> loraParameters(LoraAdapter adapter) {
        return Preconditions.notNull(adapter, "adapter").parameters();
    }

    /**
     * Every base weight of {@code model} and, if {@code adapter} is not null, the adapter's parameters.
     *
     * @param model the model
     * @param adapter the LoRA adapter
     * @return every weight of the model (and the adapter), by name
     */
    public static Map<String, Parameter> allParameters(CausalLm model, LoraAdapter adapter) {
        Preconditions.notNull(model, "model");
        Map<String, Parameter> out = new LinkedHashMap<>(model.parameters());
        if (adapter != null) {
            out.putAll(adapter.parameters());
        }
        return out;
    }

    /**
     * The grid values from {@code min} to {@code max} inclusive, uniformly spaced.
     *
     * @param min the lower end
     * @param max the upper end
     * @param n how many
     * @return the axis
     */
    public static double[] axis(double min, double max, int n) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = i == n - 1 ? max : min + i * (max - min) / (n - 1);
        }
        return out;
    }

    /**
     * Filter-normalised Gaussian directions for {@code params}, as host arrays by name (zeros for
     * 1-D tensors and for rows whose weights are all zero).
     *
     * @param params the parameters, by name
     * @param rnd the random source of the directions
     * @return the direction
     */
    public static Map<String, float[]> direction(Map<String, Parameter> params, SplittableRandom rnd) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            NDArray w = e.getValue().getArray();
            long[] shape = w.getShape().getShape();
            float[] wv = w.toFloatArray();
            float[] d = new float[wv.length];
            if (shape.length >= 2 && wv.length > 0) {
                int rows = (int) shape[0];
                int cols = wv.length / rows;
                for (int r = 0; r < rows; r++) {
                    double dn = 0;
                    double wn = 0;
                    for (int c = 0; c < cols; c++) {
                        double x = gaussian(rnd);
                        d[r * cols + c] = (float) x;
                        dn += x * x;
                        wn += (double) wv[r * cols + c] * wv[r * cols + c];
                    }
                    double scale = Math.sqrt(wn) / (Math.sqrt(dn) + 1e-10);
                    for (int c = 0; c < cols; c++) {
                        d[r * cols + c] = (float) (d[r * cols + c] * scale);
                    }
                }
            }
            out.put(e.getKey(), d);
        }
        return out;
    }

    private static double gaussian(SplittableRandom r) {
        double u1 = r.nextDouble();
        double u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }

    /**
     * Evaluates the grid ({@code grid^2} loss evaluations) and restores the weights exactly.
     *
     * @return the landscape
     */
    public Landscape compute() {
        long started = System.nanoTime();
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, float[]> d1 = direction(params, rnd);
        Map<String, float[]> d2 = direction(params, rnd);
        double[] a = axis(min, max, grid);
        double[] b = axis(min, max, grid);
        double[][] z = new double[grid][grid];
        double base = objective.loss();
        try (ParamSnapshot snap = ParamSnapshot.of(params)) {
            NDManager m = snap.manager();
            List<NDArray> w0 = new ArrayList<>();
            List<NDArray> dir1 = new ArrayList<>();
            List<NDArray> dir2 = new ArrayList<>();
            List<NDArray> targets = new ArrayList<>();
            for (Map.Entry<String, Parameter> e : params.entrySet()) {
                NDArray w = e.getValue().getArray();
                w0.add(snap.values().get(e.getKey()));
                dir1.add(m.create(d1.get(e.getKey()), w.getShape()));
                dir2.add(m.create(d2.get(e.getKey()), w.getShape()));
                targets.add(w);
            }
            try {
                for (int i = 0; i < grid; i++) {
                    for (int j = 0; j < grid; j++) {
                        try (NDManager step = m.newSubManager()) {
                            for (int k = 0; k < targets.size(); k++) {
                                NDArray moved = dir1.get(k).mul((float) a[i]).add(dir2.get(k).mul((float) b[j])).add(w0.get(k));
                                moved.attach(step);
                                targets.get(k).set(new NDIndex("..."), moved);
                            }
                        }
                        z[i][j] = objective.loss();
                        progress.accept((long) i * grid + j + 1);
                    }
                }
            } finally {
                snap.restore();
            }
        }
        Map<String, String> cfg = new LinkedHashMap<>();
        cfg.put("grid", Integer.toString(grid));
        cfg.put("range", min + ".." + max);
        cfg.put("parameters", Integer.toString(params.size()));
        cfg.put("examples", Integer.toString(objective.examples().size()));
        cfg.put("seconds", String.format(java.util.Locale.ROOT, "%.1f", (System.nanoTime() - started) / 1e9));
        return new Landscape(a, b, z, base, FlatnessMetrics.of(a, b, z),
                Provenance.of(objective.model().toString(), cfg, seed));
    }

    /** Builds a {@link LossLandscape}; defaults: 51 x 51 over [-1, 1], seed 0. */
    public static final class Builder {
        private LmObjective objective;
        private Map<String, Parameter> params;
        private int grid = 51;
        private double min = -1;
        private double max = 1;
        private long seed;
        private java.util.function.LongConsumer progress = done -> { };

        private Builder() {
        }

        /**
         * Receives the number of grid points evaluated so far (of {@code grid^2}) after each point;
         * by default nothing.
         *
         * @param listener called with 1, 2, ..., {@code grid^2}
         * @return this builder
         */
        public Builder progress(java.util.function.LongConsumer listener) {
            this.progress = Preconditions.notNull(listener, "progress");
            return this;
        }

        /**
         * What is measured: the loss of a model over examples (its gradient parameters are not used).
         *
         * @param objective the loss being measured
         * @return this builder
         */
        public Builder objective(LmObjective objective) {
            this.objective = Preconditions.notNull(objective, "objective");
            return this;
        }

        /**
         * The parameters the directions move (see {@link #loraParameters} and {@link #allParameters}).
         *
         * @param params the parameters, by name
         * @return this builder
         */
        public Builder parameters(Map<String, Parameter> params) {
            Preconditions.notNull(params, "parameters");
            Preconditions.checkArgument(!params.isEmpty(), "parameters must not be empty");
            this.params = params;
            return this;
        }

        /**
         * Points per axis, >= 3 (the metrics need three points for a second difference).
         *
         * @param n how many
         * @return this builder
         */
        public Builder grid(int n) {
            Preconditions.checkArgument(n >= 3, "grid must be >= 3 points per axis, was " + n);
            this.grid = n;
            return this;
        }

        /**
         * The range of {@code a} and {@code b}; {@code min < max}, both finite.
         *
         * @param min the lower end
         * @param max the upper end
         * @return this builder
         */
        public Builder range(double min, double max) {
            Preconditions.checkArgument(Double.isFinite(min) && Double.isFinite(max) && min < max,
                    "range must have min < max, was [" + min + ", " + max + "]");
            this.min = min;
            this.max = max;
            return this;
        }

        /**
         * Sets the seed.
         *
         * @param seed the seed of the random choices
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Builds the value, checking the settings together.
         *
         * @return the immutable result
         */
        public LossLandscape build() {
            Preconditions.checkState(objective != null, "objective must be set");
            Preconditions.checkState(params != null, "parameters must be set");
            return new LossLandscape(this);
        }
    }
}
