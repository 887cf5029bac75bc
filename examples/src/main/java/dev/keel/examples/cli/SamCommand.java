package dev.keel.examples.cli;

import dev.keel.core.chat.ChatRecord;
import dev.keel.core.lm.generate.ChatTemplate;
import dev.keel.examples.tiny.TinyCorpus;
import dev.keel.examples.tiny.TinyModel;
import dev.keel.examples.sam.ForgettingExperiment;
import dev.keel.examples.sam.ForgettingTable;
import dev.keel.examples.sam.SamCommands;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code keel sam train|landscape|forgetting}: sharpness-aware LoRA fine-tuning and flatness. */
@Command(name = "sam", mixinStandardHelpOptions = true,
        description = "Sharpness-aware LoRA fine-tuning, loss landscapes, and the forgetting experiment.",
        subcommands = {SamCommand.TrainGone.class, SamCommand.Landscape.class, SamCommand.Forgetting.class})
final class SamCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: landscape or forgetting (training is 'keel train')");
    }

    /** The model directory (keel-tiny when none is given) and its chat template. */
    record ModelChoice(Path dir, ChatTemplate template) {
    }

    /** {@code --model} (default keel-tiny) and {@code --template}, shared by the subcommands. */
    static final class ModelOptions {
        @Option(names = "--model", paramLabel = "DIR", defaultValue = Cli.BUNDLED,
                description = "model directory, or keel-tiny for the bundled model (default: ${DEFAULT-VALUE})")
        Path model;
        @Option(names = "--template", defaultValue = "auto", description = "chat template: auto, tiny, plain or llama2 (default: ${DEFAULT-VALUE})")
        String template;

        /** The checked model directory and its template. */
        ModelChoice choice(CommandLine cl) throws IOException {
            Path dir = Cli.model(cl, "--model", model);
            return new ModelChoice(dir, ChatCommand.template(cl, template, dir));
        }
    }

    static CommandLine.ParameterException usage(CommandLine cl, IllegalArgumentException e) {
        return new CommandLine.ParameterException(cl, e.getMessage(), e);
    }

    /** {@code keel sam train}, replaced by {@code keel train}: says so and exits with the usage code. */
    @Command(name = "train", hidden = true, description = "Replaced by 'keel train --optimizer sam|asam|looksam'.")
    static final class TrainGone implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Unmatched
        List<String> ignored;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(), "'keel sam train' was replaced by 'keel train' "
                    + "(--optimizer adamw|sam|asam|looksam with --rho, --eta, --looksam-k; --data is now --in; --method sam:RHO is now --optimizer sam --rho RHO)");
        }
    }

    @Command(name = "landscape", mixinStandardHelpOptions = true,
            description = "Loss landscape L(w + a·d1 + b·d2) on a grid with filter-normalised directions: PNG contour plot, CSV grid, AG/MAG/SC and max-sharpness.")
    static final class Landscape extends CheckedCommand {
        @CommandLine.Mixin
        ModelOptions modelOptions;
        @CommandLine.Mixin
        AdapterOption adapterOption;
        @Option(names = "--in", required = true, paramLabel = "FILE", description = "chat records the loss is measured on (JSONL, - for standard input)")
        Path in;
        @Option(names = "--out", required = true, paramLabel = "FILE.png", description = "the plot; the grid goes next to it as .csv, the metrics as .json")
        Path out;
        @Option(names = "--grid", defaultValue = "51", description = "points per axis (default: ${DEFAULT-VALUE})")
        int grid;
        @Option(names = "--lora-only", description = "move only the adapter's weights")
        boolean loraOnly;

        @Override
        int run(CommandLine cl) throws Exception {
            Path adapter = adapterOption.checked(cl);
            if (loraOnly && adapter == null) {
                throw new CommandLine.ParameterException(cl, "--lora-only needs --adapter");
            }
            ModelChoice m = modelOptions.choice(cl);
            SamCommands.LandscapeOptions o;
            try {
                o = SamCommands.LandscapeOptions.defaults().withGrid(grid).withLoraOnly(loraOnly).withTemplate(m.template());
            } catch (IllegalArgumentException e) {
                throw usage(cl, e);
            }
            SamCommands.LandscapeReport r;
            try (Cli.Input input = Cli.input(cl, "--in", in)) {
                List<Path> inputs = new ArrayList<>(List.of(input.path()));
                if (adapter != null) {
                    Cli.refuseInside(cl, "--out", adapter, out, "--adapter");
                }
                Cli.refuseInside(cl, "--out", m.dir(), out, "--model");
                Cli.refuse(cl, "--out", inputs, out);
                ProgressBar bar = Cli.progress(cl, "landscape", (long) grid * grid);
                r = SamCommands.landscape(m.dir(), adapter, input.path(), out, o, bar::update);
            }
            {
                var f = r.landscape().metrics();
                cl.getOut().printf(java.util.Locale.ROOT, "loss %.4f, AG %.4f, MAG %.4f, SC %.4f%s -> %s, %s%n",
                        r.landscape().baseLoss(), f.ag(), f.mag(), f.sc(),
                        r.sharpness() != null ? String.format(java.util.Locale.ROOT, ", max-sharpness %.4f", r.sharpness().value()) : "",
                        r.png(), r.csv());
            }
            return 0;
        }
    }

    @Command(name = "forgetting", mixinStandardHelpOptions = true,
            description = "The forgetting experiment: fine-tune on a new task B (multiplication) with and without SAM, WiSE-FT and rehearsal; measure task A kept, task B learned, and flatness.")
    static final class Forgetting extends CheckedCommand {
        @CommandLine.Mixin
        ModelOptions modelOptions;
        @Option(names = "--task-a", paramLabel = "FILE", description = "held-out records of the model's existing skills (default for keel-tiny: its held-out generated prompts)")
        Path taskA;
        @Option(names = "--out", required = true, paramLabel = "DIR", description = "table, per-run CSV and landscape plots")
        Path out;
        @Option(names = "--methods", split = ",", defaultValue = "none,sam:0.05,sam:0.5,looksam:0.05:5",
                description = "methods (default: ${DEFAULT-VALUE})")
        List<String> methods;
        @Option(names = "--seeds", split = ",", defaultValue = "1,2,3", description = "seeds (default: ${DEFAULT-VALUE})")
        List<Long> seeds;
        @Option(names = "--steps", defaultValue = "40", description = "optimizer steps per run (default: ${DEFAULT-VALUE})")
        int steps;
        @Option(names = "--lr", defaultValue = "3e-3", description = "peak AdamW rate (default: ${DEFAULT-VALUE})")
        double lr;
        @Option(names = "--rehearsal", defaultValue = "0.2", description = "old records per new record in the +rehearsal rows; 0 for none (default: ${DEFAULT-VALUE})")
        double rehearsal;

        @Override
        int run(CommandLine cl) throws Exception {
            ModelChoice m = modelOptions.choice(cl);
            Files.createDirectories(out);
            Path a = taskA;
            Path pool = null;
            if (a == null) {
                if (!m.dir().equals(TinyModel.path())) {
                    throw new CommandLine.ParameterException(cl, "--task-a is required with a --model other than keel-tiny");
                }
                a = out.resolve("task-a.jsonl");
                pool = out.resolve("task-a-pool.jsonl");
                writeTinyTaskA(a, pool);
            } else {
                SafetyCommand.requireFile(cl, "--task-a", a);
            }
            ForgettingExperiment.Config c;
            try {
                ForgettingExperiment.Config.Builder b = ForgettingExperiment.Config.builder(m.dir(), a)
                        .seeds(seeds.stream().mapToLong(Long::longValue).toArray())
                        .methods(methods.toArray(new String[0])).steps(steps).learningRate(lr).batchSize(16)
                        .generatedTaskB(192).landscapeGrid(7).sharpnessRho(0.05).plots(out.resolve("plots"), 11);
                if (pool != null && rehearsal > 0) {
                    b.rehearsal(pool, rehearsal);
                }
                c = b.build();
            } catch (IllegalArgumentException e) {
                throw usage(cl, e);
            }
            ForgettingTable t = SamCommands.forgetting(c, m.template(), out);
            cl.getOut().println(t.toMarkdown());
            return 0;
        }

        /** keel-tiny's task A: its held-out generated prompts (refusals aside), and a rehearsal pool from its training split. */
        static void writeTinyTaskA(Path taskA, Path pool) throws IOException {
            List<ChatRecord> a = new ArrayList<>();
            for (TinyCorpus.Item i : TinyCorpus.heldOut(42, 12)) {
                if (i.family() != TinyCorpus.Family.REFUSAL) {
                    a.add(ChatRecord.of(null, i.prompt(), i.answer()).withCategory(i.family().key()));
                }
            }
            List<ChatRecord> p = new ArrayList<>();
            for (TinyCorpus.Item i : TinyCorpus.train(7)) {
                if (i.family() != TinyCorpus.Family.REFUSAL && p.size() < 200) {
                    p.add(ChatRecord.of(null, i.prompt(), i.answer()));
                }
            }
            ChatRecord.writeAll(taskA, a);
            ChatRecord.writeAll(pool, p);
        }
    }
}
