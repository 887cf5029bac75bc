package dev.keel.examples.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.embed.CachingEmbedder;
import dev.keel.core.embed.Embedder;
import dev.keel.core.embed.OnnxEmbedder;
import dev.keel.core.internal.AtomicFiles;
import dev.keel.core.internal.JsonLines;
import dev.keel.core.lm.search.Evaluator;
import dev.keel.core.lm.search.Mcts;
import dev.keel.core.lm.search.QTable;
import dev.keel.core.lm.search.SearchResult;
import dev.keel.core.lm.search.Verifier;
import dev.keel.examples.search.ExpertIteration;
import dev.keel.fewl.Fewl;
import dev.keel.fewl.FewlScorer;
import dev.keel.fewl.Reference;
import dev.keel.fewl.search.FewlVerifier;
import dev.keel.safety.PolicyCategory;
import dev.keel.safety.search.RefusalVerifier;
import dev.keel.examples.search.SearchBench;
import dev.keel.examples.search.SearchSetup;
import dev.keel.examples.search.SearchTask;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@code keel search solve|bench|distill}: Monte Carlo tree search over a language model's tokens. */
@Command(name = "search", mixinStandardHelpOptions = true,
        description = "Monte Carlo tree search over a language model's tokens: solve one prompt, or benchmark MCTS "
                + "against greedy, best-of-N and beam search at equal forward token-steps.",
        subcommands = {SearchCommand.Solve.class, SearchCommand.Bench.class, SearchCommand.Distill.class, SearchTreeCommand.class})
final class SearchCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: solve, bench, distill or tree");
    }

    /** {@code --model DIR|keel-tiny}. */
    static SearchSetup open(CommandLine cl, Path model) throws IOException {
        return SearchSetup.open(Cli.model(cl, "--model", model));
    }

    static SearchTask task(CommandLine cl, String name) {
        try {
            return SearchTask.of(name);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "--task " + e.getMessage(), e);
        }
    }

    /**
     * Writes {@code text} to {@code --out}: atomically to a regular file, directly into a stream,
     * or to standard output for {@code -}; never over the files of the model in {@code dir} (the
     * directory the search opened).
     */
    static void write(CommandLine cl, Path out, Path dir, String text) throws IOException {
        List<Path> inputs = new ArrayList<>();
        inputs.add(dir.resolve("config.json"));
        inputs.add(dir.resolve("model.safetensors"));
        inputs.add(dir.resolve("tokenizer.json"));
        try (Cli.Output o = Cli.output(cl, "--out", out, inputs, "search.json")) {
            AtomicFiles.write(o.path(), w -> w.write(text.getBytes(StandardCharsets.UTF_8)));
            o.finish();
        }
    }

    @Command(name = "solve", mixinStandardHelpOptions = true,
            description = "Search for a reply to one prompt; print the answer and the top of the Q table.")
    static final class Solve extends CheckedCommand {
        @Option(names = "--model", paramLabel = "DIR", description = "model directory, or keel-tiny for the bundled model (default: keel-tiny)")
        Path model;
        @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "the user's message")
        String prompt;
        @Option(names = "--task", paramLabel = "NAME", description = "verify with a task's exact answer computed from the prompt: add2, add1, copy, reverse")
        String task;
        @Option(names = "--answer", paramLabel = "TEXT", description = "verify with this exact answer")
        String answer;
        @Option(names = "--simulations", defaultValue = "64", paramLabel = "N", description = "simulation budget (default: ${DEFAULT-VALUE})")
        int simulations;
        @Option(names = "--budget", paramLabel = "N", description = "forward token-step budget (default: none)")
        Long budget;
        @Option(names = "--top-k", defaultValue = "8", paramLabel = "K", description = "actions per node (default: ${DEFAULT-VALUE})")
        int topK;
        @Option(names = "--c", defaultValue = "1.0", description = "PUCT exploration constant (default: ${DEFAULT-VALUE})")
        double c;
        @Option(names = "--max-tokens", paramLabel = "N", description = "the most tokens of a reply (default: the task's, else 32)")
        Integer maxTokens;
        @Option(names = "--seed", defaultValue = "42", description = "seed (default: ${DEFAULT-VALUE})")
        long seed;
        @Option(names = "--rows", defaultValue = "8", paramLabel = "N", description = "Q-table rows to print (default: ${DEFAULT-VALUE})")
        int rows;
        @Option(names = "--q-table", paramLabel = "FILE", description = "write the whole Q table (.json or .csv)")
        Path qTable;
        @Option(names = "--evaluator", paramLabel = "NAME", description = "answer (the exact answer of --task or --answer), "
                + "likelihood (the model's own), refusal (the offline refusal judge on the prompt as a harmful instruction: "
                + "(5 - score) / 4) or fewl (FEWL truthfulness against --references) (default: answer with --task or --answer, "
                + "fewl with --references, else likelihood)")
        String evaluatorName;
        @Option(names = "--category", defaultValue = "illegal_activity", paramLabel = "NAME", description = "the prompt's policy category for --evaluator refusal (default: ${DEFAULT-VALUE})")
        String category;
        @Option(names = "--references", paramLabel = "FILE", description = "JSON Lines of the references' answers to the prompt, {\"model\", \"answer\"} a line, for --evaluator fewl")
        Path references;
        @Option(names = "--solver", description = "the MCTS-Solver rule: finished replies' values are exact, solved subtrees are not visited again, a solved root ends the search")
        boolean solver;

        @Override
        int run(CommandLine cl) throws Exception {
            if (task != null && answer != null) {
                throw new CommandLine.ParameterException(cl, "give --task or --answer, not both");
            }
            SearchTask t = task == null ? null : task(cl, task);
            if (simulations < 1) {
                throw new CommandLine.ParameterException(cl, "--simulations must be >= 1, was " + simulations);
            }
            if (budget != null && budget < 1) {
                throw new CommandLine.ParameterException(cl, "--budget must be >= 1, was " + budget);
            }
            if (topK < 1) {
                throw new CommandLine.ParameterException(cl, "--top-k must be >= 1, was " + topK);
            }
            int depth = maxTokens != null ? maxTokens : t != null ? t.maxTokens() : 32;
            if (depth < 1) {
                throw new CommandLine.ParameterException(cl, "--max-tokens must be >= 1, was " + depth);
            }
            String name = evaluatorName != null ? evaluatorName
                    : t != null || answer != null ? "answer" : references != null ? "fewl" : "likelihood";
            if (!List.of("answer", "likelihood", "refusal", "fewl").contains(name)) {
                throw new CommandLine.ParameterException(cl,
                        "--evaluator must be one of [answer, likelihood, refusal, fewl], was " + name);
            }
            if (name.equals("answer") != (t != null || answer != null)) {
                throw new CommandLine.ParameterException(cl, "--task and --answer go with --evaluator answer, and it needs one of them");
            }
            if (name.equals("fewl") != (references != null)) {
                throw new CommandLine.ParameterException(cl, "--references goes with --evaluator fewl, and it needs them");
            }
            if (!name.equals("refusal") && cl.getParseResult().hasMatchedOption("--category")) {
                throw new CommandLine.ParameterException(cl, "--category goes with --evaluator refusal");
            }
            AutoCloseable owned = null;
            Evaluator evaluator;
            String how;
            switch (name) {
                case "answer" -> {
                    String want;
                    try {
                        want = t != null ? t.answer(prompt) : answer;
                    } catch (IllegalArgumentException e) {
                        throw new CommandLine.ParameterException(cl, "--prompt: " + e.getMessage(), e);
                    }
                    evaluator = Evaluator.rollout(Verifier.exactAnswer(want), 0);
                    how = "exact answer, greedy rollouts";
                }
                case "refusal" -> {
                    PolicyCategory pc;
                    try {
                        pc = PolicyCategory.parse(category);
                    } catch (IllegalArgumentException e) {
                        throw new CommandLine.ParameterException(cl, "--category: " + e.getMessage(), e);
                    }
                    evaluator = RefusalVerifier.rollout(RefusalVerifier.refusal(prompt, pc));
                    how = "refusal judge ((5 - score) / 4, category " + pc.id() + "), greedy rollouts";
                }
                case "fewl" -> {
                    List<Reference> refs = readReferences(cl, references);
                    Embedder embedder = new CachingEmbedder(OnnxEmbedder.allMiniLmL6V2(), true);
                    FewlScorer scorer = Fewl.builder().embedder(embedder).penalty(false).build();
                    owned = () -> {
                        try (embedder; scorer) {
                            // the scorer first, then the embedder it used
                        }
                    };
                    evaluator = FewlVerifier.of(scorer, prompt, refs).rollout();
                    how = "FEWL truthfulness against " + refs.size() + " references (all-MiniLM-L6-v2), greedy rollouts";
                }
                default -> {
                    evaluator = Evaluator.logLikelihood();
                    how = "the model's likelihood";
                }
            }
            try (AutoCloseable closeLater = owned) {
                return search(cl, depth, evaluator, how);
            }
        }

        /** The references file: one {"model", "answer"} object a line, a bad line named. */
        static List<Reference> readReferences(CommandLine cl, Path file) throws IOException {
            try (Cli.Input input = Cli.input(cl, "--references", file)) {
                List<Reference> refs = JsonLines.read(input.path(), node -> Reference.of(JsonLines.requireText(node, "model"),
                        JsonLines.requireText(node, "answer")));
                if (refs.isEmpty()) {
                    throw new CommandLine.ParameterException(cl, "--references " + file + " holds no reference");
                }
                return refs;
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, "--references: " + e.getMessage(), e);
            }
        }

        private int search(CommandLine cl, int depth, Evaluator evaluator, String how) throws IOException {
            try (SearchSetup setup = open(cl, model)) {
                Mcts.Builder b = Mcts.builder(setup.steps()).evaluator(evaluator).decoder(setup::decode)
                        .stopTokens(setup.stops()).topK(topK).cPuct(c).maxDepth(depth).simulations(simulations)
                        .seed(seed).solver(solver);
                if (budget != null) {
                    b.tokenBudget(budget);
                }
                Mcts mcts = b.build();
                Cli.status(cl, "search: " + mcts + ", evaluator: " + how);
                SearchResult r = mcts.search(setup.prompt(prompt));
                var out = cl.getOut();
                out.println("answer: " + r.answer().text());
                out.println(String.format(Locale.ROOT, "value %.4f, most visited: %s, %d simulations (%d failed), "
                                + "%d forward token-steps, %d nodes", r.answer().value(), r.mostVisited().text(),
                        r.simulations(), r.failedSimulations(), r.forwardSteps(), r.nodes()));
                out.println("prefix\ttoken\tP\tN\tQ");
                for (QTable.Row row : r.qTable().top(rows)) {
                    out.println(String.format(Locale.ROOT, "%s\t%s\t%.4f\t%d\t%s", row.prefix(), row.tokenText(),
                            row.prior(), row.visits(), Double.isNaN(row.q()) ? "-" : String.format(Locale.ROOT, "%.4f", row.q())));
                }
                out.flush();
                if (qTable != null) {
                    r.qTable().write(qTable);
                }
                return r.failedSimulations() == 0 ? Cli.OK
                        : r.failedSimulations() == r.simulations() ? Cli.ALL_FAILED : Cli.SOME_FAILED;
            }
        }
    }

    @Command(name = "bench", mixinStandardHelpOptions = true,
            description = "MCTS vs greedy, best-of-N and beam search on held-out problems at equal forward token-steps; JSON rows[].")
    static final class Bench extends CheckedCommand {
        @Option(names = "--model", paramLabel = "DIR", description = "model directory, or keel-tiny for the bundled model (default: keel-tiny)")
        Path model;
        @Option(names = "--task", required = true, paramLabel = "NAME", description = "add2, add1, copy or reverse")
        String task;
        @Option(names = "--budget", required = true, split = ",", paramLabel = "N[,N...]", description = "forward token-steps per problem")
        List<Long> budgets;
        @Option(names = "--seeds", defaultValue = "1,2,3", split = ",", description = "seeds (default: ${DEFAULT-VALUE})")
        List<Long> seeds;
        @Option(names = "--problems", defaultValue = "40", paramLabel = "N", description = "held-out problems (default: ${DEFAULT-VALUE})")
        int problems;
        @Option(names = "--out", defaultValue = "-", paramLabel = "FILE", description = "JSON output, written atomically (- for standard output) (default: ${DEFAULT-VALUE})")
        Path out;
        @Option(names = "--solver", description = "MCTS with the MCTS-Solver rule (default: without it, the setting fixed before the first bench)")
        boolean solver;
        @Option(names = "--graded", description = "MCTS searches with a graded value on sum tasks (1 for the answer, else 0.5 x the share of digits that agree from the right); accuracy stays exact match")
        boolean graded;
        @Option(names = "--methods", split = ",", paramLabel = "NAME[,NAME...]", description = "the rows to measure: greedy, best-of-n, beam, mcts, mcts-visits (default: all)")
        List<String> methods;

        @Override
        int run(CommandLine cl) throws Exception {
            SearchTask t = task(cl, task);
            SearchBench.Settings settings = SearchBench.Settings.defaults().withSolver(solver).withGraded(graded);
            if (graded && t != SearchTask.ADD1 && t != SearchTask.ADD2) {
                throw new CommandLine.ParameterException(cl, "--graded applies to the sum tasks add1 and add2, not " + t.key());
            }
            for (long b : budgets) {
                if (b < 1) {
                    throw new CommandLine.ParameterException(cl, "--budget must be >= 1, was " + b);
                }
            }
            if (problems < 1 || problems > 200) {
                throw new CommandLine.ParameterException(cl, "--problems must be in [1, 200], was " + problems);
            }
            List<String> chosen = methods == null ? SearchBench.METHODS : methods;
            for (String m : chosen) {
                if (!SearchBench.METHODS.contains(m)) {
                    throw new CommandLine.ParameterException(cl, "--methods must be among " + SearchBench.METHODS + ", was " + m);
                }
            }
            try (SearchSetup setup = open(cl, model)) {
                List<SearchBench.Row> rows = SearchBench.run(setup, t, problems, budgets, new ArrayList<>(seeds),
                        settings, chosen, Cli.quiet(cl) ? null : line -> {
                            cl.getErr().println(line);
                            cl.getErr().flush();
                        });
                ObjectNode json = SearchBench.toJson(t, model == null ? "keel-tiny" : model.toString(), problems, seeds,
                        settings, rows);
                write(cl, out, setup.dir(), json.toPrettyString() + "\n");
                return Cli.OK;
            }
        }
    }

    @Command(name = "distill", mixinStandardHelpOptions = true,
            description = "Expert iteration: search on training problems, fine-tune a LoRA adapter on the accepted replies, "
                    + "and report greedy exact match on held-out problems before and after each round (JSON).")
    static final class Distill extends CheckedCommand {
        @Option(names = "--model", paramLabel = "DIR", description = "model directory in keel-tiny's chat format, or keel-tiny for the bundled model (default: keel-tiny)")
        Path model;
        @Option(names = "--task", required = true, paramLabel = "NAME", description = "add2, add1, copy or reverse")
        String task;
        @Option(names = "--rounds", defaultValue = "1", description = "rounds (default: ${DEFAULT-VALUE})")
        int rounds;
        @Option(names = "--problems", defaultValue = "200", paramLabel = "N", description = "training problems searched per round (default: ${DEFAULT-VALUE})")
        int problems;
        @Option(names = "--held-out", defaultValue = "40", paramLabel = "N", description = "held-out problems evaluated (default: ${DEFAULT-VALUE})")
        int heldOut;
        @Option(names = "--budget", defaultValue = "64", paramLabel = "N", description = "forward token-steps per searched problem (default: ${DEFAULT-VALUE})")
        long budget;
        @Option(names = "--seed", defaultValue = "42", description = "seed (default: ${DEFAULT-VALUE})")
        long seed;
        @Option(names = "--out", defaultValue = "-", paramLabel = "FILE", description = "JSON output, written atomically (- for standard output) (default: ${DEFAULT-VALUE})")
        Path out;

        @Override
        int run(CommandLine cl) throws Exception {
            SearchTask t = task(cl, task);
            if (rounds < 1) {
                throw new CommandLine.ParameterException(cl, "--rounds must be >= 1, was " + rounds);
            }
            if (problems < 1) {
                throw new CommandLine.ParameterException(cl, "--problems must be >= 1, was " + problems);
            }
            if (heldOut < 1 || heldOut > 200) {
                throw new CommandLine.ParameterException(cl, "--held-out must be in [1, 200], was " + heldOut);
            }
            if (budget < 1) {
                throw new CommandLine.ParameterException(cl, "--budget must be >= 1, was " + budget);
            }
            try (SearchSetup setup = open(cl, model)) {
                List<ExpertIteration.Round> r = ExpertIteration.run(setup, t, rounds, problems, heldOut, budget, seed,
                        Cli.quiet(cl) ? null : line -> {
                            cl.getErr().println(line);
                            cl.getErr().flush();
                        });
                write(cl, out, setup.dir(), ExpertIteration.toJson(t, budget, seed, r).toPrettyString() + "\n");
                return Cli.OK;
            }
        }
    }
}
