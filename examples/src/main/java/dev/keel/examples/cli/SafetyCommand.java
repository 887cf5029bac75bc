package dev.keel.examples.cli;

import dev.keel.core.lm.generate.ChatTemplate;
import dev.keel.core.lm.generate.HubModelFiles;
import dev.keel.core.lm.generate.JinjaChatTemplate;
import dev.keel.examples.tiny.TinyChatTemplate;
import dev.keel.examples.tiny.TinyModel;
import dev.keel.core.KeelException;
import dev.keel.safety.HarmfulnessReport;
import dev.keel.safety.Secrets;
import dev.keel.examples.safety.SafetyFiles;
import dev.keel.examples.safety.SafetyExperiment;
import dev.keel.examples.safety.SafetyTables;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code keel safety mix|judge|report|experiment}: safety-data mixing, harmfulness judging, reports and the fine-tuning experiment. */
@Command(name = "safety", mixinStandardHelpOptions = true,
        description = "Mix safety samples into fine-tuning data, judge responses for harmfulness, and report per policy category.",
        subcommands = {SafetyCommand.Mix.class, SafetyCommand.Judge.class, SafetyCommand.Report.class,
                SafetyCommand.Experiment.class})
final class SafetyCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: mix, judge, report or experiment");
    }

    static void requireFile(CommandLine cl, String option, Path p) {
        if (!Files.isRegularFile(p)) {
            throw new CommandLine.ParameterException(cl, option + " " + p + ": no such file");
        }
    }

    /** Exit code of {@code safety judge} when some items, but not all, are {@code error} verdicts. */
    static final int SOME_ITEMS_FAILED = Cli.SOME_FAILED;
    /** Exit code of {@code safety judge} when every item is an {@code error} verdict. */
    static final int ALL_ITEMS_FAILED = Cli.ALL_FAILED;

    @Command(name = "mix", mixinStandardHelpOptions = true,
            description = {"Add k refusal samples (held-in AdvBench instructions, stratified over categories) to an OpenAI chat JSONL file.",
                    "Every input record is written back exactly as read (unknown fields, a message's name, tool calls and tool "
                            + "turns kept); a record whose user turns cannot be checked for evaluation leaks is refused naming its line. "
                            + "--out must not be --in or an --eval file."})
    static final class Mix implements Callable<Integer> {
        @Option(names = "--in", required = true, paramLabel = "FILE", description = "chat fine-tuning data (OpenAI JSONL, - for standard input)")
        Path in;
        @Option(names = "--out", required = true, paramLabel = "FILE",
                description = "mixed data, written atomically with a .provenance.json beside it (- for standard output, without the sidecar)")
        Path out;
        @Option(names = {"-k", "--safety-samples"}, required = true, paramLabel = "K", description = "number of safety samples to add")
        int k;
        @Option(names = "--seed", defaultValue = "42", description = "seed (default: ${DEFAULT-VALUE})")
        long seed;
        @Option(names = "--eval", paramLabel = "FILE", description = "extra evaluation files whose instructions must never be mixed in")
        List<Path> eval = List.of();
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            CommandLine cl = spec.commandLine();
            if (k < 0) {
                throw new CommandLine.ParameterException(cl, "-k must be >= 0, was " + k);
            }
            for (Path e : eval) {
                requireFile(cl, "--eval", e);
            }
            try (Cli.Input input = Cli.input(cl, "--in", in)) {
                List<Path> inputs = new java.util.ArrayList<>(eval);
                inputs.add(input.path());
                try (Cli.Output output = Cli.output(cl, "--out", out, inputs, "mixed.jsonl")) {
                    SafetyFiles.MixSummary r = SafetyFiles.mix(input.path(), output.path(), k, seed, eval);
                    output.finish();
                    Cli.status(cl, "wrote " + r.records() + " records (" + r.added().size()
                            + " safety samples: " + r.perCategory() + ") to " + output.name());
                }
            }
            return Cli.OK;
        }
    }

    @Command(name = "judge", mixinStandardHelpOptions = true,
            description = {"Judge responses ({\"id\",\"category\",\"instruction\",\"response\"} JSONL, ids unique) with a rubric LLM "
                    + "judge or the offline refusal judge. Every item gets a verdict (scored, unparsed or error); the API key and "
                    + "credentials in the --endpoint URL are masked in every verdict. --out must not be --in."},
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:every item judged (scored or unparsed)",
                    "1:an error while running (unreadable input, unwritable output)",
                    "2:bad arguments or input (a bad or duplicate line, --out equal to --in)",
                    "3:some items could not be judged: their verdicts are 'error' (all verdicts are written)",
                    "4:no item could be judged: every verdict is 'error' (e.g. HTTP 401, connection refused)"})
    static final class Judge implements Callable<Integer> {
        @Option(names = "--in", required = true, paramLabel = "FILE", description = "responses JSONL (- for standard input)")
        Path in;
        @Option(names = "--out", required = true, paramLabel = "FILE",
                description = "verdicts JSONL, written atomically with a .provenance.json beside it (- for standard output, without the sidecar)")
        Path out;
        @Option(names = "--endpoint", paramLabel = "URL", description = "OpenAI-compatible base URL, e.g. http://localhost:8000/v1")
        String endpoint;
        @Option(names = "--endpoint-model", paramLabel = "NAME", description = "judge model name at the endpoint")
        String model;
        @Option(names = "--request-timeout", defaultValue = "PT2M", paramLabel = "DURATION",
                description = "deadline of one HTTP attempt, headers and body together, ISO-8601 (default: ${DEFAULT-VALUE})")
        java.time.Duration requestTimeout;
        @Option(names = "--call-timeout", defaultValue = "PT10M", paramLabel = "DURATION",
                description = "deadline of one item's call, retries and waits included, ISO-8601 (default: ${DEFAULT-VALUE})")
        java.time.Duration callTimeout;
        @Option(names = "--max-response-bytes", defaultValue = "8388608", paramLabel = "BYTES",
                description = "largest response body read; a larger one is an error verdict (default: ${DEFAULT-VALUE})")
        long maxResponseBytes;
        @Option(names = "--api-key-env", paramLabel = "VAR", description = "environment variable holding the API key")
        String apiKeyEnv;
        @Option(names = "--max-retries", defaultValue = "3", description = "HTTP retries per request, 0..10, set on the client's retry policy; the judge adds none (default: ${DEFAULT-VALUE})")
        int maxRetries;
        @Option(names = "--refusal", description = "use the offline refusal judge (refusal = 1, compliance = 5)")
        boolean refusal;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        private String masked(RuntimeException e) {
            String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            return Secrets.mask(m, Secrets.ofUrl(endpoint));
        }

        @Override
        public Integer call() throws Exception {
            CommandLine cl = spec.commandLine();
            if (refusal) {
                if (endpoint != null || model != null) {
                    throw new CommandLine.ParameterException(cl, "--refusal cannot be combined with --endpoint/--endpoint-model");
                }
            } else if (endpoint == null || model == null) {
                throw new CommandLine.ParameterException(cl, "give --endpoint URL and --endpoint-model NAME, or --refusal");
            }
            positive(cl, "--request-timeout", requestTimeout);
            positive(cl, "--call-timeout", callTimeout);
            if (maxResponseBytes <= 0) {
                throw new CommandLine.ParameterException(cl, "--max-response-bytes must be > 0, was " + maxResponseBytes);
            }
            SafetyFiles.JudgeSummary s;
            try (Cli.Input input = Cli.input(cl, "--in", in);
                 Cli.Output output = Cli.output(cl, "--out", out, List.of(input.path()), "verdicts.jsonl")) {
                if (refusal) {
                    s = SafetyFiles.judgeRefusal(input.path(), output.path());
                } else {
                    try {
                        ProgressBar[] bar = {null};
                        s = SafetyFiles.judge(input.path(), output.path(), endpoint, model, apiKeyEnv,
                                new SafetyFiles.ClientLimits(maxRetries, 4, requestTimeout, callTimeout, maxResponseBytes),
                                (done, total) -> {
                                    if (bar[0] == null) {
                                        bar[0] = Cli.progress(cl, "judge", total);
                                    }
                                    bar[0].update(done);
                                });
                    } catch (IllegalArgumentException e) {
                        // e.g. "baseUrl must not have a query, was http://user:key@host/v1?x": never print the credentials
                        throw new CommandLine.ParameterException(cl, masked(e), e);
                    } catch (RuntimeException e) {
                        throw new KeelException(masked(e), e);
                    }
                }
                output.finish();
                Cli.status(cl, "judged " + s.total() + " responses with " + s.judge() + ": " + s.scored() + " scored, "
                        + s.unparsed() + " unparsed, " + s.error() + " error -> " + output.name());
            }
            return exitCode(s);
        }
    }

    private static void positive(CommandLine cl, String option, java.time.Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new CommandLine.ParameterException(cl, option + " must be > 0, was " + d);
        }
    }

    /**
     * The exit code of a judging run: 0 when no verdict is an error, {@link #ALL_ITEMS_FAILED} when
     * every one is, else {@link #SOME_ITEMS_FAILED}.
     */
    static int exitCode(SafetyFiles.JudgeSummary s) {
        if (s.error() == 0) {
            return 0;
        }
        return s.error() == s.total() ? ALL_ITEMS_FAILED : SOME_ITEMS_FAILED;
    }

    @Command(name = "report", mixinStandardHelpOptions = true,
            description = "Harmfulness score and rate per policy category with bootstrap intervals: markdown, CSV, JSON and bar charts.")
    static final class Report implements Callable<Integer> {
        @Option(names = "--in", required = true, paramLabel = "FILE", description = "verdicts JSONL (- for standard input)")
        Path in;
        @Option(names = "--out", required = true, paramLabel = "DIR", description = "directory for the report files")
        Path outDir;
        @Option(names = "--name", defaultValue = "harmfulness",
                description = "base name of the files, a plain file name that stays inside --out (default: ${DEFAULT-VALUE})")
        String name;
        @Option(names = "--seed", defaultValue = "42", description = "bootstrap seed (default: ${DEFAULT-VALUE})")
        long seed;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            CommandLine cl = spec.commandLine();
            if (Files.exists(outDir) && !Files.isDirectory(outDir)) {
                throw new CommandLine.ParameterException(cl, "--out " + outDir + ": exists and is not a directory");
            }
            try (Cli.Input input = Cli.input(cl, "--in", in)) {
                HarmfulnessReport r = SafetyFiles.report(input.path(), outDir, name, seed);
                cl.getOut().println(r.toMarkdown());
            }
            return Cli.OK;
        }
    }

    @Command(name = "experiment", mixinStandardHelpOptions = true,
            description = {"Fine-tune a local chat model with LoRA (AdamW and SAM) on harmful examples, identity shifting and "
                    + "benign data, each also mixed with safety samples, and measure the harmfulness rate on held-out AdvBench "
                    + "instructions with the refusal judge (Qi et al., ICLR 2024, Tables 1-4).",
                    "Writes safety-experiment.md, .json, -runs.csv, a provenance sidecar and verdicts/ into --out."})
    static final class Experiment implements Callable<Integer> {
        @Option(names = "--model", paramLabel = "DIR", defaultValue = Cli.BUNDLED,
                description = "Hugging Face model directory (config.json, *.safetensors, tokenizer.json), or keel-tiny for the bundled model (default: ${DEFAULT-VALUE})")
        Path model;
        @Option(names = "--template", paramLabel = "NAME",
                description = "chat template: model (the directory's own Jinja template), keel-tiny, plain or llama2 (default: keel-tiny for the bundled model, else the directory's own template where it has one, else plain)")
        String template;
        @Option(names = "--out", defaultValue = "safety-experiment", paramLabel = "DIR",
                description = "output directory (default: ${DEFAULT-VALUE})")
        Path out;
        @Option(names = "--quick", description = "a reduced grid for a fast run (1 seed, 20 held-out instructions, 24 new tokens; other options override it)")
        boolean quick;
        @Option(names = "--seeds", split = ",", paramLabel = "S", description = "seeds (default 1,2,3)")
        List<Long> seeds;
        @Option(names = "--harmful-sizes", split = ",", paramLabel = "N", description = "Table 1 harmful-example counts (default 10,50,100)")
        List<Integer> harmfulSizes;
        @Option(names = "--harmful-epochs", paramLabel = "E", description = "epochs on harmful examples (default 5)")
        Integer harmfulEpochs;
        @Option(names = "--identity-examples", paramLabel = "N", description = "identity-shifting examples (default 10)")
        Integer identityExamples;
        @Option(names = "--identity-epochs", split = ",", paramLabel = "E", description = "Table 2 epoch counts (default 3,5,10)")
        List<Integer> identityEpochs;
        @Option(names = "--benign-size", paramLabel = "N", description = "Table 3 benign examples, 0 for none (default 100)")
        Integer benignSize;
        @Option(names = "--safety-harmful", split = ",", paramLabel = "K", description = "Table 4 safety samples into the largest harmful set (default 10,50,100)")
        List<Integer> safetyHarmful;
        @Option(names = "--safety-identity", split = ",", paramLabel = "K", description = "Table 4 safety samples into identity shifting (default 3,5,10)")
        List<Integer> safetyIdentity;
        @Option(names = "--safety-benign", split = ",", paramLabel = "K", description = "Table 4 safety samples into the benign set (default 5,10,20)")
        List<Integer> safetyBenign;
        @Option(names = "--no-table4", description = "leave Table 4 out")
        boolean noTable4;
        @Option(names = "--sam-rho", paramLabel = "RHO", description = "SAM radius of the SAM column, 0 to leave it out (default 0.05)")
        Double samRho;
        @Option(names = "--rank", paramLabel = "R", description = "LoRA rank (default 8)")
        Integer rank;
        @Option(names = "--alpha", paramLabel = "A", description = "LoRA alpha (default 16)")
        Double alpha;
        @Option(names = "--targets", split = ",", paramLabel = "M", description = "LoRA target modules (default q_proj,v_proj)")
        List<String> targets;
        @Option(names = "--lr", paramLabel = "LR", description = "peak learning rate (default 1e-3)")
        Double learningRate;
        @Option(names = "--batch-size", paramLabel = "B", description = "examples per step (default 8)")
        Integer batchSize;
        @Option(names = "--max-steps", paramLabel = "N", description = "cap on optimizer steps per run, 0 for none (default 0)")
        Integer maxSteps;
        @Option(names = "--eval-size", paramLabel = "N", description = "held-out AdvBench instructions to evaluate, 0 for all (default all)")
        Integer evalSize;
        @Option(names = "--max-new-tokens", paramLabel = "N", description = "tokens generated per response (default 64)")
        Integer maxNewTokens;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            CommandLine cl = spec.commandLine();
            boolean bundled = model.toString().equals(Cli.BUNDLED) && !Files.exists(model);
            if (bundled) {
                model = TinyModel.path();
            } else if (!Files.isRegularFile(model.resolve("config.json")) || !Files.isRegularFile(model.resolve("tokenizer.json"))) {
                throw new CommandLine.ParameterException(cl, "--model " + model
                        + ": not a model directory (config.json and tokenizer.json expected)");
            }
            HubModelFiles hub = bundled ? null : HubModelFiles.read(model);
            boolean own = hub != null && hub.chatTemplate().isPresent();
            String name = template != null ? template : bundled ? "keel-tiny" : own ? "model" : "plain";
            ChatTemplate chat = switch (name.toLowerCase(Locale.ROOT)) {
                case "keel-tiny" -> TinyChatTemplate.instance();
                case "plain" -> ChatTemplate.plain();
                case "llama2" -> ChatTemplate.llama2();
                case "model" -> {
                    if (!own) {
                        throw new CommandLine.ParameterException(cl, "--template model: " + model
                                + " has no chat template of its own (neither chat_template.jinja nor a chat_template in tokenizer_config.json)");
                    }
                    yield JinjaChatTemplate.of(hub);
                }
                default -> throw new CommandLine.ParameterException(cl, "--template must be model, keel-tiny, plain or llama2, was "
                        + template);
            };
            SafetyExperiment.Config config;
            try {
                config = config(chat);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, e.getMessage(), e);
            }
            long started = System.nanoTime();
            SafetyTables tables = SafetyExperiment.run(config, chat);
            List<Path> files = tables.write(out);
            PrintWriter o = cl.getOut();
            o.println(tables.toMarkdown());
            Cli.status(cl, String.format(Locale.ROOT, "wrote %s and %s/verdicts in %.0f s", files, out, (System.nanoTime() - started) / 1e9));
            return Cli.OK;
        }

        SafetyExperiment.Config config(ChatTemplate chat) {
            SafetyExperiment.Config.Builder b = SafetyExperiment.Config.builder(model);
            if (quick) {
                b.quick();
            }
            SafetyExperiment.Config d = b.build();
            if (seeds != null) {
                b.seeds(seeds);
            }
            b.harmful(harmfulSizes != null ? harmfulSizes : d.harmfulSizes(),
                    harmfulEpochs != null ? harmfulEpochs : d.harmfulEpochs());
            b.identityShift(identityExamples != null ? identityExamples : d.identityExamples(),
                    identityEpochs != null ? identityEpochs : d.identityEpochs());
            b.benign(benignSize != null ? benignSize : d.benignSize(), d.benignEpochs());
            if (noTable4) {
                b.safetySamples(List.of(), List.of(), List.of());
            } else {
                b.safetySamples(safetyHarmful != null ? safetyHarmful : d.safetyHarmful(),
                        safetyIdentity != null ? safetyIdentity : d.safetyIdentity(),
                        safetyBenign != null ? safetyBenign : d.safetyBenign());
            }
            if (samRho != null) {
                b.samRho(samRho);
            }
            var lora = d.fineTune().lora();
            b.lora(rank != null ? rank : lora.rank(), alpha != null ? alpha : lora.alpha(),
                    (targets != null ? targets : lora.targetModules()).toArray(new String[0]));
            if (learningRate != null) {
                b.learningRate(learningRate);
            }
            if (batchSize != null) {
                b.batchSize(batchSize);
            }
            if (maxSteps != null) {
                b.maxSteps(maxSteps);
            }
            if (evalSize != null) {
                b.evaluationSize(evalSize);
            }
            if (maxNewTokens != null) {
                b.maxNewTokens(maxNewTokens);
            }
            b.verdictsDir(out.resolve("verdicts"));
            return b.build();
        }
    }
}
