package dev.keel.core.device;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.keel.core.internal.Preconditions;

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

    /**
     * The process-wide default device, chosen on first use.
     *
     * @return the process-wide default device, chosen on first use
     */
    public static Device defaultDevice() {
        return Holder.DEFAULT;
    }

    /**
     * Parses a device specification: {@code auto}, {@code cpu}, {@code gpu} or {@code gpu:N}.
     *
     * @param spec the specification, e.g. {@code gpu:1}
     * @return the device it names; for {@code auto}, a GPU if one is visible, else the CPU
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

    /** The Maven coordinates of the CPU build of PyTorch's native library that this Keel was built against. */
    public static final String PYTORCH_NATIVE_CPU = "ai.djl.pytorch:pytorch-native-cpu:2.7.1:linux-x86_64";

    /**
     * Whether PyTorch's native library can be had without a download: a {@code pytorch-native-*}
     * jar on the class path, or a library the user points at with {@code PYTORCH_LIBRARY_PATH}
     * (DJL's own variable). Looks, loads nothing.
     *
     * @return true where the language-model and tensor code can run
     */
    public static boolean pyTorchNativePresent() {
        if (Devices.class.getClassLoader().getResource("native/lib/pytorch.properties") != null) {
            return true;
        }
        String path = System.getenv("PYTORCH_LIBRARY_PATH");
        return path != null && !path.isBlank();
    }

    /**
     * Refuses to go on where PyTorch's native library is missing, naming the artifact to add.
     * Keel does not bring the native library itself: its flavour (CPU or a CUDA build) is the
     * user's choice, as in DJL.
     *
     * @param what what needs the engine, for the message (e.g. {@code "LlamaModel"})
     * @throws EngineMissingException if no native library is on the class path or configured
     */
    public static void requirePyTorch(String what) {
        requirePyTorch(what, pyTorchNativePresent());
    }

    /** {@link #requirePyTorch(String)} with the look-up's answer given, so that the refusal can be tested. */
    static void requirePyTorch(String what, boolean present) {
        if (!present) {
            throw new EngineMissingException(what + " runs on DJL's PyTorch engine, but no PyTorch native library is on the class path: "
                    + "add the dependency " + PYTORCH_NATIVE_CPU + " (or a CUDA build, ai.djl.pytorch:pytorch-native-cuXYZ, for a GPU), "
                    + "or set PYTORCH_LIBRARY_PATH to a libtorch of version 2.7.1");
        }
    }

    /**
     * How many GPUs the PyTorch engine sees (0 where it cannot load or has no CUDA).
     *
     * @return how many GPUs the PyTorch engine sees (0 where it cannot load or has no CUDA)
     */
    public static int gpuCount() {
        if (!pyTorchNativePresent()) {
            return 0;
        }
        try {
            return Engine.getEngine("PyTorch").getGpuCount();
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return 0;
        }
    }
}
