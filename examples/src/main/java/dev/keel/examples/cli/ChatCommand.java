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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code keel chat}: one reply from a local Llama-family model (keel-tiny by default). A model
 * directory is read as the Hub ships it: its own chat template, BOS, every eos id as a stop, and the
 * defaults of generation_config.json for what the flags leave unset.
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = "Reply to a prompt with a local Llama-family model (default: the bundled keel-tiny), using the model directory's "
                + "own chat template, BOS, stop ids and generation defaults unless flags override them.")
final class ChatCommand implements Callable<Integer> {

    @Option(names = "--model", paramLabel = "DIR", defaultValue = Cli.BUNDLED,
            description = "model directory (config.json, *.safetensors, tokenizer.json), or keel-tiny for the bundled model (default: ${DEFAULT-VALUE})")
    Path model;
    @CommandLine.Mixin
    AdapterOption adapterOption;
    @Option(names = "--template", defaultValue = "auto", paramLabel = "NAME",
            description = "chat template: auto, model, tiny, plain or llama2 (default: ${DEFAULT-VALUE}: the directory's own Jinja template "
                    + "when it has one, else tiny when the tokenizer has keel-tiny's markers, else plain; model: the directory's own or refuse)")
    String template;
    @Option(names = "--stop-ids", split = ",", paramLabel = "ID",
            description = "token ids that end the reply, replacing the directory's (every eos_token_id of generation_config.json "
                    + "or config.json, and tokenizer_config.json's eos_token)")
    List<Long> stopIds;
    @Option(names = "--stop", paramLabel = "TEXT", description = "a string that ends the reply (repeatable), besides the template's")
    List<String> stops;
    @Option(names = "--max-tokens", paramLabel = "N",
            description = "maximum new tokens (default: generation_config.json's max_new_tokens, else 128)")
    Integer maxTokens;
    @Option(names = "--temperature", paramLabel = "T",
            description = "0 for greedy (default: generation_config.json's when it samples, else 0)")
    Double temperature;
    @Option(names = "--top-p", paramLabel = "P", description = "nucleus threshold in (0, 1] (default: generation_config.json's, else 1)")
    Double topP;
    @Option(names = "--seed", defaultValue = "42", description = "sampling seed (default: ${DEFAULT-VALUE})")
    long seed;
    @Parameters(index = "0", paramLabel = "PROMPT", description = "the user message")
    String prompt;
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The reply limit where neither the flag nor generation_config.json sets one. */
    static final int DEFAULT_MAX_TOKENS = 128;

    @Override
    public Integer call() throws Exception {
        CommandLine cl = spec.commandLine();
        if (maxTokens != null && maxTokens <= 0) {
            throw new CommandLine.ParameterException(cl, "--max-tokens must be > 0, was " + maxTokens);
        }
        if (temperature != null && (temperature < 0 || !Double.isFinite(temperature))) {
            throw new CommandLine.ParameterException(cl, "--temperature must be >= 0, was " + temperature);
        }
        if (topP != null && !(topP > 0 && topP <= 1)) {
            throw new CommandLine.ParameterException(cl, "--top-p must be in (0, 1], was " + topP);
        }
        if (stopIds != null) {
            for (long id : stopIds) {
                if (id < 0) {
                    throw new CommandLine.ParameterException(cl, "--stop-ids must be token ids >= 0, was " + id);
                }
            }
        }
        if (stops != null && stops.stream().anyMatch(String::isEmpty)) {
            throw new CommandLine.ParameterException(cl, "--stop must not be empty");
        }
        Path dir = Cli.model(cl, "--model", model);
        Path adapter = adapterOption.checked(cl);
        LocalChatModel.Loader loader = LocalChatModel.loader(dir).adapter(adapter).device(Device.cpu())
                .stopTokenIds(stopIds == null ? null : new LinkedHashSet<>(stopIds));
        switch (template) {
            case "auto":
                loader.fallbackTemplate(template(cl, "auto", dir));
                break;
            case "model":
                break;
            case "tiny":
            case "plain":
            case "llama2":
                loader.template(template(cl, template, dir));
                break;
            default:
                throw new CommandLine.ParameterException(cl, "--template must be auto, model, tiny, plain or llama2, was " + template);
        }
        GenerationOptions.Builder options = GenerationOptions.builder().seed(seed);
        if (maxTokens != null) {
            options.maxTokens(maxTokens);
        }
        if (temperature != null) {
            options.temperature(temperature);
        }
        if (topP != null) {
            options.topP(topP);
        }
        if (stops != null) {
            options.stop(stops);
        }
        try (LocalChatModel chat = load(cl, loader)) {
            if (maxTokens == null && chat.generationDefaults().maxNewTokens() == 0 && chat.generationDefaults().maxLength() == 0) {
                options.maxTokens(DEFAULT_MAX_TOKENS);
            }
            String reply = chat.generateAll(List.of(new ChatRequest(ChatRequest.ofUser(prompt).messages(),
                    options.build()))).get(0).textOrThrow();
            cl.getOut().println(reply);
        }
        return 0;
    }

    private static LocalChatModel load(CommandLine cl, LocalChatModel.Loader loader) throws IOException {
        try {
            return loader.load();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, e.getMessage(), e);
        }
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
