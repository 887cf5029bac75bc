package dev.keel.core.internal;



import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AtomicFilesTest {

    @Test
    void aFailedWriteLeavesTheOldFileAndNoTemporaryBehind(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("out.jsonl");
        AtomicFiles.writeString(f, "good\n");
        assertThatThrownBy(() -> AtomicFiles.writeText(f, w -> {
            w.write("half of a");
            w.flush();
            throw new IOException("disk on fire");
        })).hasMessage("disk on fire");
        assertThat(Files.readString(f)).isEqualTo("good\n");
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.toList()).containsExactly(f);
        }
    }

    @Test
    void aFailingRecordLeavesNoFile(@TempDir Path dir) {
        Path f = dir.resolve("new.jsonl");
        assertThatThrownBy(() -> JsonLines.write(f, List.of("a", "b"), s -> {
            if (s.equals("b")) {
                throw new IllegalArgumentException("bad record b");
            }
            return s;
        })).hasMessageContaining("bad record b");
        assertThat(f).doesNotExist();
    }

    @Test
    void createsParentDirectories(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("a/b/c.txt");
        AtomicFiles.writeString(f, "x");
        assertThat(Files.readString(f)).isEqualTo("x");
    }

    @Test
    void aNewFileGetsTheDefaultPermissionsAndAReplacedOneKeepsItsOwn(@TempDir Path dir) throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                Files.getFileAttributeView(dir, java.nio.file.attribute.PosixFileAttributeView.class) != null);
        Path plain = Files.createFile(dir.resolve("plain.txt"));
        Path written = dir.resolve("written.txt");
        AtomicFiles.writeString(written, "a");
        assertThat(Files.getPosixFilePermissions(written)).isEqualTo(Files.getPosixFilePermissions(plain));

        var restricted = java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----");
        Files.setPosixFilePermissions(written, restricted);
        AtomicFiles.writeString(written, "b");
        assertThat(Files.readString(written)).isEqualTo("b");
        assertThat(Files.getPosixFilePermissions(written)).isEqualTo(restricted);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("plain.txt", "written.txt");
        }
    }
}
