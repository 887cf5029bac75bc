package dev.keel.sam;

import ai.djl.nn.Parameter;
import dev.keel.core.internal.Preconditions;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleFunction;

/**
 * WiSE-FT (Wortsman et al., 2022): the weights {@code theta = (1 - alpha) theta0 + alpha theta1}
 * between a model before ({@code theta0}) and after ({@code theta1}) fine-tuning; {@code alpha = 0} is
 * the original, {@code alpha = 1} the fine-tuned model.
 *
 * <p>For a LoRA adapter trained from PEFT's initialisation, take {@link #zeroAdapter} of the trained
 * values as {@code theta0} (same {@code lora_A}, {@code lora_B = 0}, i.e. no change to the model):
 * interpolating the adapter parameters then gives {@code lora_B = alpha B1}, whose weight update is
 * exactly {@code alpha * Delta W1} — WiSE-FT in weight space. (Interpolating A and B both from
 * different values would not be linear in the weights.)
 *
 * <pre>{@code
 * Map<String, float[]> tuned = WiseFt.capture(lora.parameters());
 * List<WiseFt.Point<Double>> curve = WiseFt.sweep(lora.parameters(), WiseFt.zeroAdapter(tuned), tuned,
 *         WiseFt.alphas(5), alpha -> taskA.loss());
 * }</pre>
 */
public final class WiseFt {

    /** One point of an alpha sweep. */
    public record Point<R>(double alpha, R value) {
    }

    private WiseFt() {
    }

    /**
     * The current values of {@code params}, by name, as host copies.
     *
     * @param params the parameters, by name
     * @return a copy of each tensor, by name
     */
    public static Map<String, float[]> capture(Map<String, Parameter> params) {
        Preconditions.notNull(params, "params");
        Map<String, float[]> out = new LinkedHashMap<>();
        params.forEach((k, p) -> out.put(k, p.getArray().toFloatArray()));
        return out;
    }

    /**
     * {@code adapter} values with every {@code lora_B} set to zero: the adapter that changes nothing.
     *
     * @param adapter the LoRA adapter
     * @return the same shapes, all zeros
     */
    public static Map<String, float[]> zeroAdapter(Map<String, float[]> adapter) {
        Preconditions.notNull(adapter, "adapter");
        Map<String, float[]> out = new LinkedHashMap<>();
        adapter.forEach((k, v) -> out.put(k, k.contains("lora_B") ? new float[v.length] : v.clone()));
        return out;
    }

    /**
     * {@code (1 - alpha) theta0 + alpha theta1}, key by key; both maps must have the same keys and lengths.
     *
     * @param theta0 the weights at alpha 0
     * @param theta1 the weights at alpha 1
     * @param alpha the mixing weight
     * @return the interpolated tensors, by name
     */
    public static Map<String, float[]> interpolate(Map<String, float[]> theta0, Map<String, float[]> theta1, double alpha) {
        Preconditions.notNull(theta0, "theta0");
        Preconditions.notNull(theta1, "theta1");
        checkAlpha(alpha);
        Preconditions.checkArgument(theta0.keySet().equals(theta1.keySet()),
                "theta0 and theta1 must name the same tensors, were " + theta0.keySet() + " and " + theta1.keySet());
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, float[]> e : theta0.entrySet()) {
            float[] a = e.getValue();
            float[] b = theta1.get(e.getKey());
            Preconditions.checkArgument(a.length == b.length,
                    "tensor \"" + e.getKey() + "\" has " + a.length + " values in theta0 and " + b.length + " in theta1");
            float[] mix;
            if (alpha == 0) {
                mix = a.clone();
            } else if (alpha == 1) {
                mix = b.clone();
            } else {
                mix = new float[a.length];
                for (int i = 0; i < mix.length; i++) {
                    mix[i] = (float) ((1 - alpha) * a[i] + alpha * b[i]);
                }
            }
            out.put(e.getKey(), mix);
        }
        return out;
    }

    /**
     * Writes {@link #interpolate}{@code (theta0, theta1, alpha)} into {@code params}.
     *
     * @param params the parameters, by name
     * @param theta0 the weights at alpha 0
     * @param theta1 the weights at alpha 1
     * @param alpha the mixing weight
     */
    public static void apply(Map<String, Parameter> params, Map<String, float[]> theta0, Map<String, float[]> theta1,
                             double alpha) {
        Preconditions.notNull(params, "params");
        Map<String, float[]> mix = interpolate(theta0, theta1, alpha);
        Preconditions.checkArgument(params.keySet().equals(mix.keySet()),
                "params " + params.keySet() + " and the interpolated tensors " + mix.keySet() + " differ");
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            long size = e.getValue().getArray().size();
            float[] v = mix.get(e.getKey());
            Preconditions.checkArgument(size == v.length,
                    "parameter \"" + e.getKey() + "\" has " + size + " values, the interpolation " + v.length);
            e.getValue().getArray().set(v);
        }
    }

    /**
     * {@code n >= 2} evenly spaced values from 0 to 1.
     *
     * @param n how many
     * @return the alphas
     */
    public static double[] alphas(int n) {
        Preconditions.checkArgument(n >= 2, "an alpha sweep needs >= 2 points, was " + n);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = i == n - 1 ? 1.0 : (double) i / (n - 1);
        }
        return out;
    }

    /**
     * Evaluates {@code evaluate} at each alpha (with the interpolated weights in {@code params}) and
     * leaves {@code params} at {@code theta1} afterwards.
     *
     * @param <R> the type of the result
     * @param params the parameters, by name
     * @param theta0 the weights at alpha 0
     * @param theta1 the weights at alpha 1
     * @param alphas the mixing weights to visit, in order
     * @param evaluate measures the model at the current weights
     * @return the value at each alpha, in order
     */
    public static <R> List<Point<R>> sweep(Map<String, Parameter> params, Map<String, float[]> theta0,
                                           Map<String, float[]> theta1, double[] alphas, DoubleFunction<R> evaluate) {
        Preconditions.notNull(alphas, "alphas");
        Preconditions.notNull(evaluate, "evaluate");
        Preconditions.checkArgument(alphas.length > 0, "alphas must not be empty");
        for (double a : alphas) {
            checkAlpha(a);
        }
        List<Point<R>> out = new ArrayList<>();
        try {
            for (double a : alphas) {
                apply(params, theta0, theta1, a);
                out.add(new Point<>(a, evaluate.apply(a)));
            }
        } finally {
            apply(params, theta0, theta1, 1.0);
        }
        return out;
    }

    private static void checkAlpha(double alpha) {
        Preconditions.checkArgument(alpha >= 0 && alpha <= 1, "alpha must be in [0, 1], was " + alpha);
    }
}
