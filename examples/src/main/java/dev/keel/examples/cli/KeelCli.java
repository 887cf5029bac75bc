package dev.keel.examples.cli;

import dev.keel.core.KeelVersion;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The {@code keel} command line.
 *
 * <pre>
 * java -jar examples/target/keel.jar similarity "The cat sits on the mat." "A cat is sitting on a mat."
 * java -jar examples/target/keel.jar embed --in answers.txt --out vectors.jsonl
 * cat answers.txt | java -jar examples/target/keel.jar embed --in - --out - --quiet &gt; vectors.jsonl
 * java -jar examples/target/keel.jar chat "What is the capital of France?"
 * java -jar examples/target/keel.jar train-tiny --out my-tiny --seed 42
 * java -jar examples/target/keel.jar train --model keel-tiny --in train.jsonl --out adapter --optimizer sam --rho 0.05
 * java -jar examples/target/keel.jar lm logits --model DIR --in ids.json --out logits.safetensors
 * java -jar examples/target/keel.jar --version
 * </pre>
 *
 * <p>One vocabulary for every command: {@code --in} (an input, {@code -} for standard input),
 * {@code --out} (an output, {@code -} for standard output where it is a stream), {@code --model} (a
 * local model directory, or {@code keel-tiny} for the bundled model), {@code --endpoint} and
 * {@code --endpoint-model} for a remote model, {@code --seed} (default 42), {@code --quiet} (no
 * status lines and no progress bar; warnings and errors only) and {@code --verbose}. Results go to
 * standard output (or {@code --out}); status lines, logs and the progress bar (drawn only when
 * standard error is a terminal) go to standard error.
 *
 * <p>Exit codes, the same in every command: 0 all good; 1 an error while running (one line, set
 * {@code KEEL_DEBUG=1} for the stack trace); 2 bad arguments or input; 3 some items failed; 4 every
 * item failed; 5 training diverged.
 */
@Command(name = "keel", mixinStandardHelpOptions = true, versionProvider = KeelCli.Version.class,
        description = "Keel: hallucination scores without gold answers, fine-tuning that forgets less, safety that survives fine-tuning.",
        subcommands = {FewlCommand.class, SimilarityCommand.class, EmbedCommand.class, SafetyCommand.class, SamCommand.class,
                ChatCommand.class, TrainTinyCommand.class, TrainCommand.class, TrainCommand.LoraTrainGone.class,
                LmCommand.class, SearchCommand.class, CommandLine.HelpCommand.class})
public final class KeelCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--quiet", scope = ScopeType.INHERIT,
            description = "no status lines and no progress bar on standard error; warnings and errors only")
    boolean quiet;

    @Option(names = "--verbose", scope = ScopeType.INHERIT,
            description = "more on standard error: the provenance of an output written to a stream (-, a FIFO), which gets no .provenance.json")
    boolean verbose;

    /** Whether standard error is a terminal (the progress bar is drawn only then). */
    boolean stderrIsTerminal;

    /** Exit code for bad arguments. */
    public static final int USAGE = Cli.USAGE;
    /** Exit code for a failure while running. */
    public static final int FAILURE = Cli.FAILURE;

    /** Creates the root command (picocli calls it). */
    public KeelCli() {
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    /**
     * Runs {@code keel} with the process's streams and exits with its code.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
        if (Arrays.asList(args).contains("--quiet")) {
            // before any logger exists: slf4j-simple reads system properties over its properties file
            System.setProperty("org.slf4j.simpleLogger.log.dev.keel", "warn");
        }
        boolean terminal = ProgressBar.stderrIsTerminal();
        if (terminal) {
            System.setErr(new PrintStream(ProgressBar.guard(System.err), true, StandardCharsets.UTF_8));
        }
        PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new java.io.OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        int code = run(out, err, terminal, args);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /**
     * Runs the command line with the given streams (standard error taken as no terminal).
     *
     * @param out  standard output
     * @param err  standard error
     * @param args the command line
     * @return the exit code
     */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return run(out, err, false, args);
    }

    /**
     * Runs the command line with the given streams.
     *
     * @param out              standard output
     * @param err              standard error
     * @param stderrIsTerminal whether {@code err} is a terminal (the progress bar is drawn only then)
     * @param args             the command line
     * @return the exit code
     */
    public static int run(PrintWriter out, PrintWriter err, boolean stderrIsTerminal, String... args) {
        KeelCli root = new KeelCli();
        root.stderrIsTerminal = stderrIsTerminal;
        CommandLine cl = new CommandLine(root);
        cl.setOut(out);
        cl.setErr(err);
        documentExitCodes(cl);
        cl.setParameterExceptionHandler((ex, a) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println("keel: " + Cli.unmask(ex.getMessage()));
            c.getErr().println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for more information.");
            c.getErr().flush();
            return Cli.USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            if (ex instanceof IllegalArgumentException) {
                c.getErr().println("keel: " + Cli.unmask(describe(ex)));
                c.getErr().flush();
                return Cli.USAGE;
            }
            if (ex instanceof Cli.DivergedException) {
                c.getErr().println("keel: diverged: " + Cli.unmask(describe(ex)));
                c.getErr().flush();
                return Cli.DIVERGED;
            }
            c.getErr().println("keel: error: " + Cli.unmask(describe(ex)));
            if (System.getenv("KEEL_DEBUG") != null) {
                ex.printStackTrace(c.getErr());
            }
            c.getErr().flush();
            return Cli.FAILURE;
        });
        return cl.execute(args);
    }

    /** Lists the exit codes in every command's {@code --help}, unless a command lists its own. */
    private static void documentExitCodes(CommandLine cl) {
        CommandLine.Model.UsageMessageSpec u = cl.getCommandSpec().usageMessage();
        if (u.exitCodeList().isEmpty()) {
            u.exitCodeListHeading("%nExit codes:%n").exitCodeList(Cli.EXIT_CODES);
        }
        for (CommandLine sub : cl.getSubcommands().values()) {
            documentExitCodes(sub);
        }
    }

    private static String describe(Throwable ex) {
        String m = ex.getMessage();
        return m == null || m.isBlank() ? ex.getClass().getSimpleName() : m;
    }

    /** Prints the library version. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"keel " + KeelVersion.get(), "Java " + System.getProperty("java.version")};
        }
    }
}
