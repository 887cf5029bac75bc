package dev.keel.examples.cli;

import dev.keel.safety.HarmfulnessReport;
import dev.keel.safety.Safety;
import dev.keel.safety.SafetyMixer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code keel safety mix|judge|report}: safety-data mixing, harmfulness judging and reports. */
@Command(name = "safety", mixinStandardHelpOptions = true,
        description = "Mix safety samples into fine-tuning data, judge responses for harmfulness, and report per policy category.",
        subcommands = {SafetyCommand.Mix.class, SafetyCommand.Judge.class, SafetyCommand.Report.class})
final class SafetyCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: mix, judge or report");
    }

    static void requireFile(CommandLine cl, String option, Path p) {
        if (!Files.isRegularFile(p)) {
            throw new CommandLine.ParameterException(cl, option + " " + p + ": no such file");
        }
    }

    @Command(name = "mix", mixinStandardHelpOptions = true,
            description = "Add k refusal samples (held-in AdvBench instructions, stratified over categories) to an OpenAI chat JSONL file.")
    static final class Mix implements Callable<Integer> {
        @Option(names = "--in", required = true, paramLabel = "FILE", description = "chat fine-tuning data (OpenAI JSONL)")
        Path in;
        @Option(names = "--out", required = true, paramLabel = "FILE", description = "mixed data, written atomically with a .provenance.json beside it")
        Path out;
        @Option(names = {"-k", "--safety-samples"}, required = true, paramLabel = "K", description = "number of safety samples to add")
        int k;
        @Option(names = "--seed", defaultValue = "0", description = "seed (default: ${DEFAULT-VALUE})")
        long seed;
        @Option(names = "--eval", paramLabel = "FILE", description = "extra evaluation files whose instructions must never be mixed in")
        List<Path> eval = List.of();
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            requireFile(spec.commandLine(), "--in", in);
            if (k < 0) {
                throw new CommandLine.ParameterException(spec.commandLine(), "-k must be >= 0, was " + k);
            }
            SafetyMixer.Result r = Safety.mix(in, out, k, seed, eval);
            spec.commandLine().getOut().println("wrote " + r.records().size() + " records (" + r.added().size()
                    + " safety samples: " + r.perCategory() + ") to " + out);
            return 0;
        }
    }

    @Command(name = "judge", mixinStandardHelpOptions = true,
            description = "Judge responses ({\"id\",\"category\",\"instruction\",\"response\"} JSONL) with a rubric LLM judge or the offline refusal judge.")
    static final class Judge implements Callable<Integer> {
        @Option(names = "--in", required = true, paramLabel = "FILE", description = "responses JSONL")
        Path in;
        @Option(names = "--out", required = true, paramLabel = "FILE", description = "verdicts JSONL, written atomically")
        Path out;
        @Option(names = "--endpoint", paramLabel = "URL", description = "OpenAI-compatible base URL, e.g. http://localhost:8000/v1")
        String endpoint;
        @Option(names = "--model", paramLabel = "NAME", description = "judge model name at the endpoint")
        String model;
        @Option(names = "--api-key-env", paramLabel = "VAR", description = "environment variable holding the API key")
        String apiKeyEnv;
        @Option(names = "--max-retries", defaultValue = "3", description = "retries per request (default: ${DEFAULT-VALUE})")
        int maxRetries;
        @Option(names = "--refusal", description = "use the offline refusal judge (refusal = 1, compliance = 5)")
        boolean refusal;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            CommandLine cl = spec.commandLine();
            requireFile(cl, "--in", in);
            Safety.JudgeSummary s;
            if (refusal) {
                if (endpoint != null || model != null) {
                    throw new CommandLine.ParameterException(cl, "--refusal cannot be combined with --endpoint/--model");
                }
                s = Safety.judgeRefusal(in, out);
            } else {
                if (endpoint == null || model == null) {
                    throw new CommandLine.ParameterException(cl, "give --endpoint URL and --model NAME, or --refusal");
                }
                s = Safety.judge(in, out, endpoint, model, apiKeyEnv, maxRetries);
            }
            PrintWriter o = cl.getOut();
            o.println("judged " + s.total() + " responses with " + s.judge() + ": " + s.scored() + " scored, "
                    + s.unparsed() + " unparsed, " + s.error() + " error -> " + s.out());
            return 0;
        }
    }

    @Command(name = "report", mixinStandardHelpOptions = true,
            description = "Harmfulness score and rate per policy category with bootstrap intervals: markdown, CSV, JSON and bar charts.")
    static final class Report implements Callable<Integer> {
        @Option(names = "--in", required = true, paramLabel = "FILE", description = "verdicts JSONL")
        Path in;
        @Option(names = "--out-dir", required = true, paramLabel = "DIR", description = "directory for the report files")
        Path outDir;
        @Option(names = "--name", defaultValue = "harmfulness", description = "base name of the files (default: ${DEFAULT-VALUE})")
        String name;
        @Option(names = "--seed", defaultValue = "0", description = "bootstrap seed (default: ${DEFAULT-VALUE})")
        long seed;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            requireFile(spec.commandLine(), "--in", in);
            HarmfulnessReport r = Safety.report(in, outDir, name, seed);
            spec.commandLine().getOut().println(r.toMarkdown());
            return 0;
        }
    }
}
