package dev.keel.examples.cli;

import ai.djl.Device;
import dev.keel.core.chat.ChatRequest;
import dev.keel.core.chat.GenerationOptions;
import dev.keel.core.lm.generate.ChatTemplate;
import dev.keel.core.lm.generate.LocalChatModel;
import dev.keel.examples.tiny.TinyChatTemplate;
import dev.keel.examples.tiny.TinyModel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code keel chat}: one reply from a local Llama-family model (keel-tiny by default). */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = "Reply to a prompt with a local Llama-family model (default: the bundled keel-tiny).")
final class ChatCommand implements Callable<Integer> {

    @Option(names = "--model", paramLabel = "DIR", description = "model directory (config.json, *.safetensors, tokenizer.json); default: keel-tiny")
    Path model;
    @CommandLine.Mixin
    AdapterOption adapterOption;
    @Option(names = "--template", defaultValue = "auto", paramLabel = "NAME",
            description = "chat template: auto, tiny, plain or llama2 (default: ${DEFAULT-VALUE}: tiny when the tokenizer has keel-tiny's markers, else plain)")
    String template;
    @Option(names = "--max-tokens", defaultValue = "128", description = "maximum new tokens (default: ${DEFAULT-VALUE})")
    int maxTokens;
    @Option(names = "--temperature", defaultValue = "0", description = "0 for greedy (default: ${DEFAULT-VALUE})")
    double temperature;
    @Option(names = "--seed", defaultValue = "0", description = "sampling seed (default: ${DEFAULT-VALUE})")
    long seed;
    @Parameters(index = "0", paramLabel = "PROMPT", description = "the user message")
    String prompt;
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        CommandLine cl = spec.commandLine();
        if (maxTokens <= 0) {
            throw new CommandLine.ParameterException(cl, "--max-tokens must be > 0, was " + maxTokens);
        }
        if (temperature < 0) {
            throw new CommandLine.ParameterException(cl, "--temperature must be >= 0, was " + temperature);
        }
        Path dir = model != null ? requireModelDir(cl, "--model", model) : TinyModel.path();
        Path adapter = adapterOption.checked(cl);
        ChatTemplate t = template(cl, template, dir);
        GenerationOptions options = GenerationOptions.builder().maxTokens(maxTokens).temperature(temperature)
                .seed(seed).build();
        try (LocalChatModel chat = LocalChatModel.load(dir, adapter, Device.cpu(), t)) {
            String reply = chat.generateAll(java.util.List.of(new ChatRequest(ChatRequest.ofUser(prompt).messages(),
                    options))).get(0).textOrThrow();
            cl.getOut().println(reply);
        }
        return 0;
    }

    static Path requireDir(CommandLine cl, String option, Path p) {
        if (!Files.isDirectory(p)) {
            throw new CommandLine.ParameterException(cl, option + " " + p + ": no such directory");
        }
        return p;
    }

    static Path requireModelDir(CommandLine cl, String option, Path p) {
        requireDir(cl, option, p);
        if (!Files.isRegularFile(p.resolve("config.json"))) {
            throw new CommandLine.ParameterException(cl, option + " " + p + ": no config.json in the directory");
        }
        return p;
    }

    /** The named template; {@code auto} picks keel-tiny's when the tokenizer defines its markers. */
    static ChatTemplate template(CommandLine cl, String name, Path modelDir) throws IOException {
        switch (name) {
            case "tiny":
                return TinyChatTemplate.instance();
            case "plain":
                return ChatTemplate.plain();
            case "llama2":
                return ChatTemplate.llama2();
            case "auto":
                Path tok = modelDir.resolve("tokenizer.json");
                return Files.isRegularFile(tok) && Files.readString(tok).contains("\"" + TinyChatTemplate.ASSISTANT + "\"")
                        ? TinyChatTemplate.instance() : ChatTemplate.plain();
            default:
                throw new CommandLine.ParameterException(cl, "--template must be auto, tiny, plain or llama2, was " + name);
        }
    }
}
