package dev.keel.examples.search;

import dev.keel.examples.tiny.TinyCorpus;
import dev.keel.examples.tiny.TinyModel;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/** The corpus the experiment regenerates is the one the bundled keel-tiny was trained on. */
class EnumeratingTreeIT {

    @Test
    void theBundledModelWasTrainedOnTheRegeneratedCorpus() throws IOException {
        // seed, example count, token count (metrics.json) and the whole vocabulary (tokenizer.json)
        assertThat(EnumeratingTree.checkCorpus(TinyModel.path(), 42, TinyCorpus.train(42))).isEqualTo(128);
    }
}
