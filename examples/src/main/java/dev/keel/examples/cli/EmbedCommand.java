package dev.keel.examples.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.internal.AtomicFiles;
import dev.keel.core.internal.Json;
import dev.keel.core.embed.OnnxEmbedder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code keel embed [--in file.txt] [--out file.jsonl]}: embeds each line of the input and writes
 * {@code {"line", "text", "embedding"}} per line as JSON Lines (atomically when {@code --out} is given).
 */
@Command(name = "embed", mixinStandardHelpOptions = true,
        description = "Embed each line of a text file (or standard input) with all-MiniLM-L6-v2 and write JSON Lines.")
final class EmbedCommand implements Callable<Integer> {

    private static final int CHUNK = 256;

    @Option(names = "--in", paramLabel = "FILE", description = "text file, one text a line (default: standard input)")
    Path in;

    @Option(names = "--out", paramLabel = "FILE", description = "JSON Lines output, written atomically (default: standard output)")
    Path out;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "32", description = "texts per model call (default: ${DEFAULT-VALUE})")
    int batchSize;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (batchSize < 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--batch-size must be >= 1, was " + batchSize);
        }
        if (in != null && !Files.isRegularFile(in)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--in " + in + ": no such file");
        }
        List<String> texts = readLines();
        try (OnnxEmbedder e = OnnxEmbedder.allMiniLmL6V2(OnnxEmbedder.builder().batchSize(batchSize))) {
            ProgressBar progress = new ProgressBar(spec.commandLine().getErr(), "embed", texts.size(), 2 * CHUNK);
            if (out != null) {
                AtomicFiles.writeText(out, w -> write(e, texts, w, progress));
            } else {
                Writer w = spec.commandLine().getOut();
                write(e, texts, new BufferedWriter(w), progress);
            }
        }
        return 0;
    }

    private List<String> readLines() throws IOException {
        BufferedReader r = in != null ? Files.newBufferedReader(in, StandardCharsets.UTF_8)
                : new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (r) {
            List<String> lines = new ArrayList<>();
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
            }
            return lines;
        }
    }

    private static void write(OnnxEmbedder e, List<String> texts, BufferedWriter w, ProgressBar progress) throws IOException {
        for (int start = 0; start < texts.size(); start += CHUNK) {
            List<String> chunk = texts.subList(start, Math.min(texts.size(), start + CHUNK));
            float[][] v = e.embedAll(chunk);
            for (int i = 0; i < chunk.size(); i++) {
                ObjectNode o = Json.mapper().createObjectNode();
                o.put("line", start + i + 1);
                o.put("text", chunk.get(i));
                ArrayNode arr = o.putArray("embedding");
                for (float x : v[i]) {
                    arr.add(x);
                }
                w.write(Json.toLine(o));
                w.write('\n');
            }
            progress.update(start + chunk.size());
        }
        w.flush();
    }
}
