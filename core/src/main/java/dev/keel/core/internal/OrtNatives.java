package dev.keel.core.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * ONNX Runtime's native libraries extracted once, not once per JVM. ONNX Runtime's Java loader
 * (1.20) copies {@code libonnxruntime} and its JNI library out of its jar into a fresh
 * {@code onnxruntime-java*} directory of the system temp directory on every start, and leaves that
 * directory behind at exit (it asks for the directory's deletion before the files', so the
 * directory is never empty when its turn comes). It skips the copy where the system property
 * {@code onnxruntime.native.path} names a directory holding the libraries, and then removes its
 * (empty) temp directory at once.
 *
 * <p>{@link #prepare()} sets that property, unless the user has set it, to a directory of Keel's
 * cache: {@code <cache>/onnxruntime/<platform>-<key>}, where {@code <cache>} is the system property
 * {@code keel.cache.dir}, else the environment variable {@code KEEL_CACHE_DIR}, else
 * {@code $XDG_CACHE_HOME/keel}, else {@code ~/.cache/keel}; {@code <key>} is a digest of the
 * libraries' jar entries (name, size, CRC), so another ONNX Runtime version gets another directory.
 * The directory is written under a temporary name and renamed into place in one step, so a reader
 * never sees it half-written and two JVMs extracting at once both end up with a whole one. Where
 * the cache cannot be written, or the platform's libraries are not in the jar, nothing is set and
 * ONNX Runtime loads as it always does.
 */
public final class OrtNatives {

    /** ONNX Runtime's own property: a directory holding its native libraries. */
    public static final String NATIVE_PATH_PROPERTY = "onnxruntime.native.path";
    /** The system property naming Keel's cache directory. */
    public static final String CACHE_PROPERTY = "keel.cache.dir";
    /** The environment variable naming Keel's cache directory (the property wins). */
    public static final String CACHE_ENV = "KEEL_CACHE_DIR";

    private static final Logger LOG = LoggerFactory.getLogger(OrtNatives.class);
    private static final List<String> LIBRARIES = List.of("onnxruntime", "onnxruntime4j_jni");
    private static boolean prepared;

    private OrtNatives() {
    }

    /**
     * Points ONNX Runtime at the cached libraries, extracting them the first time; call before the
     * first ONNX Runtime class is used ({@code OrtEnvironment.getEnvironment()}). Idempotent and
     * cheap after the first call; never throws (a failure leaves ONNX Runtime's own loading).
     */
    public static synchronized void prepare() {
        if (prepared) {
            return;
        }
        prepared = true;
        if (System.getProperty(NATIVE_PATH_PROPERTY) != null) {
            return;
        }
        try {
            Path dir = extract(cacheRoot());
            if (dir != null) {
                System.setProperty(NATIVE_PATH_PROPERTY, dir.toString());
                LOG.debug("ONNX Runtime native libraries from {}", dir);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("ONNX Runtime libraries not cached ({}); it extracts them to the temp directory", e.toString());
        }
    }

    /**
     * Keel's cache directory (see the class comment for the order of the places looked at).
     *
     * @return the directory; it may not exist yet
     */
    public static Path cacheRoot() {
        String p = System.getProperty(CACHE_PROPERTY);
        if (p != null && !p.isBlank()) {
            return Path.of(p);
        }
        String e = System.getenv(CACHE_ENV);
        if (e != null && !e.isBlank()) {
            return Path.of(e);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg, "keel");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "keel");
    }

    /** The platform directory name ONNX Runtime's jar uses, or null where it ships none. */
    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String a = arch.equals("amd64") || arch.equals("x86_64") ? "x64" : arch.equals("aarch64") || arch.equals("arm64") ? "aarch64" : null;
        String o = os.contains("linux") ? "linux" : os.contains("mac") || os.contains("darwin") ? "osx" : os.startsWith("windows") ? "win" : null;
        return a == null || o == null ? null : o + "-" + a;
    }

    /** Extracts into {@code root/onnxruntime/<platform>-<key>} unless it is there; null where the jar has no libraries for this platform. */
    static Path extract(Path root) throws IOException {
        String platform = platform();
        if (platform == null) {
            return null;
        }
        ClassLoader cl = OrtNatives.class.getClassLoader();
        List<String> names = new ArrayList<>();
        List<URL> urls = new ArrayList<>();
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
        for (String lib : LIBRARIES) {
            String file = System.mapLibraryName(lib);
            URL url = cl.getResource("ai/onnxruntime/native/" + platform + "/" + file);
            if (url == null) {
                return null;
            }
            names.add(file);
            urls.add(url);
            digest.update(file.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            URLConnection c = url.openConnection();
            if (c instanceof JarURLConnection jar) {
                c.setUseCaches(false);
                java.util.jar.JarEntry entry = jar.getJarEntry();
                digest.update((entry.getSize() + ":" + entry.getCrc()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            } else {
                try (InputStream in = c.getInputStream()) {
                    digest.update(in.readAllBytes());
                }
            }
        }
        String key = HexFormat.of().formatHex(digest.digest(), 0, 8);
        Path parent = root.resolve("onnxruntime");
        Path dir = parent.resolve(platform + "-" + key);
        if (Files.isDirectory(dir) && names.stream().allMatch(n -> Files.isRegularFile(dir.resolve(n)))) {
            return dir;
        }
        Files.createDirectories(parent);
        Path tmp = parent.resolve("." + platform + "-" + key + "." + UUID.randomUUID() + ".tmp");
        Files.createDirectory(tmp);
        try {
            for (int i = 0; i < names.size(); i++) {
                try (InputStream in = urls.get(i).openStream()) {
                    Files.copy(in, tmp.resolve(names.get(i)));
                }
            }
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot rename " + tmp + " to " + dir + " in one step", e);
            } catch (IOException e) {
                // another JVM put it in place first (rename onto a non-empty directory fails): use that one
                if (!Files.isDirectory(dir)) {
                    throw e;
                }
            }
        } finally {
            deleteTree(tmp);
        }
        if (!names.stream().allMatch(n -> Files.isRegularFile(dir.resolve(n)))) {
            throw new IOException(dir + " exists but does not hold " + names);
        }
        return dir;
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.list(p)) {
            for (Path f : (Iterable<Path>) s::iterator) {
                Files.deleteIfExists(f);
            }
        }
        Files.deleteIfExists(p);
    }
}
