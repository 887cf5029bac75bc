package dev.keel.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The version of the Keel library on the class path, as recorded by the build. */
public final class KeelVersion {

    private static final String VERSION = load();

    private KeelVersion() {
    }

    /**
     * Returns the library version, e.g. {@code 0.1.0-SNAPSHOT}.
     *
     * @return the library version, e.g. {@code 0.1.0-SNAPSHOT}
     */
    public static String get() {
        return VERSION;
    }

    private static String load() {
        try (InputStream in = KeelVersion.class.getResourceAsStream("keel-version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read keel-version.properties", e);
        }
    }
}
