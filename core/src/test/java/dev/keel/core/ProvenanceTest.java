package dev.keel.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProvenanceTest {

    private static Provenance sample() {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("z", "last-inserted-first");
        config.put("a", "1");
        return new Provenance("0.1", "model-x", config, -7L, Instant.parse("2026-01-05T10:00:00.123Z"));
    }

    @Test
    void jsonStringHoldsEveryFieldAndParsesBack() {
        Provenance p = sample();
        String json = p.toJsonString();
        assertThat(json).contains("\"library\" : \"0.1\"", "\"model\" : \"model-x\"", "\"seed\" : -7",
                "\"time\" : \"2026-01-05T10:00:00.123Z\"");
        assertThat(json.indexOf("\"z\"")).as("config keeps its order").isLessThan(json.indexOf("\"a\""));
        assertThat(Provenance.parse(json)).isEqualTo(p);
    }

    @Test
    void sidecarIsWrittenNextToTheOutputAndReadBack(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("scores.jsonl");
        Path side = sample().writeSidecar(out);
        assertThat(side).isEqualTo(dir.resolve("scores.jsonl" + Provenance.SIDECAR_SUFFIX).toAbsolutePath());
        assertThat(Provenance.readSidecar(out)).isEqualTo(sample());
    }

    @Test
    void badSidecarsNameTheFileAndTheField(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("o.jsonl");
        Files.writeString(Provenance.sidecar(out), "{\"library\":\"0.1\",\"model\":\"m\",\"config\":{},\"seed\":\"x\",\"time\":\"2026-01-05T10:00:00Z\"}");
        assertThatThrownBy(() -> Provenance.readSidecar(out)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("o.jsonl.provenance.json").hasMessageContaining("\"seed\" must be an integer");
        assertThatThrownBy(() -> Provenance.parse("{\"library\":\"0.1\",\"model\":\"m\",\"config\":{\"k\":1},\"seed\":1,\"time\":\"t\"}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"config.k\" must be a string");
        assertThatThrownBy(() -> Provenance.parse("{\"library\":\"0.1\",\"model\":\"m\",\"config\":{},\"seed\":1,\"time\":\"yesterday\"}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"time\" must be an ISO-8601 instant, was \"yesterday\"");
        assertThatThrownBy(() -> Provenance.parse("{\"model\":\"m\"}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("missing field \"library\"");
        assertThatThrownBy(() -> Provenance.parse("{\"library\":\"0.1\",\"model\":\"m\",\"seed\":1}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"config\" must be an object");
        assertThatThrownBy(() -> Provenance.parse("not json")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> Provenance.readSidecar(dir.resolve("absent.jsonl"))).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> new Provenance(null, "m", Map.of(), 0, Instant.EPOCH)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("library");
    }
}
