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
    private final long line;

    public DatasetException(Path file, long line, String problem, Throwable cause) {
        super(file + ":" + line + ": " + problem, cause);
        this.file = file;
        this.line = line;
    }

    public DatasetException(Path file, long line, String problem) {
        this(file, line, problem, null);
    }

    /** The file that holds the bad line. */
    public Path file() {
        return file;
    }

    /** The 1-based number of the bad line. */
    public long line() {
        return line;
    }
}
