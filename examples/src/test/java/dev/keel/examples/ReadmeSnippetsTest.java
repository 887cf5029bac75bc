package dev.keel.examples;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every {@code ```java} block of the repository's README and of {@code core/README.md} is taken from a compiled example class of
 * {@code dev.keel.examples}: each of its paragraphs (lines between blank lines) appears, line for
 * line and in the block's order, in one of those source files, indentation aside. So a README block
 * cannot drift from code that compiles.
 */
class ReadmeSnippetsTest {

    private static final Path README = Path.of("..", "README.md");
    private static final Path CORE_README = Path.of("..", "core", "README.md");
    private static final Path EXAMPLES = Path.of("src", "main", "java", "dev", "keel", "examples");

    @Test
    void everyJavaBlockOfTheReadmeIsInAnExampleSource() throws IOException {
        List<List<String>> blocks = javaBlocks(Files.readString(README, StandardCharsets.UTF_8));
        assertThat(blocks).as("java blocks in " + README).hasSizeGreaterThanOrEqualTo(3);
        List<Source> sources = sources();
        assertThat(sources).extracting(Source::name)
                .contains("QuickStart.java", "FewlQuickStart.java", "ChatQuickStart.java");
        for (List<String> block : blocks) {
            assertThat(sources.stream().anyMatch(src -> containsInOrder(src.lines(), paragraphs(block))))
                    .as("README block not found verbatim in any of %s:%n%s",
                            sources.stream().map(Source::name).toList(), String.join("\n", block))
                    .isTrue();
        }
    }

    @Test
    void everyJavaBlockOfTheCoreReadmeIsInAnExampleSource() throws IOException {
        List<List<String>> blocks = javaBlocks(Files.readString(CORE_README, StandardCharsets.UTF_8));
        assertThat(blocks).as("java blocks in " + CORE_README).isNotEmpty();
        List<Source> sources = sources();
        for (List<String> block : blocks) {
            assertThat(sources.stream().anyMatch(src -> containsInOrder(src.lines(), paragraphs(block))))
                    .as("core README block not found verbatim in any example source:%n%s", String.join("\n", block))
                    .isTrue();
        }
    }

    @Test
    void aBlockThatIsNotInTheSourceIsFound() {
        List<String> source = List.of("import a.B;", "", "class X {", "    int x = 1;", "    int y = 2;", "}");
        assertThat(containsInOrder(source, paragraphs(List.of("import a.B;", "", "int x = 1;", "int y = 2;")))).isTrue();
        // a changed line, lines out of order, or paragraphs out of order are all caught
        assertThat(containsInOrder(source, paragraphs(List.of("int x = 3;")))).isFalse();
        assertThat(containsInOrder(source, paragraphs(List.of("int y = 2;", "int x = 1;")))).isFalse();
        assertThat(containsInOrder(source, paragraphs(List.of("int x = 1;", "", "import a.B;")))).isFalse();
    }

    @Test
    void anUnclosedJavaBlockIsAnError() {
        assertThatThrownBy(() -> javaBlocks("text\n```java\nint x = 1;\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("line 2");
    }

    @Test
    void onlyJavaBlocksAreRead() {
        List<List<String>> blocks = javaBlocks("```bash\nmvn verify\n```\n\n```java\n  int x = 1;\n```\n```xml\n<a/>\n```\n");
        assertThat(blocks).containsExactly(List.of("int x = 1;"));
    }

    /** The {@code ```java} blocks of a Markdown text, each as its lines with indentation stripped. */
    static List<List<String>> javaBlocks(String markdown) {
        List<List<String>> blocks = new ArrayList<>();
        List<String> current = null;
        int opened = 0;
        String[] lines = markdown.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (current == null) {
                if (line.equals("```java")) {
                    current = new ArrayList<>();
                    opened = i + 1;
                }
            } else if (line.equals("```")) {
                blocks.add(current);
                current = null;
            } else {
                current.add(line);
            }
        }
        if (current != null) {
            throw new IllegalArgumentException("```java block opened at line " + opened + " is not closed");
        }
        return blocks;
    }

    private static List<List<String>> paragraphs(List<String> block) {
        List<List<String>> out = new ArrayList<>();
        List<String> p = new ArrayList<>();
        for (String line : block) {
            if (line.isEmpty()) {
                if (!p.isEmpty()) {
                    out.add(p);
                }
                p = new ArrayList<>();
            } else {
                p.add(line);
            }
        }
        if (!p.isEmpty()) {
            out.add(p);
        }
        return out;
    }

    /** Whether each paragraph occurs as consecutive lines of {@code source}, each after the one before. */
    private static boolean containsInOrder(List<String> source, List<List<String>> paragraphs) {
        List<String> stripped = source.stream().map(String::strip).toList();
        int from = 0;
        for (List<String> p : paragraphs) {
            int at = indexOf(stripped, p, from);
            if (at < 0) {
                return false;
            }
            from = at + p.size();
        }
        return true;
    }

    private static int indexOf(List<String> lines, List<String> run, int from) {
        for (int i = from; i + run.size() <= lines.size(); i++) {
            if (lines.subList(i, i + run.size()).equals(run)) {
                return i;
            }
        }
        return -1;
    }

    private record Source(String name, List<String> lines) {
    }

    private static List<Source> sources() throws IOException {
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            List<Source> out = new ArrayList<>();
            for (Path f : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                out.add(new Source(f.getFileName().toString(), Files.readAllLines(f, StandardCharsets.UTF_8)));
            }
            return out;
        }
    }
}
