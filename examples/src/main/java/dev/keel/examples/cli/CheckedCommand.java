package dev.keel.examples.cli;

import picocli.CommandLine;

import java.util.concurrent.Callable;

/**
 * A command that checks its options against its own command line: picocli injects the spec, and
 * {@link #run(CommandLine)} gets the command line that usage errors are reported on.
 */
abstract class CheckedCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public final Integer call() throws Exception {
        return run(spec.commandLine());
    }

    /** Runs the command; throws {@link CommandLine.ParameterException} for a bad option. Returns the exit code. */
    abstract int run(CommandLine cl) throws Exception;
}
