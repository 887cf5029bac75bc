package dev.keel.fewl;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.core.data.DatasetException;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.Preconditions;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A benchmark file in either of its two shapes, told apart by its first line: gold answers
 * ({@link BenchRecord}: {@code correct}/{@code incorrect}) or several models' labelled answers
 * ({@link MultiModelRecord}: {@code answers}). Every line must have the first line's shape; a line
 * of the other shape is a {@link DatasetException} naming it.
 *
 * <pre>{@code
 * BenchmarkFile f = BenchmarkFile.read(Path.of("bench.jsonl"));
 * HallucinationBenchmark.Result r = bench.run(f);
 * }</pre>
 *
 * @param format the shape of the file
 * @param gold   the split gold-answer questions, or {@code null} for a multi-model file
 * @param multi  the multi-model records, or {@code null} for a gold-answer file
 */
public record BenchmarkFile(Format format, BenchQuestion.Suite gold, List<MultiModelRecord> multi) {

    /** The two shapes of a benchmark line. */
    public enum Format {
        /** {@code {"id","question","references","correct","incorrect"}}. */
        GOLD_ANSWERS,
        /** {@code {"id","question","answers":[{"model","answer","label"}]}}. */
        MULTI_MODEL
    }

    /**
     * Checks that exactly the part of {@code format} is there.
     *
     * @param format the shape
     * @param gold   the gold-answer questions (for {@link Format#GOLD_ANSWERS})
     * @param multi  the multi-model records (for {@link Format#MULTI_MODEL})
     * @throws NullPointerException     if {@code format} is null
     * @throws IllegalArgumentException if the part of the format is missing or the other one is given
     */
    public BenchmarkFile {
        Preconditions.notNull(format, "format");
        Preconditions.checkArgument((format == Format.GOLD_ANSWERS) == (gold != null) && (gold == null) != (multi == null),
                "a " + format + " benchmark file holds exactly its own records");
        multi = multi == null ? null : List.copyOf(multi);
    }

    /**
     * Reads {@code file}, telling the shape from its first non-blank line ({@code answers} present:
     * multi-model; otherwise gold answers).
     *
     * @param file the file
     * @return its contents
     * @throws IOException      if the file cannot be read
     * @throws DatasetException for a bad line, or a line of the other shape, naming file and line
     */
    public static BenchmarkFile read(Path file) throws IOException {
        Preconditions.notNull(file, "file");
        Format f = Format.GOLD_ANSWERS;
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                try {
                    JsonNode n = Json.mapper().readTree(line.startsWith("\uFEFF") ? line.substring(1) : line);
                    f = n != null && n.has("answers") ? Format.MULTI_MODEL : Format.GOLD_ANSWERS;
                } catch (IOException e) {
                    // the line's reader below reports it with its number
                }
                break;
            }
        } catch (java.nio.charset.CharacterCodingException e) {
            // the line's reader below reports it with its number
        }
        if (f == Format.MULTI_MODEL) {
            return new BenchmarkFile(f, null, MultiModelRecord.readAll(file));
        }
        return new BenchmarkFile(f, BenchQuestion.read(file), null);
    }
}
