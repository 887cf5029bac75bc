package dev.keel.core.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

/**
 * Next-token cross-entropy with a label mask: the logits at position {@code t} predict token
 * {@code t + 1}, and only tokens whose mask is 1 count (prompt tokens and padding are 0).
 */
public final class LmLoss {

    private LmLoss() {
    }

    /**
     * The summed negative log-likelihood of the masked target tokens.
     *
     * @param logits    {@code [B, T, V]}
     * @param inputIds  {@code [B, T]} int64
     * @param labelMask {@code [B, T]}, 1 where token {@code t} is a target (position 0 never is), or
     *                  {@code null} for every position
     * @return a scalar
     */
    public static NDArray sum(NDArray logits, NDArray inputIds, NDArray labelMask) {
        Preconditions.notNull(logits, "logits");
        Preconditions.notNull(inputIds, "inputIds");
        long[] ls = logits.getShape().getShape();
        long[] is = inputIds.getShape().getShape();
        Preconditions.checkArgument(ls.length == 3 && is.length == 2 && ls[0] == is[0] && ls[1] == is[1],
                "logits " + logits.getShape() + " must be [B, T, V] for input ids " + inputIds.getShape());
        if (labelMask != null) {
            Preconditions.checkArgument(labelMask.getShape().equals(inputIds.getShape()),
                    "labelMask " + labelMask.getShape() + " must have the shape of inputIds " + inputIds.getShape());
        }
        NDArray pred = logits.get(new NDIndex(":, :-1, :"));
        NDArray logp = pred.logSoftmax(-1);
        NDArray targets = inputIds.get(new NDIndex(":, 1:")).toType(DataType.INT64, false).expandDims(-1);
        NDArray picked = logp.gather(targets, -1).squeeze(-1);
        NDArray nll;
        if (labelMask != null) {
            NDArray m = labelMask.get(new NDIndex(":, 1:")).toType(DataType.FLOAT32, false);
            nll = picked.mul(m).sum().neg();
        } else {
            nll = picked.sum().neg();
        }
        return nll;
    }

    /** The number of target tokens that {@link #sum} counts. */
    public static long count(NDArray inputIds, NDArray labelMask) {
        long[] is = inputIds.getShape().getShape();
        if (labelMask == null) {
            return is[0] * (is[1] - 1);
        }
        try (NDArray m = labelMask.get(new NDIndex(":, 1:")).toType(DataType.FLOAT32, false);
             NDArray s = m.sum()) {
            return Math.round(s.getFloat());
        }
    }

    /** The mean next-token cross-entropy over the masked target tokens; throws if there are none. */
    public static NDArray mean(NDArray logits, NDArray inputIds, NDArray labelMask) {
        long n = count(inputIds, labelMask);
        Preconditions.checkArgument(n > 0, "labelMask selects no target tokens");
        NDArray s = sum(logits, inputIds, labelMask);
        return s.div(s.getManager().create((float) n));
    }
}
