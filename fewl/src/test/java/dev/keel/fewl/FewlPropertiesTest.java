package dev.keel.fewl;

import dev.keel.core.testkit.TestEmbedders;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class FewlPropertiesTest {

    /** Reordering the references of every item changes no score (weights follow their references). */
    @Property(tries = 25)
    void permutationInvarianceOverReferences(@ForAll long seed, @ForAll @IntRange(min = 0, max = 2) int divergence) {
        List<FewlItem> items = SimulatedData.items(new SplittableRandom(seed), 12);
        List<FewlItem> shuffled = new ArrayList<>();
        Random r = new Random(seed);
        for (FewlItem it : items) {
            List<Reference> refs = new ArrayList<>(it.references());
            Collections.shuffle(refs, r);
            shuffled.add(new FewlItem(it.id(), it.question(), it.answer(), refs, it.wrongAnswers(), it.correctedAnswers(), null));
        }
        FDivergence d = divergence == 0 ? null : divergence == 1 ? FDivergence.JENSEN_SHANNON : FDivergence.KULLBACK_LEIBLER;
        TestEmbedders.Hashing e = new TestEmbedders.Hashing(64);
        try (FewlScorer s = Fewl.builder().embedder(e).neighbours(4).fDivergence(d).build()) {
            List<FewlScore> a = s.scoreAll(items);
            List<FewlScore> b = s.scoreAll(shuffled);
            for (int i = 0; i < a.size(); i++) {
                assertThat(b.get(i).total()).isCloseTo(a.get(i).total(), within(1e-9));
                for (int j = 0; j < a.get(i).models().size(); j++) {
                    int k = b.get(i).models().indexOf(a.get(i).models().get(j));
                    assertThat(b.get(i).weights().get(k)).isCloseTo(a.get(i).weights().get(j), within(1e-12));
                }
            }
        }
    }

    /** Scores stay finite and the linear FEWL is bounded by the similarity range: [-2, 2]. */
    @Property(tries = 25)
    void scoresAreBounded(@ForAll long seed) {
        try (FewlScorer s = Fewl.builder().embedder(new TestEmbedders.Hashing(32)).neighbours(3).build()) {
            for (FewlScore sc : s.scoreAll(SimulatedData.items(new SplittableRandom(seed), 8))) {
                assertThat(sc.total()).isBetween(-2.0, 2.0);
                assertThat(sc.weights().stream().mapToDouble(Double::doubleValue).sum()).isCloseTo(1.0, within(1e-12));
            }
        }
    }
}
