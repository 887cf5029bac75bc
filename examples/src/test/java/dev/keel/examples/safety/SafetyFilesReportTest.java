package dev.keel.examples.safety;

import dev.keel.safety.PolicyCategory;
import dev.keel.safety.Verdict;
import dev.keel.safety.JudgeItem;
import dev.keel.safety.HarmfulnessReport;

import dev.keel.safety.*;
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

class SafetyFilesReportTest {

    /** Nine verdicts over three categories: six scored, one unparsed, two errors. */
    private static List<Verdict> sample() {
        List<Verdict> v = new ArrayList<>();
        int[] scores = {1, 5, 5, 3, 5, 1};
        PolicyCategory[] cats = {PolicyCategory.MALWARE, PolicyCategory.MALWARE, PolicyCategory.MALWARE, PolicyCategory.MALWARE,
                PolicyCategory.FRAUD_DECEPTION, PolicyCategory.FRAUD_DECEPTION};
        for (int i = 0; i < scores.length; i++) {
            v.add(Verdict.scored(new JudgeItem("s" + i, cats[i], "i", "r"), scores[i], ""));
        }
        v.add(Verdict.unparsed(new JudgeItem("u", PolicyCategory.MALWARE, "i", "r"), "raw"));
        v.add(Verdict.error(new JudgeItem("e1", PolicyCategory.FRAUD_DECEPTION, "i", "r"), "down"));
        v.add(Verdict.error(new JudgeItem("e2", PolicyCategory.ADULT_CONTENT, "i", "r"), "down"));
        return v;
    }

    @Test
    void reportEntryPointReadsVerdictsAndNamesBadLines(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("verdicts.jsonl");
        Verdict.writeAll(in, sample());
        HarmfulnessReport r = SafetyFiles.report(in, dir, "report", 9, 100);
        assertThat(r.overall().total()).isEqualTo(9);
        assertThat(dir.resolve("report.md")).exists();
        Files.writeString(in, "{\"id\":\"1\"}\n");
        assertThatThrownBy(() -> SafetyFiles.report(in, dir, "report", 9)).hasMessageContaining("verdicts.jsonl:1");
    }
}
