package dev.keel.core.lm.safetensors;

import dev.keel.core.KeelException;


/**
 * A safetensors file is malformed (its header length, JSON, dtypes, shapes or offsets are wrong) or
 * does not hold what was asked for. The message names the file, the tensor and the bad value.
 */
public class SafeTensorsException extends KeelException {

    private static final long serialVersionUID = 1L;

    /**
     * A malformed or unexpected file.
     *
     * @param message what is wrong, naming the file, the tensor and the bad value
     */
    public SafeTensorsException(String message) {
        super(message);
    }

    /**
     * A malformed or unexpected file, found through another failure.
     *
     * @param message what is wrong, naming the file, the tensor and the bad value
     * @param cause   the failure that revealed it (e.g. the JSON parser's), kept as the cause
     */
    public SafeTensorsException(String message, Throwable cause) {
        super(message, cause);
    }
}
