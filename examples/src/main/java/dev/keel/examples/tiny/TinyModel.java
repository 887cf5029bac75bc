package dev.keel.examples.tiny;

import ai.djl.Device;
import dev.keel.core.lm.generate.LocalChatModel;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * keel-tiny, the small chat model bundled in this jar (Llama architecture, about a million
 * parameters, trained from scratch by {@link TinyRecipe}). It follows instructions from its
 * training families (arithmetic, copying and reversing words, capitals, colours, TruthfulQA's best
 * answers, simple how-to requests) and refuses harmful requests; it is a fixture for demos and
 * tests, not a useful assistant.
 *
 * <pre>{@code
 * try (LocalChatModel chat = TinyModel.load()) {
 *     System.out.println(chat.generate(ChatRequest.ofUser("What is the capital of France?")).text());
 * }
 * }</pre>
 */
public final class TinyModel {

    /** Where the files lie on the class path. */
    public static final String RESOURCE_DIR = "/dev/keel/examples/tiny/keel-tiny/";
    /** The files of the model directory. */
    public static final List<String> FILES = List.of("config.json", "model.safetensors", "tokenizer.json", "metrics.json");

    private static Path extracted;

    private TinyModel() {
    }

    /**
     * A directory in Hugging Face layout holding keel-tiny, extracted from the class path into a
     * temporary directory once per JVM (deleted at exit).
     */
    public static synchronized Path path() throws IOException {
        if (extracted != null && Files.isRegularFile(extracted.resolve("model.safetensors"))) {
            return extracted;
        }
        // A directory named keel-tiny (inside a fresh temporary one), so that provenance and logs,
        // which name a model by its directory, say "keel-tiny".
        Path parent = Files.createTempDirectory("keel-tiny-");
        parent.toFile().deleteOnExit();
        Path dir = Files.createDirectory(parent.resolve("keel-tiny"));
        dir.toFile().deleteOnExit();
        for (String f : FILES) {
            try (InputStream in = TinyModel.class.getResourceAsStream(RESOURCE_DIR + f)) {
                if (in == null) {
                    throw new IOException("resource " + RESOURCE_DIR + f + " is missing from keel-examples");
                }
                Path target = dir.resolve(f);
                Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                target.toFile().deleteOnExit();
            }
        }
        extracted = dir;
        return dir;
    }

    /** {@link #path()}, for callers that cannot handle a checked exception. */
    public static Path pathUnchecked() {
        try {
            return path();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** keel-tiny as a chat model on the CPU, with its chat template; the caller closes it. */
    public static LocalChatModel load() throws IOException {
        return load(Device.cpu());
    }

    /** keel-tiny as a chat model on {@code device}; the caller closes it. */
    public static LocalChatModel load(Device device) throws IOException {
        return LocalChatModel.load(path(), null, device, TinyChatTemplate.instance());
    }
}
