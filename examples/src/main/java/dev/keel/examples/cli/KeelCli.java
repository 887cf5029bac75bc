package dev.keel.examples.cli;

import dev.keel.core.KeelVersion;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * The {@code keel} command line.
 *
 * <pre>
 * java -jar examples/target/keel.jar similarity "The cat sits on the mat." "A cat is sitting on a mat."
 * java -jar examples/target/keel.jar embed --in answers.txt --out vectors.jsonl
 * java -jar examples/target/keel.jar chat "What is the capital of France?"
 * java -jar examples/target/keel.jar train-tiny --out keel-tiny --seed 42
 * java -jar examples/target/keel.jar lora-train --model keel-tiny --data train.jsonl --out adapter
 * java -jar examples/target/keel.jar lm logits --model DIR --input-ids ids.json --out logits.safetensors
 * java -jar examples/target/keel.jar --version
 * </pre>
 *
 * <p>Bad arguments print a short message and exit with code 2; a failure while running prints
 * one line and exits with code 1 (set {@code KEEL_DEBUG=1} for the stack trace).
 */
@Command(name = "keel", mixinStandardHelpOptions = true, versionProvider = KeelCli.Version.class,
        description = "Keel: hallucination scores without gold answers, fine-tuning that forgets less, safety that survives fine-tuning.",
        subcommands = {FewlCommand.class, SimilarityCommand.class, EmbedCommand.class, SafetyCommand.class, SamCommand.class,
                ChatCommand.class, TrainTinyCommand.class, LoraTrainCommand.class, LmCommand.class, SearchCommand.class, CommandLine.HelpCommand.class})
public final class KeelCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Exit code for bad arguments. */
    public static final int USAGE = 2;
    /** Exit code for a failure while running. */
    public static final int FAILURE = 1;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs the command line with the given streams and returns its exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new KeelCli());
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println("keel: " + ex.getMessage());
            c.getErr().println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for more information.");
            c.getErr().flush();
            return USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            if (ex instanceof IllegalArgumentException) {
                c.getErr().println("keel: " + ex.getMessage());
                c.getErr().flush();
                return USAGE;
            }
            c.getErr().println("keel: error: " + describe(ex));
            if (System.getenv("KEEL_DEBUG") != null) {
                ex.printStackTrace(c.getErr());
            }
            c.getErr().flush();
            return FAILURE;
        });
        return cl.execute(args);
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
