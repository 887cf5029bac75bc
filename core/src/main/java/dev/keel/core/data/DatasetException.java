package dev.keel.core.data;

import dev.keel.core.KeelException;

import java.nio.file.Path;

/**
 * A dataset file holds a line that cannot be read as the expected record. The message names the
 * file and the 1-based line number, and says what was wrong.
 */
public final class DatasetException extends KeelException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;
    /** The 1-based number of the bad line. */
    private final long line;

    /**
     * A bad line, with the failure that revealed it.
     *
     * @param file    the dataset file
     * @param line    the 1-based number of the bad line
     * @param problem what was wrong with it, e.g. {@code missing field "question"}
     * @param cause   the parser's exception, kept as the cause; may be {@code null}
     */
    public DatasetException(Path file, long line, String problem, Throwable cause) {
        super(file + ":" + line + ": " + problem, cause);
        this.file = file;
        this.line = line;
    }

    /**
     * A bad line.
     *
     * @param file    the dataset file
     * @param line    the 1-based number of the bad line
     * @param problem what was wrong with it
     */
    public DatasetException(Path file, long line, String problem) {
        this(file, line, problem, null);
    }

    /**
     * The file that holds the bad line.
     *
     * @return the file that holds the bad line
     */
    public Path file() {
        return file;
    }

    /**
     * The 1-based number of the bad line.
     *
     * @return the 1-based number of the bad line
     */
    public long line() {
        return line;
    }
}
