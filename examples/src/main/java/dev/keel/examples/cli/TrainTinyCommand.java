package dev.keel.examples.cli;

import dev.keel.core.lm.train.TrainingListener;
import dev.keel.examples.tiny.TinyRecipe;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code keel train-tiny}: trains keel-tiny from scratch with {@link TinyRecipe}. */
@Command(name = "train-tiny", mixinStandardHelpOptions = true,
        description = "Train the small keel-tiny chat model from scratch on the generated instruction corpus (about 15 minutes on 2 cores) and evaluate it.")
final class TrainTinyCommand implements Callable<Integer> {

    @Option(names = "--out", defaultValue = "keel-tiny", paramLabel = "DIR", description = "output model directory (default: ${DEFAULT-VALUE})")
    Path out;
    @Option(names = "--seed", defaultValue = "42", description = "seed (default: ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--steps", paramLabel = "N", description = "optimizer steps (default: the recipe's)")
    Integer steps;
    @Option(names = "--threads", defaultValue = "1", description = "PyTorch intra-op threads, set before the engine starts "
            + "(default: ${DEFAULT-VALUE}: steady on a shared machine, and the setting the bundled weights were trained with)")
    int threads;
    @Option(names = "--arch", defaultValue = "llama", paramLabel = "ARCH",
            description = "llama (the bundled keel-tiny) or rwkv (RWKV-4 of the same width, depth and parameter count) (default: ${DEFAULT-VALUE})")
    String arch;
    @Option(names = "--smoke", hidden = true, description = "a seconds-long run of a very small model, for tests")
    boolean smoke;
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        CommandLine cl = spec.commandLine();
        if (threads <= 0) {
            throw new CommandLine.ParameterException(cl, "--threads must be > 0, was " + threads);
        }
        TinyRecipe.Arch architecture;
        try {
            architecture = TinyRecipe.Arch.parse(arch);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "--arch must be llama or rwkv, was " + arch);
        }
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        TinyRecipe.Settings s = smoke ? TinyRecipe.Settings.smoke() : TinyRecipe.Settings.defaults();
        if (steps != null) {
            if (steps <= 0) {
                throw new CommandLine.ParameterException(cl, "--steps must be > 0, was " + steps);
            }
            s = s.withSteps(steps);
        }
        ProgressBar bar = Cli.progress(cl, "train-tiny", s.steps());
        TinyRecipe.Result r = TinyRecipe.train(out, seed, s, architecture, new TrainingListener() {
            @Override
            public void onStep(Progress p) {
                bar.update(p.step());
            }
        });
        var ev = r.metrics().path("evaluation");
        Cli.status(cl, String.format(Locale.ROOT, "%s -> %s: %.0f s, final loss %.4f, refusal %.3f, false refusal %.3f, accuracy %s",
                r.metrics().path("model").asText(), r.dir(), r.seconds(), r.finalLoss(), ev.path("refusal_rate_heldout_advbench").asDouble(),
                ev.path("false_refusal_rate_heldout_benign").asDouble(), ev.path("exact_match_accuracy")));
        return 0;
    }
}
