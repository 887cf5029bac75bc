package dev.keel.examples.cli;

import dev.keel.core.embed.OnnxEmbedder;
import dev.keel.core.similarity.CosineSimilarity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code keel similarity A B}: the cosine similarity of two texts under the default embedder. */
@Command(name = "similarity", mixinStandardHelpOptions = true,
        description = "Print the cosine similarity (-1..1) of two texts under all-MiniLM-L6-v2.")
final class SimilarityCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "A", description = "first text")
    String a;

    @Parameters(index = "1", paramLabel = "B", description = "second text")
    String b;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        try (OnnxEmbedder e = OnnxEmbedder.allMiniLmL6V2()) {
            double s = new CosineSimilarity(e).score(a, b);
            spec.commandLine().getOut().println(String.format(Locale.ROOT, "%.4f", s));
        }
        return 0;
    }
}
