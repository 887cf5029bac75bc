package dev.keel.core.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

/** {@link AtomicFiles} and non-regular targets, SIGTERM mid-write, unwritable directories, inputs as outputs. */
class AtomicFilesHardeningTest {

    /** The forked writer: writes 1 MB into {@code args[0]}, says READY, then waits to be killed. */
    public static void main(String[] args) throws Exception {
        AtomicFiles.write(Path.of(args[0]), out -> {
            out.write(new byte[1 << 20]);
            out.flush();
            System.out.println("READY");
            System.out.flush();
            try {
                Thread.sleep(120_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void sigtermMidWriteLeavesNoTemporaryFile(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("out.bin");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
                "-cp", System.getProperty("java.class.path"), AtomicFilesHardeningTest.class.getName(), target.toString())
                .redirectErrorStream(true).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null && !line.equals("READY")) {
                // skip whatever the JVM prints first
            }
            assertThat(line).isEqualTo("READY");
            assertThat(names(dir)).singleElement().satisfies(n -> assertThat(n).startsWith(".out.bin.").endsWith(".tmp"));
            p.destroy(); // SIGTERM
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
        assertThat(names(dir)).isEmpty();
    }

    @Test
    void aNonRegularTargetIsWrittenDirectlyNeverReplaced(@TempDir Path dir) throws Exception {
        Path devNull = Path.of("/dev/null");
        assumeThat(Files.exists(devNull)).isTrue();
        AtomicFiles.writeString(devNull, "gone\n");
        assertThat(Files.isRegularFile(devNull)).isFalse();
        assertThat(AtomicFiles.isStream(devNull)).isTrue();
        assertThat(AtomicFiles.isStream(dir.resolve("nope"))).isFalse();

        Path fifo = dir.resolve("pipe");
        assumeThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        String[] read = new String[1];
        Thread reader = new Thread(() -> {
            try {
                read[0] = Files.readString(fifo);
            } catch (IOException e) {
                read[0] = e.toString();
            }
        });
        reader.start();
        AtomicFiles.writeString(fifo, "through the pipe\n");
        reader.join(10_000);
        assertThat(read[0]).isEqualTo("through the pipe\n");
        assertThat(Files.isRegularFile(fifo)).isFalse();
        assertThat(names(dir)).containsExactly("pipe");
    }

    @Test
    void anUnwritableDirectoryIsNamedByTheTargetTheCallerGave(@TempDir Path dir) throws Exception {
        Path ro = Files.createDirectory(dir.resolve("ro"));
        Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            assumeThat(Files.isWritable(ro)).as("running as root: permissions are not enforced").isFalse();
            Path target = ro.resolve("out.txt");
            assertThatThrownBy(() -> AtomicFiles.writeString(target, "x"))
                    .isInstanceOf(FileSystemException.class)
                    .hasMessageContaining(target.toString())
                    .hasMessageContaining("cannot write")
                    .hasMessageNotContaining(".tmp");
        } finally {
            Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void aFullDiskAndABlockedPathAreNamedByTheTarget(@TempDir Path dir) throws Exception {
        Path full = Path.of("/dev/full");
        if (Files.exists(full)) {
            assertThatThrownBy(() -> AtomicFiles.writeString(full, "x".repeat(1 << 17)))
                    .isInstanceOf(FileSystemException.class)
                    .hasMessageContaining("/dev/full")
                    .hasMessageContaining("No space left on device");
        }
        Path file = Files.writeString(dir.resolve("file.txt"), "x");
        Path target = file.resolve("out.txt");
        assertThatThrownBy(() -> AtomicFiles.writeString(target, "y"))
                .isInstanceOf(FileSystemException.class)
                .hasMessageContaining(target.toString())
                .hasMessageContaining("cannot write")
                .hasMessageNotContaining(".tmp");
        assertThat(names(dir)).containsExactly("file.txt");
    }

    @Test
    void aFailingWriteLeavesThePreviousFileAndNoTemporary(@TempDir Path dir) throws Exception {
        Path target = Files.writeString(dir.resolve("a.txt"), "old");
        assertThatThrownBy(() -> AtomicFiles.writeText(target, w -> {
            w.write("half");
            throw new IOException("the content failed");
        })).hasMessage("the content failed");
        assertThat(Files.readString(target)).isEqualTo("old");
        assertThat(names(dir)).containsExactly("a.txt");
    }

    @Test
    void anOutputThatIsAnInputOrInsideAnInputDirectoryIsRefused(@TempDir Path dir) throws Exception {
        Path in = Files.writeString(dir.resolve("in.txt"), "data");
        Path link = Files.createSymbolicLink(dir.resolve("link.txt"), in);
        Path hard = Files.createLink(dir.resolve("hard.txt"), in);
        Files.createDirectory(dir.resolve("sub"));
        for (Path out : List.of(in, link, hard, dir.resolve("sub/../in.txt"))) {
            assertThatThrownBy(() -> AtomicFiles.refuseOverwrite(List.of(in), out))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(out.toString());
        }
        AtomicFiles.refuseOverwrite(List.of(in), dir.resolve("other.txt"));
        Path model = Files.createDirectory(dir.resolve("model"));
        Files.writeString(model.resolve("model.safetensors"), "w");
        Path modelLink = Files.createSymbolicLink(dir.resolve("m"), model);
        for (Path out : List.of(model.resolve("model.safetensors"), modelLink.resolve("new/adapter"), model, dir,
                dir.resolve("sub/../model/x"))) {
            assertThatThrownBy(() -> AtomicFiles.refuseInside(model, out, "--model"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--model directory");
        }
        AtomicFiles.refuseInside(model, dir.resolve("adapter"), "--model");
        assertThat(Files.readString(in)).isEqualTo("data");
    }
}
