package dev.keel.core.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a main class of the test class path in a child {@code java} process, with a timeout. */
public final class ForkedJava {

    /** How the child ended: its exit status (-1 when it was killed at the timeout) and its output (stdout and stderr). */
    public record Result(int exitCode, boolean timedOut, String output) {
    }

    private ForkedJava() {
    }

    /**
     * Runs {@code mainClass} with this JVM's class path.
     *
     * @param mainClass  the class whose {@code main} runs
     * @param jvmOptions options before the class name (e.g. {@code -Xmx256m}, {@code -Dk=v})
     * @param env        extra environment variables
     * @param timeoutSec the most seconds it may run; it is killed after that
     * @param args       its arguments
     * @return how it ended
     */
    public static Result run(Class<?> mainClass, List<String> jvmOptions, Map<String, String> env, long timeoutSec, String... args)
            throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new ArrayList<>();
        cmd.add(java.toString());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.addAll(jvmOptions);
        cmd.add(mainClass.getName());
        cmd.addAll(List.of(args));
        Path log = Files.createTempFile("keel-forked", ".log");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().putAll(env);
            Process p = pb.start();
            boolean done = p.waitFor(timeoutSec, TimeUnit.SECONDS);
            if (!done) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
            String out = Files.readString(log, StandardCharsets.UTF_8);
            return new Result(done ? p.exitValue() : -1, !done, out);
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
