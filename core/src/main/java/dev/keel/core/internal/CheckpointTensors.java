package dev.keel.core.internal;

import dev.keel.core.lm.safetensors.TensorInfo;
import dev.keel.core.lm.safetensors.TensorSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The exact-or-refused check every Keel model loader runs on a checkpoint before it reads a weight:
 * every expected tensor present with its shape and a floating-point dtype, and every tensor of the
 * checkpoint used. Not API.
 */
public final class CheckpointTensors {

    /** How many names a message lists before it says how many more there are. */
    static final int NAMES_LISTED = 12;

    private CheckpointTensors() {
    }

    /**
     * Checks {@code source} against the expected tensors.
     *
     * @param source     the checkpoint's tensors
     * @param expected   the tensors the model reads, by name, with their shapes
     * @param model      the model's configuration, named in messages
     * @param derived    names the checkpoint may also hold and the model recomputes (e.g. rotary
     *                   inverse frequencies); {@code name -> false} for none
     * @param tiedHead   the name of the output projection a tied model may also store (equal to the
     *                   embedding, which the caller checks)
     * @param tied       whether the model ties its output projection to the embedding
     * @return whether the checkpoint stores {@code tiedHead} although the model is tied (the caller
     *         then compares it with the embedding and refuses it if it differs)
     * @throws IOException naming the tensors that are missing, misshapen, not floating point or would
     *                     be left unused
     */
    public static boolean check(TensorSource source, Map<String, long[]> expected, Object model,
                                Predicate<String> derived, String tiedHead, boolean tied) throws IOException {
        Preconditions.notNull(source, "source");
        Preconditions.notNull(expected, "expected");
        Preconditions.notNull(derived, "derived");
        Preconditions.notNull(tiedHead, "tiedHead");
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            if (!source.contains(e.getKey())) {
                missing.add(e.getKey() + " " + Arrays.toString(e.getValue()));
                continue;
            }
            TensorInfo info = source.info(e.getKey());
            if (!Arrays.equals(info.shape(), e.getValue())) {
                throw new IOException("tensor \"" + e.getKey() + "\" has shape " + Arrays.toString(info.shape())
                        + ", expected " + Arrays.toString(e.getValue()) + " for " + model);
            }
            if (!info.dtype().isFloating()) {
                throw new IOException("tensor \"" + e.getKey() + "\" has dtype " + info.dtype()
                        + ", expected a floating-point type");
            }
        }
        if (!missing.isEmpty()) {
            throw new IOException("checkpoint has no tensor " + listed(missing) + " (name and expected shape) for " + model);
        }
        boolean tiedHeadStored = false;
        List<String> unused = new ArrayList<>();
        for (String name : source.names()) {
            if (expected.containsKey(name) || derived.test(name)) {
                continue;
            }
            if (name.equals(tiedHead) && tied) {
                tiedHeadStored = true;
                continue;
            }
            unused.add(name);
        }
        if (!unused.isEmpty()) {
            unused.sort(null);
            throw new IOException("checkpoint tensor " + listed(unused) + " would be left unused by " + model
                    + "; refusing a partial load (is config.json the checkpoint's own?)");
        }
        return tiedHeadStored;
    }

    /**
     * Names for a message: the first {@value #NAMES_LISTED}, then how many more, and the count.
     *
     * @param names the names
     * @return {@code [a, b, ... 3 more] (5 tensors)}
     */
    public static String listed(List<String> names) {
        String shown = String.join(", ", names.subList(0, Math.min(NAMES_LISTED, names.size())));
        return "[" + shown + (names.size() > NAMES_LISTED ? ", ... " + (names.size() - NAMES_LISTED) + " more" : "")
                + "]" + (names.size() > 1 ? " (" + names.size() + " tensors)" : "");
    }
}
