package dev.keel.examples.cli;

import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code --adapter DIR}, a PEFT LoRA adapter directory, for the commands that read one. */
final class AdapterOption {

    @Option(names = "--adapter", paramLabel = "DIR", description = "PEFT LoRA adapter directory (adapter_config.json, adapter_model.safetensors)")
    Path adapter;

    /** The adapter directory, checked to exist, or {@code null} when the option is not given. */
    Path checked(CommandLine cl) {
        return adapter == null ? null : ChatCommand.requireDir(cl, "--adapter", adapter);
    }
}
