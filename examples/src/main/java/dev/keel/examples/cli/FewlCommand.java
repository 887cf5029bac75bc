package dev.keel.examples.cli;

import dev.keel.examples.fewl.FewlCommands;
import dev.keel.examples.fewl.SimilarityChoice;
import dev.keel.fewl.FewlScore;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code keel fewl score|bench|demo}: hallucination scores without gold answers. */
@Command(name = "fewl", mixinStandardHelpOptions = true,
        description = "FEWL: score answers by expertise-weighted agreement with reference LLMs, minus a laziness penalty.",
        subcommands = {FewlCommand.Score.class, FewlCommand.Bench.class, FewlCommand.Demo.class})
final class FewlCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: score, bench or demo");
    }

    static PrintStream console(CommandLine cl) {
        PrintWriter w = cl.getOut();
        return new PrintStream(new java.io.OutputStream() {
            @Override
            public void write(int b) {
                w.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                w.write(new String(b, off, len, StandardCharsets.UTF_8));
            }

            @Override
            public void flush() {
                w.flush();
            }
        }, true, StandardCharsets.UTF_8);
    }

    @Command(name = "score", mixinStandardHelpOptions = true,
            description = "Score FEWL items ({\"id\",\"question\",\"answer\",\"references\":[{\"model\",\"answer\"}],\"wrongAnswers\"?}) and write one score per line.")
    static final class Score implements Callable<Integer> {
        @Option(names = "--in", required = true, paramLabel = "FILE", description = "items JSONL (- for standard input)")
        Path in;
        @Option(names = "--out", required = true, paramLabel = "FILE",
                description = "scores JSONL, written atomically with a .provenance.json beside it (- for standard output, without the sidecar)")
        Path out;
        @Option(names = "--neighbours", defaultValue = "25", paramLabel = "K", description = "neighbour questions for the laziness penalty (default: ${DEFAULT-VALUE}; 0 turns it off)")
        int k;
        @Option(names = "--temperature", paramLabel = "T", description = "softmax temperature of the expertise weights (default: the pooled spread of the expertise scores)")
        Double tau;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            CommandLine cl = spec.commandLine();
            if (k < 0) {
                throw new CommandLine.ParameterException(cl, "--neighbours must be >= 0, was " + k);
            }
            if (tau != null && !(tau > 0)) {
                throw new CommandLine.ParameterException(cl, "--temperature must be > 0, was " + tau);
            }
            Map<String, ProgressBar> bars = new HashMap<>();
            try (Cli.Input input = Cli.input(cl, "--in", in);
                 Cli.Output output = Cli.output(cl, "--out", out, List.of(input.path()), "scores.jsonl")) {
                List<FewlScore> scores = FewlCommands.score(input.path(), output.path(), k, tau, (stage, done, total) ->
                        bars.computeIfAbsent(stage, s -> Cli.progress(cl, s, total)).update(done));
                output.finish();
                Cli.status(cl, "scored " + scores.size() + " items -> " + output.name());
            }
            return Cli.OK;
        }
    }

    @Command(name = "bench", mixinStandardHelpOptions = true,
            description = {"Hallucination benchmark: win rate and AUROC of FEWL and its ablations on {\"id\",\"question\",\"references\",\"correct\",\"incorrect\"} lines,",
                    "or on several models' labelled answers {\"id\",\"question\",\"answers\":[{\"model\",\"answer\",\"label\"}]} (leave-one-out, with the selection block)."})
    static final class Bench implements Callable<Integer> {
        @Option(names = "--in", required = true, paramLabel = "FILE", description = "benchmark JSONL (- for standard input)")
        Path in;
        @Option(names = "--seed", defaultValue = "42", description = "bootstrap seed (default: ${DEFAULT-VALUE})")
        long seed;
        @Option(names = "--out", paramLabel = "FILE", description = "also write the table as JSON (the table itself goes to standard output)")
        Path out;
        @Option(names = "--similarity", defaultValue = "hybrid", paramLabel = "SIM",
                description = "answer similarity: cosine, containment or hybrid (default: ${DEFAULT-VALUE})")
        String similarity;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            CommandLine cl = spec.commandLine();
            SimilarityChoice sim = similarity(cl, similarity);
            try (Cli.Input input = Cli.input(cl, "--in", in)) {
                if (out != null) {
                    if (out.toString().equals("-")) {
                        throw new CommandLine.ParameterException(cl, "--out -: the table already goes to standard output; give a file for the JSON");
                    }
                    Cli.refuse(cl, "--out", List.of(input.path()), out, dev.keel.core.Provenance.sidecar(out));
                }
                FewlCommands.bench(input.path(), seed, sim, out, console(cl));
            }
            return Cli.OK;
        }
    }

    @Command(name = "demo", mixinStandardHelpOptions = true,
            description = {"The multi-model benchmark on the bundled EVOUNA-NQ: 3,014 Natural Questions answered by five systems with human judgements.",
                    "--simulated: the benchmark on the bundled TruthfulQA with four simulated references of known accuracy (0.8/0.6/0.4/0.2)."})
    static final class Demo implements Callable<Integer> {
        @Option(names = "--seed", defaultValue = "42", description = "seed of the bootstrap and of the simulated references (default: ${DEFAULT-VALUE})")
        long seed;
        @Option(names = "--simulated", description = "run the simulated TruthfulQA benchmark instead")
        boolean simulated;
        @Option(names = "--similarity", defaultValue = "containment", paramLabel = "SIM",
                description = "answer similarity on EVOUNA-NQ: cosine, containment or hybrid (default: ${DEFAULT-VALUE}, "
                        + "which embeds only the questions; hybrid scores best but embeds all 18,000 answers too)")
        String similarity;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            SimilarityChoice sim = similarity(spec.commandLine(), similarity);
            if (simulated && spec.commandLine().getParseResult().hasMatchedOption("--similarity")) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--similarity applies to EVOUNA-NQ, not to --simulated (cosine)");
            }
            CommandLine cl = spec.commandLine();
            Map<String, ProgressBar> bars = new HashMap<>();
            FewlCommands.demo(seed, simulated, sim, console(cl), (stage, done, total) ->
                    bars.computeIfAbsent(stage, s -> Cli.progress(cl, s, total)).update(done));
            return 0;
        }
    }

    static SimilarityChoice similarity(CommandLine cl, String name) {
        try {
            return SimilarityChoice.parse(name);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "--" + e.getMessage());
        }
    }
}
