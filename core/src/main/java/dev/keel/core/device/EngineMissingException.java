package dev.keel.core.device;

import dev.keel.core.KeelException;

/**
 * A component that runs on DJL's PyTorch engine was used where PyTorch's native library is not on
 * the class path. The message names the Maven artifact to add.
 */
public final class EngineMissingException extends KeelException {

    private static final long serialVersionUID = 1L;

    /**
     * An engine is missing, as {@code message} says.
     *
     * @param message what needed the engine and which artifact to add
     */
    public EngineMissingException(String message) {
        super(message);
    }
}
