package dev.keel.safety;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.core.internal.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class HarmfulnessReportTest {

    private static int next;

    private static Verdict scored(PolicyCategory c, int score) {
        return Verdict.scored(new JudgeItem(Integer.toString(next++), c, "i", "r"), score, "");
    }

    private static Verdict unparsed(PolicyCategory c) {
        return Verdict.unparsed(new JudgeItem(Integer.toString(next++), c, "i", "r"), "raw");
    }

    private static Verdict error(PolicyCategory c) {
        return Verdict.error(new JudgeItem(Integer.toString(next++), c, "i", "r"), "down");
    }

    /** Malware: 1, 5, 5, 3 (+1 unparsed); fraud: 5, 1 (+1 error); adult: only an error. */
    private static List<Verdict> sample() {
        List<Verdict> v = new ArrayList<>();
        v.add(scored(PolicyCategory.MALWARE, 1));
        v.add(scored(PolicyCategory.MALWARE, 5));
        v.add(scored(PolicyCategory.MALWARE, 5));
        v.add(scored(PolicyCategory.MALWARE, 3));
        v.add(unparsed(PolicyCategory.MALWARE));
        v.add(scored(PolicyCategory.FRAUD_DECEPTION, 5));
        v.add(scored(PolicyCategory.FRAUD_DECEPTION, 1));
        v.add(error(PolicyCategory.FRAUD_DECEPTION));
        v.add(error(PolicyCategory.ADULT_CONTENT));
        return v;
    }

    @Test
    void handComputedScoresRatesAndCounts() {
        HarmfulnessReport r = HarmfulnessReport.of(sample(), 1);
        HarmfulnessReport.Stats malware = r.category(PolicyCategory.MALWARE).orElseThrow();
        assertThat(malware.total()).isEqualTo(5);
        assertThat(malware.scored()).isEqualTo(4);
        assertThat(malware.unparsed()).isEqualTo(1);
        assertThat(malware.score()).isEqualTo(3.5);          // (1 + 5 + 5 + 3) / 4
        assertThat(malware.rate()).isEqualTo(0.5);           // 2 of 4 scored 5

        HarmfulnessReport.Stats fraud = r.category(PolicyCategory.FRAUD_DECEPTION).orElseThrow();
        assertThat(fraud.score()).isEqualTo(3.0);
        assertThat(fraud.rate()).isEqualTo(0.5);
        assertThat(fraud.error()).isEqualTo(1);

        HarmfulnessReport.Stats adult = r.category(PolicyCategory.ADULT_CONTENT).orElseThrow();
        assertThat(adult.scored()).isZero();
        assertThat(adult.score()).isNaN();
        assertThat(adult.rateCi().low()).isNaN();

        HarmfulnessReport.Stats all = r.overall();
        assertThat(all.total()).isEqualTo(9);
        assertThat(all.scored()).isEqualTo(6);
        assertThat(all.unparsed()).isEqualTo(1);
        assertThat(all.error()).isEqualTo(2);
        assertThat(all.score()).isCloseTo(20.0 / 6, within(1e-12));   // 1+5+5+3+5+1 = 20
        assertThat(all.rate()).isCloseTo(3.0 / 6, within(1e-12));

        assertThat(r.categories()).extracting(HarmfulnessReport.Stats::category)
                .containsExactly(PolicyCategory.MALWARE, PolicyCategory.FRAUD_DECEPTION, PolicyCategory.ADULT_CONTENT);
        assertThat(r.category(PolicyCategory.CHILD_ABUSE)).isEmpty();
    }

    @Test
    void intervalsBracketTheEstimateAndDegenerateWithoutSpread() {
        HarmfulnessReport r = HarmfulnessReport.of(sample(), 5);
        HarmfulnessReport.Stats m = r.category(PolicyCategory.MALWARE).orElseThrow();
        assertThat(m.scoreCi().low()).isBetween(1.0, 3.5);
        assertThat(m.scoreCi().high()).isBetween(3.5, 5.0);
        assertThat(m.rateCi().low()).isBetween(0.0, 0.5);
        assertThat(m.rateCi().high()).isBetween(0.5, 1.0);

        List<Verdict> allFive = List.of(scored(PolicyCategory.MALWARE, 5), scored(PolicyCategory.MALWARE, 5));
        HarmfulnessReport.Stats s = HarmfulnessReport.of(allFive, 3).overall();
        assertThat(s.scoreCi()).isEqualTo(new HarmfulnessReport.Interval(5, 5));
        assertThat(s.rateCi()).isEqualTo(new HarmfulnessReport.Interval(1, 1));
    }

    @Test
    void quantileInterpolatesBetweenOrderStatistics() {
        double[] sorted = {1, 2, 3, 4, 5};
        assertThat(HarmfulnessReport.quantile(sorted, 0.0)).isEqualTo(1);
        assertThat(HarmfulnessReport.quantile(sorted, 0.5)).isEqualTo(3);
        assertThat(HarmfulnessReport.quantile(sorted, 0.125)).isEqualTo(1.5);
        assertThat(HarmfulnessReport.quantile(sorted, 1.0)).isEqualTo(5);
    }

    @Test
    void bootstrapIsDeterministicForASeed() {
        List<Verdict> v = sample();
        HarmfulnessReport a = HarmfulnessReport.of(v, 42, 500, 0.95);
        HarmfulnessReport b = HarmfulnessReport.of(v, 42, 500, 0.95);
        assertThat(a.toCsv()).isEqualTo(b.toCsv());
        assertThat(a.toJsonString()).isEqualTo(b.toJsonString());
        assertThat(a.toMarkdown()).isEqualTo(b.toMarkdown());
        // A larger varied sample: another seed moves the interval ends.
        List<Verdict> big = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            big.add(scored(PolicyCategory.MALWARE, 1 + (i * 7) % 5));
        }
        assertThat(HarmfulnessReport.of(big, 1, 300, 0.95).overall().scoreCi())
                .isNotEqualTo(HarmfulnessReport.of(big, 2, 300, 0.95).overall().scoreCi());
    }

    @Test
    void formatsCarryTheNumbers() throws Exception {
        HarmfulnessReport r = HarmfulnessReport.of(sample(), 1, 200, 0.95);
        String md = r.toMarkdown();
        assertThat(md).contains("| Malware | 5 | 4 | 1 | 0 | 3.50 |").contains("| 50.0% |")
                .contains("| **Overall** | 9 | 6 | 1 | 2 | 3.33 |").contains("| Adult content | 1 | 0 | 0 | 1 | – |");
        String csv = r.toCsv();
        assertThat(csv.lines().toList()).hasSize(5);
        assertThat(csv).startsWith("group,category,total,scored,unparsed,error,score,score_low,score_high,rate,rate_low,rate_high\n")
                .contains("\nmalware,Malware,5,4,1,0,3.500000,").contains("\nadult_content,Adult content,1,0,0,1,,,,,,\n");
        JsonNode json = Json.mapper().readTree(r.toJsonString());
        assertThat(json.get("seed").asLong()).isEqualTo(1);
        assertThat(json.get("overall").get("rate").asDouble()).isEqualTo(0.5);
        assertThat(json.get("categories").get(2).get("score").isNull()).isTrue();
    }

    @Test
    void writesAllFilesIncludingHeadlessCharts(@TempDir Path dir) throws Exception {
        HarmfulnessReport r = HarmfulnessReport.of(sample(), 1, 200, 0.95);
        List<Path> files = r.writeAll(dir.resolve("out"), "harm");
        assertThat(files).extracting(p -> p.getFileName().toString())
                .containsExactly("harm.md", "harm.csv", "harm.json", "harm.png", "harm-score.png");
        for (Path p : files) {
            assertThat(p).exists();
            assertThat(Files.size(p)).isPositive();
        }
        BufferedImage img = ImageIO.read(files.get(3).toFile());
        assertThat(img.getWidth()).isEqualTo(900);
        assertThat(img.getHeight()).isEqualTo(600);
        try (var s = Files.list(dir.resolve("out"))) {
            assertThat(s.filter(p -> p.getFileName().toString().endsWith(".tmp"))).isEmpty();
        }
    }

    @Test
    void badArgumentsAreNamed() {
        assertThatThrownBy(() -> HarmfulnessReport.of(sample(), 1, 0, 0.95)).hasMessageContaining("resamples must be > 0, was 0");
        assertThatThrownBy(() -> HarmfulnessReport.of(sample(), 1, 10, 1.0)).hasMessageContaining("confidence must be in (0, 1), was 1.0");
    }
}
