package dev.keel.examples.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * Issue 13, acceptance 3: a real bash script ({@code cli-script/pipeline.sh}) drives {@code keel} in
 * forked JVMs the way a script does: {@code -} for input and output, a pipe of two commands,
 * {@code --quiet} with an empty stderr, and the exit codes 0, 2 and 4. Offline.
 */
class CliScriptIT {

    @Test
    void aShellScriptPipesWithDashAndReadsTheExitCodes(@TempDir Path dir) throws Exception {
        Path bash = Path.of("/bin/bash");
        assumeThat(Files.isExecutable(bash)).as("bash").isTrue();
        Path script = dir.resolve("pipeline.sh");
        try (var in = CliScriptIT.class.getResourceAsStream("/cli-script/pipeline.sh")) {
            assertThat(in).isNotNull();
            Files.copy(in, script);
        }
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        ProcessBuilder pb = new ProcessBuilder(bash.toString(), script.toString(), dir.toString(), Integer.toString(closedPort))
                .directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
        pb.environment().put("KEEL_CP", System.getProperty("java.class.path"));
        Process p = pb.start();
        boolean ended = p.waitFor(300, TimeUnit.SECONDS);
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!ended) {
            p.destroyForcibly();
        }
        assertThat(ended).as("the script ended").isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        assertThat(output).contains("ALL OK");
    }
}
