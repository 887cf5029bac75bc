package dev.keel.sam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.internal.Gradients;
import dev.keel.sam.internal.ParamSnapshot;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Max-sharpness {@code max_{||e|| <= rho} L(w + e) - L(w)} (Keskar et al., Foret et al.), estimated by
 * a few steps of projected gradient ascent on {@code e}: {@code e <- P(e + rho * g / ||g||)} with
 * {@code g} the gradient at {@code w + e} and {@code P} the projection onto the ball of radius
 * {@code rho}; the largest loss seen counts. It is a lower bound on the true maximum. The weights are
 * put back exactly; parameters without gradients (frozen base weights) take them for the duration.
 *
 * @param value        the estimate, {@code maxLoss - baseLoss} (>= 0)
 * @param baseLoss     {@code L(w)}
 * @param maxLoss      the largest {@code L(w + e)} seen
 * @param rho          the radius
 * @param steps        ascent steps taken
 */
public record MaxSharpness(double value, double baseLoss, double maxLoss, double rho, int steps) {

    /**
     * Estimates max-sharpness of {@code objective}'s loss over {@code params}.
     *
     * @param rho   the radius, > 0
     * @param steps ascent steps, >= 1
     * @param objective the loss being measured
     * @param params the parameters, by name
     * @return the new value
     */
    public static MaxSharpness of(LmObjective objective, Map<String, Parameter> params, double rho, int steps) {
        Preconditions.notNull(objective, "objective");
        Preconditions.notNull(params, "params");
        Preconditions.checkArgument(!params.isEmpty(), "params must not be empty");
        Preconditions.checkArgument(rho > 0 && Double.isFinite(rho), "rho must be > 0, was " + rho);
        Preconditions.checkArgument(steps >= 1, "steps must be >= 1, was " + steps);
        LmObjective withGrads = LmObjective.of(objective.model(), params, objective.examples());
        List<Parameter> thawed = new ArrayList<>();
        for (Parameter p : params.values()) {
            if (!p.getArray().hasGradient()) {
                p.freeze(false);
                thawed.add(p);
            }
        }
        double base = objective.loss();
        double best = base;
        try (ParamSnapshot snap = ParamSnapshot.of(params)) {
            NDManager m = snap.manager();
            List<NDArray> w = new ArrayList<>();
            List<NDArray> w0 = new ArrayList<>();
            List<NDArray> eps = new ArrayList<>();
            for (Map.Entry<String, Parameter> e : params.entrySet()) {
                w.add(e.getValue().getArray());
                w0.add(snap.values().get(e.getKey()));
                eps.add(m.zeros(e.getValue().getArray().getShape()));
            }
            try {
                for (int s = 0; s < steps; s++) {
                    withGrads.run();
                    try (NDManager tmp = m.newSubManager()) {
                        List<NDArray> g = new ArrayList<>();
                        for (Parameter p : params.values()) {
                            NDArray c = Gradients.copyOf(p);
                            c.attach(tmp);
                            g.add(c);
                        }
                        float gs = (float) (rho / (Math.sqrt(Sam.sumSquares(g)) + Sam.NORM_EPS));
                        for (int i = 0; i < eps.size(); i++) {
                            NDArray stepped = g.get(i).mul(gs);
                            stepped.attach(tmp);
                            eps.get(i).addi(stepped);
                        }
                        double norm = Math.sqrt(Sam.sumSquares(eps));
                        if (norm > rho) {
                            for (NDArray e : eps) {
                                e.muli((float) (rho / norm));
                            }
                        }
                        for (int i = 0; i < w.size(); i++) {
                            NDArray moved = w0.get(i).add(eps.get(i));
                            moved.attach(tmp);
                            w.get(i).set(new NDIndex("..."), moved);
                        }
                    }
                    best = Math.max(best, objective.loss());
                }
            } finally {
                snap.restore();
                Gradients.zero(params.values());
                for (Parameter p : thawed) {
                    p.freeze(true);
                }
            }
        }
        return new MaxSharpness(best - base, base, best, rho, steps);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "MaxSharpness[%.4g (L %.4f -> %.4f, rho %s, %d steps)]",
                value, baseLoss, maxLoss, rho, steps);
    }
}
