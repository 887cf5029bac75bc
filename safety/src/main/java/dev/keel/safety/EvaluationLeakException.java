package dev.keel.safety;

import dev.keel.core.KeelException;

import java.util.List;

/**
 * Training data would contain an instruction of the evaluation set (compared after folding case,
 * whitespace and punctuation). Raised by {@link SafetyMixer} and the dataset builders instead of
 * writing contaminated data.
 */
public final class EvaluationLeakException extends KeelException {

    private static final long serialVersionUID = 1L;

    /** The offending instructions, as they appear in the training data. */
    private final List<String> instructions;

    /**
     * A leak found in {@code where}.
     *
     * @param where        what would have held the instructions, e.g. {@code the safety pool}
     * @param instructions the offending instructions, at least one; the message quotes the first
     */
    public EvaluationLeakException(String where, List<String> instructions) {
        super(where + " would contain " + instructions.size() + " instruction(s) of the evaluation set, e.g. \""
                + instructions.get(0) + "\"");
        this.instructions = List.copyOf(instructions);
    }

    /**
     * The offending instructions, as they appear in the training data.
     *
     * @return the offending instructions, as they appear in the training data
     */
    public List<String> instructions() {
        return instructions;
    }
}
