package dev.keel.core.lm.safetensors;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Random mutations and truncations of a valid file either parse or throw {@link SafeTensorsException}. */
class SafeTensorsFuzzTest {

    private static Path dir;
    private static byte[] valid;

    @BeforeContainer
    static void makeValidFile() throws IOException {
        dir = Files.createTempDirectory("st-fuzz");
        Path p = dir.resolve("valid.safetensors");
        SafeTensors.writer().metadata("format", "pt")
                .add("a", DType.F32, new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6})
                .add("b", DType.F16, new long[] {4}, new float[] {1, 2, 3, 4})
                .add("c", DType.BF16, new long[] {2}, new float[] {1, 2})
                .add("d", DType.I64, new long[] {1}, new long[] {9})
                .write(p);
        valid = Files.readAllBytes(p);
    }

    @AfterContainer
    static void cleanUp() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** One change to the bytes: overwrite a byte, truncate, or insert/delete a byte. */
    record Mutation(int kind, int position, byte value) {
        byte[] apply(byte[] in) {
            int pos = Math.floorMod(position, in.length + 1);
            switch (kind) {
                case 0:
                    if (in.length == 0) {
                        return in;
                    }
                    byte[] out = in.clone();
                    out[Math.min(pos, in.length - 1)] = value;
                    return out;
                case 1:
                    return Arrays.copyOf(in, pos);
                case 2:
                    byte[] ins = new byte[in.length + 1];
                    System.arraycopy(in, 0, ins, 0, pos);
                    ins[pos] = value;
                    System.arraycopy(in, pos, ins, pos + 1, in.length - pos);
                    return ins;
                default:
                    if (in.length == 0) {
                        return in;
                    }
                    int p = Math.min(pos, in.length - 1);
                    byte[] del = new byte[in.length - 1];
                    System.arraycopy(in, 0, del, 0, p);
                    System.arraycopy(in, p + 1, del, p, in.length - p - 1);
                    return del;
            }
        }
    }

    @Provide
    Arbitrary<List<Mutation>> mutations() {
        Arbitrary<Mutation> one = Combinators.combine(
                Arbitraries.integers().between(0, 3),
                Arbitraries.oneOf(Arbitraries.integers().between(0, 200), Arbitraries.integers().between(0, 1000)),
                Arbitraries.oneOf(Arbitraries.bytes(), Arbitraries.of((byte) '"', (byte) '{', (byte) '}', (byte) ',',
                        (byte) '9', (byte) '0', (byte) ']', (byte) 0)))
                .as(Mutation::new);
        return one.list().ofMinSize(1).ofMaxSize(4);
    }

    @Property(tries = 400, seed = "42")
    void mutatedFilesParseOrThrowTheDocumentedException(@ForAll("mutations") List<Mutation> mutations)
            throws IOException {
        byte[] bytes = valid;
        for (Mutation m : mutations) {
            bytes = m.apply(bytes);
        }
        Path p = Files.createTempFile(dir, "m", ".safetensors");
        Files.write(p, bytes);
        try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
            for (String name : f.names()) {
                TensorInfo t = f.info(name);
                float[] v = f.readFloats(name);
                if (v.length != t.elementCount()) {
                    throw new AssertionError("read " + v.length + " values for " + t);
                }
            }
        } catch (SafeTensorsException expected) {
            if (expected.getMessage() == null || expected.getMessage().isBlank()) {
                throw new AssertionError("exception without a message", expected);
            }
        } finally {
            Files.delete(p);
        }
    }

    @Property(tries = 200, seed = "7")
    void randomBytesAreRejectedCleanly(@ForAll byte[] bytes) throws IOException {
        Path p = Files.createTempFile(dir, "r", ".safetensors");
        Files.write(p, bytes);
        try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
            for (String name : f.names()) {
                f.readFloats(name);
            }
        } catch (SafeTensorsException expected) {
            // the documented outcome
        } finally {
            Files.delete(p);
        }
    }
}
