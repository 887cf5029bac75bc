package dev.keel.examples;

import dev.keel.fewl.FewlScore;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class FewlQuickStartIT {

    @Test
    void theOneLinerAndTheScorerScoreEveryItem() {
        List<FewlScore> scores = FewlQuickStart.run();
        assertThat(scores).hasSize(3);
        assertThat(scores).extracting(FewlScore::id).containsExactly("item", "gum", "knuckles");
        FewlScore oneLiner = scores.get(0);
        // no neighbour corpus: no penalty, the total is the (uniformly weighted) similarity to the references
        assertThat(oneLiner.penalty()).isZero();
        assertThat(oneLiner.total()).isEqualTo(oneLiner.truthfulness()).isBetween(0.5, 1.0);
        // the answer that contradicts both references scores lower than one that agrees with them
        assertThat(scores.get(1).truthfulness()).isLessThan(oneLiner.truthfulness());
        for (FewlScore s : scores) {
            assertThat(s.total()).isEqualTo(s.truthfulness() - s.penalty(), org.assertj.core.data.Offset.offset(1e-9));
        }
    }
}
