package dev.keel.examples.cli;

import dev.keel.examples.search.EnumeratingTree;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;

/** {@code keel search tree}: the enumerating tree (a count tree over the training corpus) next to the trained model. */
@Command(name = "tree", mixinStandardHelpOptions = true,
        description = {"The enumerating tree next to the model: a count tree over keel-tiny's training records (regenerated "
                + "from the seed and checked against the model's metrics.json), KL(tree || model) on seen prefixes and "
                + "per-token perplexity of both (the tree with Witten-Bell back-off) on held-out and training answers.",
                "Writes " + EnumeratingTree.CSV + " and " + EnumeratingTree.MD + " into --out."})
final class SearchTreeCommand extends CheckedCommand {
    @Option(names = "--model", paramLabel = "DIR",
            description = "a model directory trained by keel's TinyRecipe, or keel-tiny for the bundled model (default: keel-tiny)")
    Path model;
    @Option(names = "--out", defaultValue = "enumerating-tree", paramLabel = "DIR", description = "output directory (default: ${DEFAULT-VALUE})")
    Path out;
    @Option(names = "--seed", defaultValue = "42", description = "the corpus seed the model was trained with (default: ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--seen-records", defaultValue = "0", paramLabel = "N",
            description = "training records whose prefixes are compared, a seeded sample; 0 for all (default: ${DEFAULT-VALUE})")
    int seenRecords;
    @Option(names = "--held-out", defaultValue = "40", paramLabel = "N", description = "held-out prompts per family (default: ${DEFAULT-VALUE})")
    int heldOut;

    @Override
    int run(CommandLine cl) throws Exception {
        if (seenRecords < 0) {
            throw new CommandLine.ParameterException(cl, "--seen-records must be >= 0, was " + seenRecords);
        }
        if (heldOut < 1) {
            throw new CommandLine.ParameterException(cl, "--held-out must be >= 1, was " + heldOut);
        }
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new CommandLine.ParameterException(cl, "--out " + out + ": exists and is not a directory");
        }
        Path dir = model == null ? null : Cli.model(cl, "--model", model);
        if (dir != null) {
            Cli.refuseInside(cl, "--out", dir, out, "--model");
        }
        EnumeratingTree.Settings d = EnumeratingTree.Settings.defaults();
        EnumeratingTree.Settings settings = new EnumeratingTree.Settings(d.maxOrders(), seenRecords, heldOut, seed);
        EnumeratingTree.Result r;
        try {
            r = EnumeratingTree.run(dir, out, settings, line -> Cli.status(cl, line));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "--model: " + e.getMessage(), e);
        }
        cl.getOut().print(r.markdown());
        cl.getOut().flush();
        return Cli.OK;
    }
}
