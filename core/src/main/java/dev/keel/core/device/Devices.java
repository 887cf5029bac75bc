package dev.keel.core.device;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.keel.core.Preconditions;

import java.util.Locale;

/**
 * Chooses the device Keel computes on, once per process: a GPU when DJL's PyTorch engine sees one,
 * the CPU otherwise. The system property {@code keel.device} overrides the choice ({@code auto},
 * {@code cpu}, {@code gpu} or {@code gpu:N}); components that take a device in their builder
 * override it for themselves.
 */
public final class Devices {

    /** The system property that overrides the automatic choice. */
    public static final String PROPERTY = "keel.device";

    private Devices() {
    }

    private static final class Holder {
        static final Device DEFAULT = choose(System.getProperty(PROPERTY, "auto"));
    }

    /** The process-wide default device, chosen on first use. */
    public static Device defaultDevice() {
        return Holder.DEFAULT;
    }

    /**
     * Parses a device specification: {@code auto}, {@code cpu}, {@code gpu} or {@code gpu:N}.
     *
     * @throws IllegalArgumentException if the value is none of these, or names a GPU that is not there
     */
    public static Device choose(String spec) {
        Preconditions.notNull(spec, "spec");
        String s = spec.trim().toLowerCase(Locale.ROOT);
        if (s.equals("cpu")) {
            return Device.cpu();
        }
        if (s.equals("auto") || s.isEmpty()) {
            return gpuCount() > 0 ? Device.gpu(0) : Device.cpu();
        }
        if (s.equals("gpu") || s.startsWith("gpu:")) {
            int id = 0;
            if (s.startsWith("gpu:")) {
                try {
                    id = Integer.parseInt(s.substring(4));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(PROPERTY + " must be auto, cpu, gpu or gpu:N, was \"" + spec + "\"", e);
                }
            }
            int count = gpuCount();
            if (id < 0 || id >= count) {
                throw new IllegalArgumentException(PROPERTY + "=" + spec + " names GPU " + id + " but " + count + " GPU(s) are visible");
            }
            return Device.gpu(id);
        }
        throw new IllegalArgumentException(PROPERTY + " must be auto, cpu, gpu or gpu:N, was \"" + spec + "\"");
    }

    /** How many GPUs the PyTorch engine sees (0 where it cannot load or has no CUDA). */
    public static int gpuCount() {
        try {
            return Engine.getEngine("PyTorch").getGpuCount();
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return 0;
        }
    }
}
