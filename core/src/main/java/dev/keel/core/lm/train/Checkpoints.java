package dev.keel.core.lm.train;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.Provenance;
import dev.keel.core.internal.AtomicFiles;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.lm.safetensors.DType;
import dev.keel.core.lm.safetensors.SafeTensors;
import dev.keel.core.lm.safetensors.SafeTensorsFile;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The checkpoint files of an {@link LmTrainer} run, in one directory: one {@code step-NNNNNN/}
 * directory per checkpoint ({@code trainer_state.safetensors} with the parameters and AdamW's
 * moments, {@code trainer_state.json} with the step, the loss history and provenance, plus what the
 * caller's {@link LmTrainer.CheckpointExtras} adds), and a {@code latest} file naming the newest.
 *
 * <p>A checkpoint is built in a hidden temporary directory and renamed into place, and
 * {@code latest} is replaced atomically after it, so a crash leaves the previous checkpoint
 * readable. Only the newest {@code keep} checkpoints are kept.
 */
final class Checkpoints {

    /** The file naming the newest checkpoint directory. */
    static final String LATEST = "latest";

    private static final Pattern NAME = Pattern.compile("step-\\d{6}");

    private final Path dir;
    private final int keep;

    /**
     * The checkpoints under {@code dir}.
     *
     * @param dir  the checkpoint directory (made on the first write)
     * @param keep how many checkpoints to keep, &gt; 0
     */
    Checkpoints(Path dir, int keep) {
        this.dir = Preconditions.notNull(dir, "dir");
        this.keep = Preconditions.checkPositive(keep, "keep");
    }

    /**
     * The directory name of the checkpoint after {@code step} optimizer steps.
     *
     * @param step the step, &gt;= 0
     * @return e.g. {@code step-000042}
     */
    static String name(int step) {
        Preconditions.checkArgument(step >= 0, "step must be >= 0, was " + step);
        return String.format(Locale.ROOT, "step-%06d", step);
    }

    /**
     * The checkpoint {@code latest} names, if there is one.
     *
     * @return the newest checkpoint's directory, or empty when none was written
     * @throws IOException if {@code latest} cannot be read, or names no checkpoint directory
     */
    Optional<Path> latest() throws IOException {
        Path pointer = dir.resolve(LATEST);
        if (!Files.exists(pointer)) {
            return Optional.empty();
        }
        String name = Files.readString(pointer).strip();
        if (!NAME.matcher(name).matches() || !Files.isDirectory(dir.resolve(name))) {
            throw new IOException(pointer + ": names \"" + name + "\", which is not a checkpoint directory in " + dir);
        }
        return Optional.of(dir.resolve(name));
    }

    /**
     * Writes the checkpoint after {@code step} steps and points {@code latest} at it, then prunes
     * the oldest beyond {@code keep}.
     *
     * @param step       optimizer steps taken
     * @param params     the trained parameters, by name
     * @param optimizer  the optimizer whose moments are saved
     * @param losses     the loss of every step so far
     * @param provenance recorded in {@code trainer_state.json}
     * @param settings   the run's settings (the training configuration and the caller's own), which a
     *                   resume compares with its own; recorded under {@code "settings"}
     * @param extras     writes more files into the checkpoint, or {@code null}
     * @return the checkpoint's directory
     * @throws IOException if a file cannot be written (the previous checkpoint stays in place)
     */
    Path write(int step, Map<String, Parameter> params, AdamW optimizer, List<Float> losses, Provenance provenance,
               Map<String, String> settings, LmTrainer.CheckpointExtras extras) throws IOException {
        Files.createDirectories(dir);
        String name = name(step);
        Path target = dir.resolve(name);
        Path tmp = Files.createTempDirectory(dir, "." + name + ".");
        boolean done = false;
        try {
            SafeTensors.Writer w = SafeTensors.writer().metadata("format", "pt").metadata("step", Integer.toString(step));
            for (Map.Entry<String, Parameter> e : params.entrySet()) {
                w.add("param/" + e.getKey(), e.getValue().getArray(), DType.F32);
                w.add("adam_m/" + e.getKey(), optimizer.firstMoments().get(e.getKey()), DType.F32);
                w.add("adam_v/" + e.getKey(), optimizer.secondMoments().get(e.getKey()), DType.F32);
            }
            w.write(tmp.resolve("trainer_state.safetensors"));
            ObjectNode state = Json.mapper().createObjectNode();
            state.put("step", step);
            state.put("optimizer_steps", optimizer.steps());
            ArrayNode l = state.putArray("losses");
            losses.forEach(l::add);
            ObjectNode pn = state.putObject("provenance");
            pn.put("library", provenance.library());
            pn.put("model", provenance.model());
            ObjectNode cfg = pn.putObject("config");
            provenance.config().forEach(cfg::put);
            pn.put("seed", provenance.seed());
            pn.put("time", provenance.time().toString());
            ObjectNode st = state.putObject("settings");
            settings.forEach(st::put);
            AtomicFiles.writeString(tmp.resolve("trainer_state.json"),
                    Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(state));
            if (extras != null) {
                extras.write(tmp);
            }
            if (Files.exists(target)) {
                deleteTree(target);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target);
            }
            done = true;
        } finally {
            if (!done) {
                deleteTree(tmp);
            }
        }
        AtomicFiles.writeString(dir.resolve(LATEST), name + "\n");
        prune(name);
        return target;
    }

    /**
     * Loads a checkpoint into {@code params} and {@code optimizer} and appends its loss history to
     * {@code losses}. Every parameter must be there with its shape.
     *
     * @param checkpoint the checkpoint's directory
     * @param params     the parameters to set, by name
     * @param optimizer  the optimizer to give the saved moments
     * @param losses     receives the saved loss history
     * @return the step the checkpoint was taken at
     * @throws IOException if a file cannot be read, has no step, or lacks a parameter or has it in another shape
     */
    static int restore(Path checkpoint, Map<String, Parameter> params, AdamW optimizer, List<Float> losses)
            throws IOException {
        JsonNode state = Json.readFile(checkpoint.resolve("trainer_state.json"));
        int step = state.path("step").asInt(-1);
        if (step < 0) {
            throw new IOException(checkpoint + ": trainer_state.json has no step");
        }
        Map<String, float[]> first = new LinkedHashMap<>();
        Map<String, float[]> second = new LinkedHashMap<>();
        try (SafeTensorsFile f = SafeTensorsFile.open(checkpoint.resolve("trainer_state.safetensors"))) {
            for (Map.Entry<String, Parameter> e : params.entrySet()) {
                String key = "param/" + e.getKey();
                if (!f.contains(key)) {
                    throw new IOException(checkpoint + ": checkpoint has no parameter \"" + e.getKey() + "\"");
                }
                NDArray a = e.getValue().getArray();
                long[] expected = a.getShape().getShape();
                if (!Arrays.equals(f.info(key).shape(), expected)) {
                    throw new IOException(checkpoint + ": parameter \"" + e.getKey() + "\" has shape "
                            + Arrays.toString(f.info(key).shape()) + ", expected " + Arrays.toString(expected));
                }
                a.set(FloatBuffer.wrap(f.readFloats(key)));
                first.put(e.getKey(), f.readFloats("adam_m/" + e.getKey()));
                second.put(e.getKey(), f.readFloats("adam_v/" + e.getKey()));
            }
        }
        optimizer.restore(state.path("optimizer_steps").asInt(step), first, second);
        for (JsonNode l : state.path("losses")) {
            losses.add(l.floatValue());
        }
        return step;
    }

    /**
     * The settings a checkpoint was written with: its {@code "settings"} object, or for a checkpoint
     * written before settings were recorded, the training configuration in its provenance.
     *
     * @param checkpoint the checkpoint's directory
     * @return the settings, by name, in the order they were written
     * @throws IOException if {@code trainer_state.json} cannot be read, or a setting is not a string
     */
    static Map<String, String> settings(Path checkpoint) throws IOException {
        JsonNode state = Json.readFile(checkpoint.resolve("trainer_state.json"));
        JsonNode s = state.has("settings") ? state.get("settings") : state.path("provenance").path("config");
        Map<String, String> out = new LinkedHashMap<>();
        var it = s.fields();
        while (it.hasNext()) {
            var e = it.next();
            if (!e.getValue().isTextual()) {
                throw new IOException(checkpoint.resolve("trainer_state.json") + ": setting \"" + e.getKey()
                        + "\" must be a string, was " + e.getValue());
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    /** Deletes the oldest checkpoint directories beyond {@code keep}, never {@code current}. */
    private void prune(String current) throws IOException {
        List<Path> all;
        try (Stream<Path> s = Files.list(dir)) {
            all = new ArrayList<>(s.filter(p -> NAME.matcher(p.getFileName().toString()).matches() && Files.isDirectory(p))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString())).toList());
        }
        while (all.size() > keep) {
            Path oldest = all.remove(0);
            if (!oldest.getFileName().toString().equals(current)) {
                deleteTree(oldest);
            }
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }
}
