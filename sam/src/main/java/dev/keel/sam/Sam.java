package dev.keel.sam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.lm.train.GradientPass;
import dev.keel.core.internal.Gradients;
import dev.keel.core.lm.train.StepStrategy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Sharpness-Aware Minimization (Foret et al., 2021) around a base optimizer: each step computes the
 * gradient {@code g} at the weights {@code w}, moves to {@code w + e} with
 * {@code e = rho * g / (||g||_2 + 1e-12)} (the norm taken over every perturbed tensor together),
 * computes the gradient there, puts {@code w} back bit for bit, and lets the base optimizer update
 * {@code w} with that second gradient.
 *
 * <p>Two variants:
 * <ul>
 *   <li><b>ASAM</b> (Kwon et al., 2021): {@code e = rho * T^2 g / ||T g||} with {@code T = |w| + eta},
 *       so the neighbourhood scales with each weight (scale-invariant sharpness).</li>
 *   <li><b>LookSAM</b> (Liu et al., 2022): the full two-pass SAM step only every {@code k}-th step,
 *       where it stores {@code g_v}, the component of the SAM gradient orthogonal to {@code g}; the
 *       steps in between take one pass and use {@code g + alpha * (||g|| / ||g_v||) * g_v}. Cost:
 *       {@code 1 + 1/k} gradient passes per step on average instead of 2.</li>
 * </ul>
 *
 * <p>By default only LoRA parameters (names with {@code lora_A} / {@code lora_B}) are perturbed;
 * {@link Scope#ALL_TRAINABLE} perturbs every trainable parameter it is given. It is a
 * {@link StepStrategy}, so it plugs into {@link dev.keel.core.lm.train.LmTrainer} (whose AdamW is
 * then the base optimizer); with {@link Builder#base} and {@link Builder#parameters} it also runs
 * whole steps on its own through {@link #step}.
 *
 * <pre>{@code
 * try (Sam sam = Sam.builder().rho(0.05).parameters(lora.parameters())
 *         .base(BaseOptimizer.sgd(lora.parameters())).build()) {
 *     float loss = sam.step(LmObjective.of(model, lora.parameters(), batch), 0.1);
 * }
 * }</pre>
 */
public final class Sam implements StepStrategy, AutoCloseable {

    /** The perturbation rule. */
    public enum Variant {
        /** Plain SAM, two gradient passes per step. */
        SAM,
        /** Adaptive SAM ({@code T = |w| + eta}), two passes per step. */
        ASAM,
        /** LookSAM: two passes every k-th step, one pass otherwise. */
        LOOKSAM
    }

    /** Which of the trainable parameters are perturbed. */
    public enum Scope {
        /** Only LoRA parameters (names containing {@code lora_A} or {@code lora_B}). */
        LORA,
        /** Every trainable parameter the strategy is given. */
        ALL_TRAINABLE
    }

    /**
     * What the last step did.
     *
     * @param loss          the loss at {@code w} (what the step reports)
     * @param perturbedLoss the loss at {@code w + e}, or NaN on a LookSAM step without ascent
     * @param gradNorm      {@code ||g||} over the perturbed tensors at {@code w}
     * @param epsilonNorm   {@code ||e||}, or 0 on a LookSAM step without ascent
     * @param passes        gradient passes the step took (1 or 2)
     */
    public record StepStats(float loss, float perturbedLoss, double gradNorm, double epsilonNorm, int passes) {
    }

    /** The denominator guard in {@code rho * g / (||g|| + 1e-12)}. */
    public static final double NORM_EPS = 1e-12;

    private final double rho;
    private final Variant variant;
    private final double eta;
    private final int lookEvery;
    private final double lookAlpha;
    private final Scope scope;
    private final BaseOptimizer base;
    private final Map<String, Parameter> params;
    private NDManager state;
    private Map<String, NDArray> orthogonal;
    private double orthogonalNorm;
    private long steps;
    private long passes;
    private StepStats last;
    private boolean closed;

    private Sam(Builder b) {
        this.rho = b.rho;
        this.variant = b.variant;
        this.eta = b.eta;
        this.lookEvery = b.lookEvery;
        this.lookAlpha = b.lookAlpha;
        this.scope = b.scope;
        this.base = b.base;
        this.params = b.params == null ? null : new LinkedHashMap<>(b.params);
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
     * The rho.
     *
     * @return the rho
     */
    public double rho() {
        return rho;
    }

    /**
     * The variant.
     *
     * @return the variant
     */
    public Variant variant() {
        return variant;
    }

    /**
     * The scope.
     *
     * @return the scope
     */
    public Scope scope() {
        return scope;
    }

    /**
     * Steps taken so far (calls of {@link #computeGradients} or {@link #step}).
     *
     * @return the steps
     */
    public long steps() {
        return steps;
    }

    /**
     * Gradient passes run so far, over all steps.
     *
     * @return the gradient passes
     */
    public long gradientPasses() {
        return passes;
    }

    /**
     * What the last step did, or {@code null} before the first.
     *
     * @return the last stats
     */
    public StepStats lastStats() {
        return last;
    }

    /**
     * A short description, e.g. {@code sam(rho=0.05)}, for tables and provenance.
     *
     * @return the description
     */
    public String describe() {
        return switch (variant) {
            case SAM -> String.format(Locale.ROOT, "sam(rho=%s)", rho);
            case ASAM -> String.format(Locale.ROOT, "asam(rho=%s, eta=%s)", rho, eta);
            case LOOKSAM -> String.format(Locale.ROOT, "looksam(rho=%s, k=%d, alpha=%s)", rho, lookEvery, lookAlpha);
        };
    }

    /**
     * One whole step: the SAM gradients (see {@link #computeGradients}), the base optimizer's update
     * and zeroed gradients. Needs {@link Builder#base} and {@link Builder#parameters}.
     *
     * @return the loss at the weights before the step
     * @param pass one forward and backward pass at the current weights
     * @param learningRate the learning rate, > 0
     */
    public float step(GradientPass pass, double learningRate) {
        Preconditions.checkState(base != null && params != null,
                "Sam.step needs a base optimizer and parameters (set them on the builder); "
                        + "inside LmTrainer use it as a StepStrategy instead");
        Preconditions.notNull(pass, "pass");
        Preconditions.checkArgument(learningRate > 0 && Double.isFinite(learningRate),
                "learningRate must be > 0, was " + learningRate);
        float loss = computeGradients(pass, params);
        base.step(learningRate);
        Gradients.zero(params.values());
        return loss;
    }

    @Override
    public float computeGradients(GradientPass pass, Map<String, Parameter> trainable) {
        Preconditions.checkState(!closed, "Sam is closed");
        Preconditions.notNull(pass, "pass");
        Preconditions.notNull(trainable, "params");
        Map<String, Parameter> perturbed = select(trainable);
        boolean ascent = variant != Variant.LOOKSAM || orthogonal == null || steps % lookEvery == 0;
        steps++;
        float loss = pass.run();
        passes++;
        if (!Float.isFinite(loss)) {
            last = new StepStats(loss, Float.NaN, Double.NaN, 0, 1);
            return loss;
        }
        NDManager scopeParent = perturbed.values().iterator().next().getArray().getManager();
        try (NDManager tmp = scopeParent.newSubManager()) {
            // views of the gradient buffers: read before the next pass clears them
            List<NDArray> grads = new ArrayList<>(perturbed.size());
            for (Parameter p : perturbed.values()) {
                NDArray g = p.getArray().getGradient();
                g.attach(tmp);
                grads.add(g);
            }
            double gNorm = Math.sqrt(sumSquares(grads));
            if (!ascent) {
                reuse(perturbed, grads, gNorm, loss, tmp);
                return loss;
            }
            List<NDArray> weights = new ArrayList<>(perturbed.size());
            for (Parameter p : perturbed.values()) {
                weights.add(p.getArray());
            }
            // copy the first gradient ourselves (LookSAM keeps it; e is a scaled copy), then clear it
            List<NDArray> g = grads;
            if (variant == Variant.LOOKSAM) {
                g = new ArrayList<>(grads.size());
                for (NDArray gi : grads) {
                    NDArray c = gi.duplicate();
                    c.attach(tmp);
                    g.add(c);
                }
            }
            List<NDArray> eps = epsilon(g, weights, rho, variant == Variant.ASAM, eta, tmp);
            Gradients.zero(perturbed.values());
            double epsNorm = Math.sqrt(sumSquares(eps));
            List<NDArray> saved = new ArrayList<>(weights.size());
            for (int i = 0; i < weights.size(); i++) {
                NDArray copy = weights.get(i).duplicate();
                copy.attach(tmp);
                saved.add(copy);
                weights.get(i).addi(eps.get(i));
            }
            float perturbedLoss;
            try {
                perturbedLoss = pass.run();
                passes++;
            } finally {
                for (int i = 0; i < weights.size(); i++) {
                    restore(weights.get(i), saved.get(i));
                }
            }
            if (variant == Variant.LOOKSAM) {
                storeOrthogonal(perturbed, g, gNorm, tmp);
            }
            last = new StepStats(loss, perturbedLoss, gNorm, epsNorm, 2);
            return loss;
        }
    }

    /** Puts {@code saved} back into {@code w} exactly (a copy, not an inverse update). */
    static void restore(NDArray w, NDArray saved) {
        w.set(new NDIndex("..."), saved);
    }

    private void reuse(Map<String, Parameter> perturbed, List<NDArray> grads, double gNorm, float loss, NDManager tmp) {
        if (orthogonalNorm > NORM_EPS) {
            float factor = (float) (lookAlpha * gNorm / orthogonalNorm);
            int i = 0;
            for (String name : perturbed.keySet()) {
                NDArray add = orthogonal.get(name).mul(factor);
                add.attach(tmp);
                grads.get(i++).addi(add);
            }
        }
        last = new StepStats(loss, Float.NaN, gNorm, 0, 1);
    }

    /** {@code g_v = g_s - (<g_s, g> / ||g||^2) g} from the gradients now in place ({@code g_s}), kept until the next ascent. */
    private void storeOrthogonal(Map<String, Parameter> perturbed, List<NDArray> g, double gNorm, NDManager tmp) {
        if (state == null) {
            state = perturbed.values().iterator().next().getArray().getManager().newSubManager();
        }
        if (orthogonal != null) {
            orthogonal.values().forEach(NDArray::close);
        }
        orthogonal = new LinkedHashMap<>();
        List<NDArray> gs = new ArrayList<>();
        for (Parameter p : perturbed.values()) {
            NDArray c = p.getArray().getGradient();
            c.attach(tmp);
            gs.add(c);
        }
        NDArray dotSum = null;
        for (int i = 0; i < g.size(); i++) {
            NDArray s = gs.get(i).mul(g.get(i)).sum();
            s.attach(tmp);
            dotSum = dotSum == null ? s : dotSum.add(s);
        }
        double dot = dotSum.getFloat();
        float coef = (float) (gNorm > NORM_EPS ? dot / (gNorm * gNorm) : 0);
        int i = 0;
        List<NDArray> vs = new ArrayList<>();
        for (String name : perturbed.keySet()) {
            NDArray proj = g.get(i).mul(coef);
            proj.attach(tmp);
            NDArray v = gs.get(i).sub(proj);
            v.attach(state);
            orthogonal.put(name, v);
            vs.add(v);
            i++;
        }
        orthogonalNorm = Math.sqrt(sumSquares(vs));
    }

    /**
     * The perturbation for gradients {@code g} at weights {@code w}: {@code rho * g / (||g|| + 1e-12)},
     * or with {@code adaptive} {@code rho * T^2 g / (||T g|| + 1e-12)} where {@code T = |w| + eta}.
     * New arrays go to {@code manager}.
     */
    static List<NDArray> epsilon(List<NDArray> g, List<NDArray> w, double rho, boolean adaptive, double eta,
                                 NDManager manager) {
        List<NDArray> out = new ArrayList<>(g.size());
        if (!adaptive) {
            float scale = (float) (rho / (Math.sqrt(sumSquares(g)) + NORM_EPS));
            for (NDArray gi : g) {
                NDArray e = gi.mul(scale);
                e.attach(manager);
                out.add(e);
            }
            return out;
        }
        List<NDArray> t = new ArrayList<>(g.size());
        List<NDArray> tg = new ArrayList<>(g.size());
        for (int i = 0; i < g.size(); i++) {
            NDArray ti;
            try (NDArray abs = w.get(i).abs()) {
                ti = abs.add((float) eta);
            }
            ti.attach(manager);
            t.add(ti);
            NDArray tgi = ti.mul(g.get(i));
            tgi.attach(manager);
            tg.add(tgi);
        }
        float scale = (float) (rho / (Math.sqrt(sumSquares(tg)) + NORM_EPS));
        for (int i = 0; i < g.size(); i++) {
            NDArray e;
            try (NDArray t2g = t.get(i).mul(tg.get(i))) {
                e = t2g.mul(scale);
            }
            e.attach(manager);
            out.add(e);
        }
        return out;
    }

    /** The sum of squares of all entries, summed on the device and read once. */
    static double sumSquares(List<NDArray> arrays) {
        if (arrays.isEmpty()) {
            return 0;
        }
        try (NDManager scope = arrays.get(0).getManager().newSubManager()) {
            NDArray total = null;
            for (NDArray a : arrays) {
                NDArray sq = a.square();
                sq.attach(scope);
                NDArray s = sq.sum();
                s.attach(scope);
                total = total == null ? s : total.add(s);
                total.attach(scope);
            }
            return total.getFloat();
        }
    }

    private Map<String, Parameter> select(Map<String, Parameter> trainable) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : trainable.entrySet()) {
            if (scope == Scope.ALL_TRAINABLE || isLora(e.getKey())) {
                out.put(e.getKey(), e.getValue());
            }
        }
        if (out.isEmpty()) {
            throw new IllegalStateException("Sam scope " + scope + " selects none of the trainable parameters "
                    + trainable.keySet() + "; use Scope.ALL_TRAINABLE to perturb non-LoRA parameters");
        }
        return out;
    }

    /**
     * Whether {@code name} is a LoRA parameter ({@code ...lora_A...} or {@code ...lora_B...}).
     *
     * @param name the parameter name
     * @return whether it names a LoRA parameter
     */
    public static boolean isLora(String name) {
        return name.contains("lora_A") || name.contains("lora_B");
    }

    /** Frees the LookSAM state and closes the base optimizer, if any; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (state != null) {
            state.close();
        }
        if (base != null) {
            base.close();
        }
    }

    @Override
    public String toString() {
        return "Sam[" + describe() + ", scope=" + scope + (base != null ? ", base=" + base.name() : "") + "]";
    }

    /** Builds a {@link Sam}; defaults: rho 0.05, plain SAM, LoRA scope. */
    public static final class Builder {
        private double rho = 0.05;
        private Variant variant = Variant.SAM;
        private double eta = 0.01;
        private int lookEvery = 5;
        private double lookAlpha = 0.7;
        private Scope scope = Scope.LORA;
        private BaseOptimizer base;
        private Map<String, Parameter> params;

        private Builder() {
        }

        /**
         * The neighbourhood radius; must be finite and > 0.
         *
         * @param rho the radius
         * @return this builder
         */
        public Builder rho(double rho) {
            Preconditions.checkArgument(rho > 0 && Double.isFinite(rho), "rho must be > 0, was " + rho);
            this.rho = rho;
            return this;
        }

        /**
         * Plain SAM (the default).
         *
         * @return this builder
         */
        public Builder plain() {
            this.variant = Variant.SAM;
            return this;
        }

        /**
         * ASAM with {@code T = |w| + eta}; {@code eta} must be >= 0 (Kwon et al. use 0.01).
         *
         * @param eta the offset of {@code T = |w| + eta}
         * @return this builder
         */
        public Builder asam(double eta) {
            Preconditions.checkArgument(eta >= 0 && Double.isFinite(eta), "eta must be >= 0, was " + eta);
            this.variant = Variant.ASAM;
            this.eta = eta;
            return this;
        }

        /**
         * LookSAM: ascent every {@code k >= 1} steps, reuse weight {@code alpha >= 0} in between.
         *
         * @param k the ascent period
         * @param alpha the mixing weight
         * @return this builder
         */
        public Builder lookSam(int k, double alpha) {
            Preconditions.checkArgument(k >= 1, "k must be >= 1, was " + k);
            Preconditions.checkArgument(alpha >= 0 && Double.isFinite(alpha), "alpha must be >= 0, was " + alpha);
            this.variant = Variant.LOOKSAM;
            this.lookEvery = k;
            this.lookAlpha = alpha;
            return this;
        }

        /**
         * Sets the scope.
         *
         * @param scope which trainable parameters are perturbed
         * @return this builder
         */
        public Builder scope(Scope scope) {
            this.scope = Preconditions.notNull(scope, "scope");
            return this;
        }

        /**
         * The optimizer {@link Sam#step} calls; {@link Sam#close()} closes it.
         *
         * @param base the optimizer that applies each SAM gradient
         * @return this builder
         */
        public Builder base(BaseOptimizer base) {
            this.base = Preconditions.notNull(base, "base");
            return this;
        }

        /**
         * The trainable parameters {@link Sam#step} works on.
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
         * Builds the value, checking the settings together.
         *
         * @return the immutable result
         */
        public Sam build() {
            return new Sam(this);
        }
    }
}
