package dev.keel.benchmarks;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.keel.core.lm.LlamaModel;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Resident memory of a process holding one loaded {@link LlamaModel} of {@link LmBenchmark}'s shapes: run
 * in a fresh JVM per setting, it loads the shape's BF16 checkpoint (written first if absent) with the weights
 * kept as stored or expanded to F32, then prints one JSON line with the process's VmRSS and VmHWM (from
 * {@code /proc/self/status}, RSS split into anonymous and file-backed pages), the Java heap in use and committed, the bytes of the weights on the device,
 * and the RSS again after a 16-token forward. RSS minus committed heap is the native side (PyTorch's
 * tensors, the JVM's own code and metadata).
 *
 * <pre>
 * java -Xmx6g -cp benchmarks/target/benchmarks.jar dev.keel.benchmarks.LmMemory qwen3-0.6b bf16
 * </pre>
 */
public final class LmMemory {

    private LmMemory() {
    }

    /**
     * Runs one measurement.
     *
     * @param args the shape ({@code smollm2-135m}, {@code qwen3-0.6b}) and the weights ({@code bf16}, {@code f32})
     * @throws IOException if the checkpoint cannot be written or read
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: LmMemory SHAPE WEIGHTS (e.g. qwen3-0.6b bf16), got "
                    + args.length + " arguments");
        }
        Path dir = LmBenchmark.checkpoint(args[0]);
        if (Boolean.getBoolean("keel.memory.prepareOnly")) {
            return;
        }
        long before = kib("VmRSS");
        try (NDManager root = NDManager.newBaseManager(Device.cpu());
             LlamaModel model = LlamaModel.load(dir, root, LmBenchmark.options(args[1]))) {
            // unmap the checkpoint's mapped buffers (file pages count in RSS while mapped)
            for (int i = 0; i < 3; i++) {
                System.gc();
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            long rss = kib("VmRSS");
            long anon = kib("RssAnon");
            long file = kib("RssFile");
            long hwm = kib("VmHWM");
            MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
            try (NDManager sm = model.manager().newSubManager()) {
                long[][] ids = new long[1][16];
                for (int i = 0; i < 16; i++) {
                    ids[0][i] = 5 + i;
                }
                model.forward(sm.create(ids)).getShape();
            }
            long afterForward = kib("VmRSS");
            System.out.println(String.format(Locale.ROOT,
                    "{\"shape\": \"%s\", \"weights\": \"%s\", \"weightBytes\": %d, \"rssBeforeLoadMiB\": %.1f, "
                            + "\"rssMiB\": %.1f, \"rssAnonMiB\": %.1f, \"rssFileMiB\": %.1f, \"hwmMiB\": %.1f, \"heapUsedMiB\": %.1f, \"heapCommittedMiB\": %.1f, "
                            + "\"rssAfterForwardMiB\": %.1f}",
                    args[0], args[1], model.weightBytes(), before / 1024.0, rss / 1024.0, anon / 1024.0, file / 1024.0,
                    hwm / 1024.0,
                    heap.getUsed() / 1048576.0, heap.getCommitted() / 1048576.0, afterForward / 1024.0));
        }
    }

    private static long kib(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1).replace("kB", "").trim());
            }
        }
        throw new IOException("/proc/self/status has no " + field);
    }
}
