package dev.keel.sam;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.lm.CausalLm;
import dev.keel.core.internal.LmLoss;
import dev.keel.core.lm.train.GradientPass;
import dev.keel.core.internal.Gradients;
import dev.keel.core.lm.train.LmTrainer;
import dev.keel.core.lm.train.TrainingExample;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The mean next-token loss of a model over a fixed set of examples (targets only, as in
 * {@link LmTrainer}), as a {@link GradientPass} for {@link Sam#step} and as a plain number for loss
 * landscapes and evaluation. Examples are processed in right-padded batches of {@code batchSize}.
 *
 * <pre>{@code
 * LmObjective objective = LmObjective.of(model, lora.parameters(), examples, 8);
 * double before = objective.loss();
 * }</pre>
 */
public final class LmObjective implements GradientPass {

    private final CausalLm model;
    private final Map<String, Parameter> params;
    private final List<TrainingExample> examples;
    private final int batchSize;
    private final long targets;

    private LmObjective(CausalLm model, Map<String, Parameter> params, List<TrainingExample> examples, int batchSize) {
        this.model = model;
        this.params = new LinkedHashMap<>(params);
        this.examples = List.copyOf(examples);
        this.batchSize = batchSize;
        long n = 0;
        for (TrainingExample e : this.examples) {
            n += e.targetCount();
        }
        Preconditions.checkArgument(n > 0, "examples hold no target tokens (" + this.examples.size() + " examples)");
        this.targets = n;
    }

    /**
     * All examples in one batch.
     *
     * @param model the model
     * @param params the parameters, by name
     * @param examples the training examples
     * @return the new value
     */
    public static LmObjective of(CausalLm model, Map<String, Parameter> params, List<TrainingExample> examples) {
        return of(model, params, examples, Integer.MAX_VALUE);
    }

    /**
     * @param params    the parameters whose gradients {@link #run} computes (may be empty for {@link #loss} only)
     * @param batchSize examples per forward pass, > 0
     * @param model the model
     * @param examples the training examples
     * @return the new value
     */
    public static LmObjective of(CausalLm model, Map<String, Parameter> params, List<TrainingExample> examples,
                                 int batchSize) {
        Preconditions.notNull(model, "model");
        Preconditions.notNull(params, "params");
        Preconditions.notEmpty(examples, "examples");
        Preconditions.checkArgument(batchSize > 0, "batchSize must be > 0, was " + batchSize);
        return new LmObjective(model, params, examples, batchSize);
    }

    /**
     * The model.
     *
     * @return the model
     */
    public CausalLm model() {
        return model;
    }

    /**
     * The examples.
     *
     * @return the examples
     */
    public List<TrainingExample> examples() {
        return examples;
    }

    /**
     * The number of target tokens the loss averages over.
     *
     * @return the target tokens
     */
    public long targetTokens() {
        return targets;
    }

    /** Zeroes the gradients, then forward and backward over all examples; returns the mean loss. */
    @Override
    public float run() {
        Preconditions.checkState(!params.isEmpty(), "LmObjective has no parameters to compute gradients for");
        Gradients.zero(params.values());
        double total = 0;
        for (List<TrainingExample> batch : batches()) {
            try (NDManager sm = model.manager().newSubManager()) {
                NDArray[] a = LmTrainer.collate(sm, batch, 0);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray logits = model.forward(a[0], a[1], null, true);
                    NDArray sum = LmLoss.sum(logits, a[0], a[2]);
                    NDArray scaled = sum.div(sm.create((float) targets));
                    gc.backward(scaled);
                    total += sum.getFloat();
                }
            }
        }
        return (float) (total / targets);
    }

    /**
     * The mean loss at the current weights, without gradients.
     *
     * @return the loss
     */
    public double loss() {
        return evaluate()[0];
    }

    /**
     * The share of target tokens that the model's top-1 prediction gets right, in [0, 1].
     *
     * @return the accuracy
     */
    public double accuracy() {
        return evaluate()[1];
    }

    /**
     * {@code [mean loss, top-1 accuracy]} in one sweep over the examples, without gradients.
     *
     * @return {@code [mean loss, next-token accuracy]}
     */
    public double[] evaluate() {
        double total = 0;
        double correct = 0;
        for (List<TrainingExample> batch : batches()) {
            try (NDManager sm = model.manager().newSubManager()) {
                NDArray[] a = LmTrainer.collate(sm, batch, 0);
                NDArray logits = model.forward(a[0], a[1], null, false);
                total += LmLoss.sum(logits, a[0], a[2]).getFloat();
                NDArray pred = logits.get(new NDIndex(":, :-1, :")).argMax(-1).toType(DataType.INT64, false);
                NDArray target = a[0].get(new NDIndex(":, 1:"));
                NDArray mask = a[2].get(new NDIndex(":, 1:"));
                NDArray hits = pred.eq(target).toType(DataType.FLOAT32, false).mul(mask).sum();
                correct += hits.getFloat();
            }
        }
        return new double[] {total / targets, correct / targets};
    }

    private List<List<TrainingExample>> batches() {
        List<List<TrainingExample>> out = new ArrayList<>();
        for (int i = 0; i < examples.size(); i += Math.min(batchSize, examples.size())) {
            out.add(examples.subList(i, Math.min(examples.size(), i + batchSize)));
        }
        return out;
    }
}
