package dev.keel.examples.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.internal.AtomicFiles;
import dev.keel.core.internal.Json;
import dev.keel.core.embed.OnnxEmbedder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Path;
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

    @Option(names = "--in", defaultValue = "-", paramLabel = "FILE",
            description = "UTF-8 text file, one text a line (- for standard input) (default: ${DEFAULT-VALUE})")
    Path in;

    @Option(names = "--out", defaultValue = "-", paramLabel = "FILE",
            description = "JSON Lines output, written atomically (- for standard output) (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "32", description = "texts per model call (default: ${DEFAULT-VALUE})")
    int batchSize;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        picocli.CommandLine cl = spec.commandLine();
        if (batchSize < 1) {
            throw new picocli.CommandLine.ParameterException(cl, "--batch-size must be >= 1, was " + batchSize);
        }
        try (Cli.Input input = Cli.input(cl, "--in", in);
             Cli.Output output = Cli.output(cl, "--out", out, List.of(input.path()), "embeddings.jsonl")) {
            List<String> texts = Cli.readLines(input.path(), input.isStdin() ? "standard input" : in.toString());
            try (OnnxEmbedder e = OnnxEmbedder.allMiniLmL6V2(OnnxEmbedder.builder().batchSize(batchSize))) {
                ProgressBar progress = Cli.progress(cl, "embed", texts.size());
                AtomicFiles.writeText(output.path(), w -> write(e, texts, w, progress));
            }
            output.finish();
            Cli.status(cl, "embedded " + texts.size() + " lines -> " + output.name());
        }
        return Cli.OK;
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
