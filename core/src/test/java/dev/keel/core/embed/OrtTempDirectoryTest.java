package dev.keel.core.embed;

import ai.onnxruntime.OrtEnvironment;
import dev.keel.core.testkit.ForkedJava;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ONNX Runtime's native libraries: extracted once into Keel's cache, reused by the next JVM, and no
 * {@code onnxruntime-java*} directory left in the temp directory (ONNX Runtime alone leaves one per run).
 */
class OrtTempDirectoryTest {

    /** The child: {@code keel} embeds with the tiny embedder; {@code raw} only starts ONNX Runtime, as a user without Keel would. */
    public static final class Child {
        public static void main(String[] args) {
            if (args[0].equals("raw")) {
                OrtEnvironment.getEnvironment();
                System.out.println("ORT-STARTED");
                return;
            }
            try (OnnxEmbedder e = NativeCloseRaceTest.tinyEmbedder()) {
                System.out.println("EMBEDDED " + e.embed("paris is the capital").length);
            }
        }
    }

    private static List<Path> ortTempDirs(Path tmp) throws Exception {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.filter(p -> p.getFileName().toString().startsWith("onnxruntime-java")).toList();
        }
    }

    private static ForkedJava.Result child(Path tmp, Path cache, String mode) throws Exception {
        ForkedJava.Result r = ForkedJava.run(Child.class, List.of("-Xmx256m", "-Djava.io.tmpdir=" + tmp, "-Dkeel.cache.dir=" + cache),
                Map.of(), 60, mode);
        assertThat(r.exitCode()).as(r.output()).isZero();
        return r;
    }

    @Test
    void twoRunsShareOneExtractionAndLeaveNoTempDirectory(@TempDir Path dir) throws Exception {
        Path tmp = Files.createDirectory(dir.resolve("tmp"));
        Path cache = dir.resolve("cache");
        assertThat(child(tmp, cache, "keel").output()).contains("EMBEDDED 64");
        assertThat(ortTempDirs(tmp)).isEmpty();
        List<Path> extracted;
        try (Stream<Path> s = Files.list(cache.resolve("onnxruntime"))) {
            extracted = s.toList();
        }
        assertThat(extracted).hasSize(1);
        Path lib = extracted.get(0).resolve(System.mapLibraryName("onnxruntime"));
        assertThat(lib).isRegularFile();
        var first = Files.getLastModifiedTime(lib);

        assertThat(child(tmp, cache, "keel").output()).contains("EMBEDDED 64");
        assertThat(ortTempDirs(tmp)).isEmpty();
        try (Stream<Path> s = Files.list(cache.resolve("onnxruntime"))) {
            assertThat(s.toList()).containsExactlyElementsOf(extracted); // no second copy, no temp name left
        }
        assertThat(Files.getLastModifiedTime(lib)).isEqualTo(first); // reused, not written again
    }

    @Test
    void onnxRuntimeAloneLeavesOneDirectoryPerRun(@TempDir Path dir) throws Exception {
        // the defect the cache fixes, shown on ONNX Runtime's own loader: if this ever stops holding,
        // a newer ONNX Runtime cleans up after itself
        Path tmp = Files.createDirectory(dir.resolve("tmp"));
        child(tmp, dir.resolve("cache"), "raw");
        child(tmp, dir.resolve("cache"), "raw");
        assertThat(ortTempDirs(tmp)).hasSize(2);
    }
}
