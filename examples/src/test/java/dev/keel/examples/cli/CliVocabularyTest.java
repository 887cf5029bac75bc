package dev.keel.examples.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Walks picocli's spec of every {@code keel} command and checks the one vocabulary (issue 13,
 * acceptance 3): the same option names for the same concepts, {@code --seed} 42 everywhere,
 * {@code --quiet} everywhere, and the exit codes in every {@code --help}.
 */
class CliVocabularyTest {

    /** Names that were used for a concept that now has one name, and that name. */
    private static final Map<String, String> RETIRED = Map.of(
            "--data", "--in", "--input-ids", "--in", "--input", "--in", "--out-dir", "--out", "--output", "--out",
            "--method", "--optimizer", "--model-name", "--endpoint-model", "--judge-model", "--endpoint-model",
            "--url", "--endpoint", "--random-seed", "--seed");

    private static List<CommandLine> commands() {
        CommandLine root = new CommandLine(new KeelCli());
        List<CommandLine> all = new ArrayList<>();
        collect(root, all);
        return all;
    }

    private static void collect(CommandLine c, List<CommandLine> out) {
        if (c.getCommandSpec().usageMessage().hidden() || c.getCommand() instanceof CommandLine.HelpCommand) {
            return;
        }
        out.add(c);
        for (CommandLine sub : c.getSubcommands().values()) {
            collect(sub, out);
        }
    }

    private static List<OptionSpec> visible(CommandSpec spec) {
        return spec.options().stream().filter(o -> !o.hidden()).toList();
    }

    @Test
    void everyCommandIsWalked() {
        List<String> names = commands().stream().map(c -> c.getCommandSpec().qualifiedName()).toList();
        assertThat(names).contains("keel train", "keel embed", "keel fewl score", "keel safety judge", "keel lm logits",
                "keel sam landscape", "keel chat", "keel train-tiny").doesNotContain("keel lora-train", "keel sam train");
        assertThat(names.size()).isGreaterThanOrEqualTo(18);
    }

    @Test
    void noCommandUsesARetiredName() {
        for (CommandLine c : commands()) {
            for (OptionSpec o : c.getCommandSpec().options()) {
                for (String n : o.names()) {
                    assertThat(RETIRED).as(c.getCommandSpec().qualifiedName() + " " + n + " is now " + RETIRED.get(n))
                            .doesNotContainKey(n);
                }
            }
        }
    }

    @Test
    void everySeedDefaultsTo42() {
        int seen = 0;
        for (CommandLine c : commands()) {
            OptionSpec seed = c.getCommandSpec().findOption("--seed");
            if (seed != null) {
                seen++;
                assertThat(seed.defaultValue()).as(c.getCommandSpec().qualifiedName() + " --seed").isEqualTo("42");
                assertThat(String.join(" ", seed.description())).as(c.getCommandSpec().qualifiedName() + " shows its default").contains("(default: 42)");
            }
        }
        assertThat(seen).isGreaterThanOrEqualTo(7);
    }

    @Test
    void everyCommandTakesQuietAndVerboseAndListsTheExitCodes() {
        for (CommandLine c : commands()) {
            CommandSpec s = c.getCommandSpec();
            assertThat(s.findOption("--quiet")).as(s.qualifiedName() + " --quiet").isNotNull();
            assertThat(s.findOption("--verbose")).as(s.qualifiedName() + " --verbose").isNotNull();
            assertThat(s.findOption("--help")).as(s.qualifiedName() + " --help").isNotNull();
        }
        for (String[] args : new String[][] {{"train", "--help"}, {"embed", "--help"}, {"fewl", "score", "--help"},
                {"lm", "logits", "--help"}, {"safety", "mix", "--help"}, {"sam", "landscape", "--help"}, {"--help"}}) {
            KeelCliTest.Run r = KeelCliTest.run(args);
            assertThat(r.code()).isZero();
            assertThat(r.out()).as(String.join(" ", args)).contains("Exit codes:").contains("--quiet")
                    .containsPattern("(?m)^\\s+0\\s+all good").containsPattern("(?m)^\\s+2\\s+bad arguments")
                    .containsPattern("(?m)^\\s+3\\s+some items failed").containsPattern("(?m)^\\s+4\\s+every item failed")
                    .containsPattern("(?m)^\\s+5\\s+training diverged");
        }
    }

    @Test
    void theSameConceptHasTheSameNameEverywhere() {
        for (CommandLine c : commands()) {
            CommandSpec s = c.getCommandSpec();
            String where = s.qualifiedName();
            for (OptionSpec o : visible(s)) {
                String n = o.longestName();
                String d = String.join(" ", o.description());
                switch (n) {
                    case "--model" -> {
                        assertThat(o.paramLabel()).as(where + " --model is a local directory").isEqualTo("DIR");
                        assertThat(d).as(where + " --model accepts the bundled name").contains("keel-tiny");
                    }
                    case "--endpoint-model" -> assertThat(s.findOption("--endpoint")).as(where + ": --endpoint-model needs --endpoint").isNotNull();
                    case "--in" -> assertThat(o.paramLabel()).as(where + " --in").isIn("FILE", "DIR");
                    case "--out" -> assertThat(o.paramLabel()).as(where + " --out").isIn("FILE", "DIR", "FILE.png");
                    default -> {
                        // a concept of its own
                    }
                }
                if (Set.of("--in", "--out").contains(n) && (d.contains("JSONL") || d.contains("JSON Lines"))) {
                    assertThat(d).as(where + " " + n + ": a stream takes -").contains("- for standard");
                }
            }
            if (s.findOption("--endpoint") != null) {
                assertThat(s.findOption("--endpoint-model")).as(where + ": a remote model is --endpoint-model").isNotNull();
                assertThat(s.findOption("--model")).as(where + ": --model is a local directory, not a remote name").isNull();
            }
        }
    }
}
