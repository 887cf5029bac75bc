package dev.keel.sam;

import dev.keel.core.internal.Preconditions;

import java.util.Locale;

/**
 * How a {@link LoraFineTuner} computes each step's gradient before the trainer's AdamW update: a
 * plain gradient, or one of the SAM family ({@link Sam}). One value, chosen once, in code with the
 * factories or on the command line with {@link #parse}.
 *
 * <pre>{@code
 * OptimizerChoice a = OptimizerChoice.sam(0.05);
 * OptimizerChoice b = OptimizerChoice.parse("looksam:0.05:5");   // LookSAM, rho 0.05, k 5, alpha 0.7
 * }</pre>
 */
public sealed interface OptimizerChoice
        permits OptimizerChoice.Plain, OptimizerChoice.SamStep, OptimizerChoice.AsamStep, OptimizerChoice.LookSamStep {

    /** ASAM's {@code eta} when {@link #parse} is given none. */
    double DEFAULT_ETA = 0.01;

    /** LookSAM's reuse weight {@code alpha} when {@link #parse} is given none. */
    double DEFAULT_LOOK_ALPHA = 0.7;

    /** The forms {@link #parse} accepts, for messages and help texts. */
    String FORMS = "none, sam:RHO, asam:RHO[:ETA] or looksam:RHO:K[:ALPHA]";

    /**
     * The command-line form of this choice, which {@link #parse} reads back to an equal value;
     * defaults are left out ({@code asam:0.5}, not {@code asam:0.5:0.01}).
     *
     * @return e.g. {@code none}, {@code sam:0.05} or {@code looksam:0.05:5}
     */
    String spec();

    /**
     * The SAM step strategy of this choice, perturbing the parameters of {@code scope}.
     *
     * @param scope which trainable parameters SAM perturbs
     * @return a new builder, or {@code null} for {@link Plain}
     */
    Sam.Builder samBuilder(Sam.Scope scope);

    /**
     * A plain gradient step: AdamW alone, one gradient pass per step.
     *
     * @return the plain choice
     */
    static OptimizerChoice plain() {
        return Plain.INSTANCE;
    }

    /**
     * Plain SAM.
     *
     * @param rho the radius, &gt; 0
     * @return the choice
     * @throws IllegalArgumentException if {@code rho} is not &gt; 0
     */
    static OptimizerChoice sam(double rho) {
        return new SamStep(rho);
    }

    /**
     * ASAM with {@code T = |w| + eta}.
     *
     * @param rho the radius, &gt; 0
     * @param eta the offset of the scale, &gt;= 0
     * @return the choice
     * @throws IllegalArgumentException if {@code rho} or {@code eta} is out of range
     */
    static OptimizerChoice asam(double rho, double eta) {
        return new AsamStep(rho, eta);
    }

    /**
     * LookSAM: the full SAM step every {@code k}-th step, the stored direction reused in between.
     *
     * @param rho   the radius, &gt; 0
     * @param k     the ascent period, &gt;= 1
     * @param alpha the reuse weight, &gt;= 0
     * @return the choice
     * @throws IllegalArgumentException if a value is out of range
     */
    static OptimizerChoice lookSam(double rho, int k, double alpha) {
        return new LookSamStep(rho, k, alpha);
    }

    /**
     * Reads a command-line choice: {@code none}; {@code sam:RHO}; {@code asam:RHO} or
     * {@code asam:RHO:ETA} (eta {@value #DEFAULT_ETA} when left out); {@code looksam:RHO:K} or
     * {@code looksam:RHO:K:ALPHA} (alpha {@value #DEFAULT_LOOK_ALPHA} when left out). Case and
     * surrounding blanks are ignored.
     *
     * @param spec the text, e.g. {@code sam:0.05}
     * @return the choice
     * @throws IllegalArgumentException naming {@code spec} and the accepted forms, if it is none of them
     *                                  or a value is out of range
     */
    static OptimizerChoice parse(String spec) {
        Preconditions.notNull(spec, "optimizer");
        String[] p = spec.strip().toLowerCase(Locale.ROOT).split(":", -1);
        try {
            switch (p[0]) {
                case "none":
                    Preconditions.checkArgument(p.length == 1, "none takes no arguments");
                    return plain();
                case "sam":
                    Preconditions.checkArgument(p.length == 2, "expected sam:RHO");
                    return sam(number(p[1], "rho"));
                case "asam":
                    Preconditions.checkArgument(p.length == 2 || p.length == 3, "expected asam:RHO or asam:RHO:ETA");
                    return asam(number(p[1], "rho"), p.length == 3 ? number(p[2], "eta") : DEFAULT_ETA);
                case "looksam":
                    Preconditions.checkArgument(p.length == 3 || p.length == 4,
                            "expected looksam:RHO:K or looksam:RHO:K:ALPHA");
                    return lookSam(number(p[1], "rho"), integer(p[2], "k"),
                            p.length == 4 ? number(p[3], "alpha") : DEFAULT_LOOK_ALPHA);
                default:
                    throw new IllegalArgumentException("unknown optimizer \"" + p[0] + "\"");
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("optimizer \"" + spec + "\" is not " + FORMS + " (" + e.getMessage() + ")", e);
        }
    }

    private static double number(String text, String name) {
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a number, was \"" + text + "\"", e);
        }
    }

    private static int integer(String text, String name) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer, was \"" + text + "\"", e);
        }
    }

    private static String num(double v) {
        return Double.toString(v);
    }

    /** A plain gradient step ({@code none} on the command line). */
    final class Plain implements OptimizerChoice {
        private static final Plain INSTANCE = new Plain();

        private Plain() {
        }

        @Override
        public String spec() {
            return "none";
        }

        @Override
        public Sam.Builder samBuilder(Sam.Scope scope) {
            return null;
        }

        @Override
        public String toString() {
            return spec();
        }
    }

    /**
     * Plain SAM ({@code sam:RHO}).
     *
     * @param rho the radius, &gt; 0
     */
    record SamStep(double rho) implements OptimizerChoice {

        /**
         * Checks the radius.
         *
         * @param rho the radius, &gt; 0
         * @throws IllegalArgumentException if {@code rho} is not &gt; 0
         */
        public SamStep {
            checkRho(rho);
        }

        @Override
        public String spec() {
            return "sam:" + num(rho);
        }

        @Override
        public Sam.Builder samBuilder(Sam.Scope scope) {
            return Sam.builder().rho(rho).scope(scope);
        }

        @Override
        public String toString() {
            return spec();
        }
    }

    /**
     * ASAM ({@code asam:RHO[:ETA]}).
     *
     * @param rho the radius, &gt; 0
     * @param eta the offset of {@code T = |w| + eta}, &gt;= 0
     */
    record AsamStep(double rho, double eta) implements OptimizerChoice {

        /**
         * Checks the values.
         *
         * @param rho the radius, &gt; 0
         * @param eta the offset, &gt;= 0
         * @throws IllegalArgumentException if a value is out of range
         */
        public AsamStep {
            checkRho(rho);
            Preconditions.checkArgument(eta >= 0 && Double.isFinite(eta), "eta must be >= 0, was " + eta);
        }

        @Override
        public String spec() {
            return "asam:" + num(rho) + (eta == DEFAULT_ETA ? "" : ":" + num(eta));
        }

        @Override
        public Sam.Builder samBuilder(Sam.Scope scope) {
            return Sam.builder().rho(rho).asam(eta).scope(scope);
        }

        @Override
        public String toString() {
            return spec();
        }
    }

    /**
     * LookSAM ({@code looksam:RHO:K[:ALPHA]}).
     *
     * @param rho   the radius, &gt; 0
     * @param k     the ascent period, &gt;= 1
     * @param alpha the reuse weight, &gt;= 0
     */
    record LookSamStep(double rho, int k, double alpha) implements OptimizerChoice {

        /**
         * Checks the values.
         *
         * @param rho   the radius, &gt; 0
         * @param k     the ascent period, &gt;= 1
         * @param alpha the reuse weight, &gt;= 0
         * @throws IllegalArgumentException if a value is out of range
         */
        public LookSamStep {
            checkRho(rho);
            Preconditions.checkArgument(k >= 1, "k must be >= 1, was " + k);
            Preconditions.checkArgument(alpha >= 0 && Double.isFinite(alpha), "alpha must be >= 0, was " + alpha);
        }

        @Override
        public String spec() {
            return "looksam:" + num(rho) + ":" + k + (alpha == DEFAULT_LOOK_ALPHA ? "" : ":" + num(alpha));
        }

        @Override
        public Sam.Builder samBuilder(Sam.Scope scope) {
            return Sam.builder().rho(rho).lookSam(k, alpha).scope(scope);
        }

        @Override
        public String toString() {
            return spec();
        }
    }

    private static void checkRho(double rho) {
        Preconditions.checkArgument(rho > 0 && Double.isFinite(rho), "rho must be > 0, was " + rho);
    }
}
