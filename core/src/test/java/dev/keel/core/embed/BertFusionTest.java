package dev.keel.core.embed;

import dev.keel.core.embed.Protobuf.Writer;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class BertFusionTest {

    @Property(tries = 300)
    void arbitraryBytesAreNeverFusedAndNeverThrow(@ForAll @Size(max = 200) byte[] bytes) {
        assertThat(BertFusion.fuse(bytes)).isEmpty();
        assertThat(BertFusion.fuse(bytes, true)).isEmpty();
    }

    @Test
    void aModelWithoutBertWeightsIsLeftAlone() {
        // ir_version 8, opset 17, a graph with one Identity node and the embedder's inputs but no BERT layers.
        Writer graph = new Writer()
                .message(1, new Writer().string(1, "input_ids").string(2, "last_hidden_state").string(4, "Identity"))
                .message(11, new Writer().string(1, "input_ids"))
                .message(11, new Writer().string(1, "attention_mask"))
                .message(12, new Writer().string(1, "last_hidden_state"));
        byte[] model = new Writer().varint(1, 8).message(7, graph).message(8, new Writer().varint(2, 17)).toByteArray();
        assertThat(BertFusion.fuse(model)).isEmpty();
    }
}
