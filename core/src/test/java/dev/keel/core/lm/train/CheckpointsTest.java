package dev.keel.core.lm.train;

import ai.djl.nn.Parameter;
import dev.keel.core.Provenance;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.lora.LoraAdapter;
import dev.keel.core.testkit.TinyFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CheckpointsTest {

    private static final Provenance PROVENANCE = Provenance.of("tiny", Map.of("k", "v"), 3);

    @Test
    void namesAreSixDigitSteps() {
        assertThat(Checkpoints.name(0)).isEqualTo("step-000000");
        assertThat(Checkpoints.name(42)).isEqualTo("step-000042");
        assertThatThrownBy(() -> Checkpoints.name(-1)).hasMessageContaining("step must be >= 0, was -1");
        assertThatThrownBy(() -> new Checkpoints(Path.of("x"), 0)).hasMessageContaining("keep");
        assertThatThrownBy(() -> new Checkpoints(null, 1)).hasMessageContaining("dir");
    }

    @Test
    void writesRestoresAndKeepsTheNewest(@TempDir Path dir) throws IOException {
        try (LlamaModel model = TinyFixtures.tinyModel(31);
             LoraAdapter adapter = LoraAdapter.create(model, LmTrainerTest.lora(), 31);
             AdamW adam = new AdamW(adapter.parameters(), 0.9, 0.999, 1e-8, 0, model.manager())) {
            Map<String, Parameter> params = new LinkedHashMap<>(adapter.parameters());
            Checkpoints c = new Checkpoints(dir.resolve("ckpt"), 2);
            assertThat(c.latest()).isEmpty();
            List<Path> extrasSeen = new ArrayList<>();
            Path p1 = c.write(1, params, adam, List.of(3f), PROVENANCE, Map.of(), extrasSeen::add);
            Path p2 = c.write(2, params, adam, List.of(3f, 2f), PROVENANCE, Map.of(), null);
            Path p3 = c.write(3, params, adam, List.of(3f, 2f, 1f), PROVENANCE, Map.of(), null);
            assertThat(extrasSeen).hasSize(1);
            assertThat(extrasSeen.get(0).getFileName().toString()).startsWith(".step-000001.");
            assertThat(p3.getFileName().toString()).isEqualTo("step-000003");
            assertThat(c.latest()).contains(p3);
            assertThat(Files.exists(p1)).isFalse();
            assertThat(Files.isDirectory(p2)).isTrue();
            try (Stream<Path> s = Files.list(dir.resolve("ckpt"))) {
                assertThat(s.map(p -> p.getFileName().toString()).sorted().toList())
                        .containsExactly("latest", "step-000002", "step-000003");
            }
            String name = params.keySet().iterator().next();
            float[] saved = params.get(name).getArray().toFloatArray();
            params.get(name).getArray().set(new float[saved.length]);
            List<Float> losses = new ArrayList<>();
            assertThat(Checkpoints.restore(p3, params, adam, losses)).isEqualTo(3);
            assertThat(losses).containsExactly(3f, 2f, 1f);
            assertThat(params.get(name).getArray().toFloatArray()).containsExactly(saved);
        }
    }

    @Test
    void badCheckpointsAreRefusedByName(@TempDir Path dir) throws IOException {
        try (LlamaModel model = TinyFixtures.tinyModel(32);
             LoraAdapter adapter = LoraAdapter.create(model, LmTrainerTest.lora(), 32);
             AdamW adam = new AdamW(adapter.parameters(), 0.9, 0.999, 1e-8, 0, model.manager())) {
            Checkpoints c = new Checkpoints(dir, 2);
            Files.writeString(dir.resolve(Checkpoints.LATEST), "elsewhere\n");
            assertThatThrownBy(c::latest).isInstanceOf(IOException.class).hasMessageContaining("names \"elsewhere\"");
            Path p = c.write(1, adapter.parameters(), adam, List.of(1f), PROVENANCE, Map.of(), null);
            Files.writeString(p.resolve("trainer_state.json"), "{}");
            assertThatThrownBy(() -> Checkpoints.restore(p, adapter.parameters(), adam, new ArrayList<>()))
                    .isInstanceOf(IOException.class).hasMessageContaining("has no step");
            Path q = c.write(2, adapter.parameters(), adam, List.of(1f), PROVENANCE, Map.of(), null);
            assertThatThrownBy(() -> Checkpoints.restore(q, model.parameters(), adam, new ArrayList<>()))
                    .isInstanceOf(IOException.class).hasMessageContaining("checkpoint has no parameter");
        }
    }
}
