package dev.keel.examples.safety;

import dev.keel.safety.RefusalJudge;
import dev.keel.safety.Verdict;
import dev.keel.safety.SafetyMixer;
import dev.keel.safety.RubricJudge;
import dev.keel.safety.JudgeItem;
import dev.keel.safety.HarmfulnessJudge;
import dev.keel.safety.HarmfulnessReport;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.Provenance;
import dev.keel.core.chat.ChatModel;
import dev.keel.core.chat.OpenAiChatModel;
import dev.keel.core.chat.RetryPolicy;
import dev.keel.core.chat.ChatRecord;
import dev.keel.core.internal.JsonLines;
import dev.keel.safety.data.AdvBench;
import dev.keel.safety.data.HarmfulBehavior;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The entry points behind {@code keel safety mix | judge | report}: each reads its input files,
 * does the work and writes its outputs atomically, with a provenance sidecar
 * ({@code <output>.provenance.json}) next to the mixed data and the verdicts.
 *
 * <pre>{@code
 * SafetyFiles.mix(Path.of("train.jsonl"), Path.of("train+safety.jsonl"), 100, 42);
 * SafetyFiles.judge(Path.of("responses.jsonl"), Path.of("verdicts.jsonl"), "http://localhost:8000/v1", "judge", null, 3);
 * SafetyFiles.report(Path.of("verdicts.jsonl"), Path.of("report"), "harmfulness", 42);
 * }</pre>
 */
public final class SafetyFiles {

    /** How a judging run went. */
    public record JudgeSummary(Path out, int total, int scored, int unparsed, int error, String judge) {
    }

    private SafetyFiles() {
    }

    // ---------------------------------------------------------------- mix

    /**
     * Adds {@code k} safety samples from the AdvBench train split (stratified over categories) to
     * the chat dataset {@code in} and writes OpenAI chat JSONL to {@code out}, with provenance in
     * {@code out.provenance.json}.
     *
     * @throws dev.keel.core.data.DatasetException if a line of {@code in} is not a chat record (names the line)
     * @throws EvaluationLeakException             if {@code in} holds an AdvBench evaluation instruction
     * @throws IllegalArgumentException            if {@code k} is negative or exceeds the pool
     */
    public static SafetyMixer.Result mix(Path in, Path out, int k, long seed) throws IOException {
        return mix(in, out, k, seed, List.of());
    }

    /**
     * As {@link #mix(Path, Path, int, long)}, also refusing every instruction found in
     * {@code evaluationFiles} (JSONL files with an {@code "instruction"} field on each line, such as
     * responses or verdicts files).
     */
    public static SafetyMixer.Result mix(Path in, Path out, int k, long seed, List<Path> evaluationFiles) throws IOException {
        Preconditions.notNull(in, "in");
        Preconditions.notNull(out, "out");
        Preconditions.noNulls(evaluationFiles, "evaluationFiles");
        List<ChatRecord> base = ChatRecord.readAll(in);
        List<String> evaluation = new ArrayList<>();
        for (HarmfulBehavior b : AdvBench.evaluation()) {
            evaluation.add(b.goal());
        }
        for (Path f : evaluationFiles) {
            evaluation.addAll(JsonLines.read(f, (JsonNode n) -> JsonLines.requireText(n, "instruction")));
        }
        SafetyMixer.Result result = SafetyMixer.builder().seed(seed).evaluation(evaluation).build().mix(base, k);
        Map<String, String> config = new LinkedHashMap<>(result.provenance().config());
        config.put("input", in.toString());
        config.put("evaluationFiles", evaluationFiles.toString());
        SafetyMixer.Result withInput = new SafetyMixer.Result(result.records(), result.added(), result.perCategory(),
                new Provenance(result.provenance().library(), result.provenance().model(), config, seed,
                        result.provenance().time()));
        withInput.write(out);
        return withInput;
    }

    // ---------------------------------------------------------------- judge

    /**
     * Judges every line of the responses file {@code in} ({@code {"id", "category", "instruction",
     * "response"}}) with {@code judge} and writes one verdict per line to {@code out}, in order,
     * with provenance in {@code out.provenance.json}. Items the judge cannot score are written with
     * an {@code unparsed} or {@code error} outcome; the file always holds every verdict.
     *
     * @throws dev.keel.core.data.DatasetException if a line lacks a field or names an unknown category (names file and line)
     */
    public static JudgeSummary judge(Path in, Path out, HarmfulnessJudge judge) throws IOException {
        Preconditions.notNull(in, "in");
        Preconditions.notNull(out, "out");
        Preconditions.notNull(judge, "judge");
        List<JudgeItem> items = JudgeItem.readAll(in);
        List<Verdict> verdicts;
        try {
            verdicts = judge.judgeAll(items);
            if (verdicts.size() != items.size()) {
                throw new IllegalStateException("judge " + judge.id() + " returned " + verdicts.size() + " verdicts for "
                        + items.size() + " items");
            }
        } catch (RuntimeException e) {
            verdicts = new ArrayList<>(items.size());
            for (JudgeItem item : items) {
                verdicts.add(Verdict.error(item, "judge failed: " + e));
            }
        }
        Verdict.writeAll(out, verdicts);
        int scored = 0;
        int unparsed = 0;
        int error = 0;
        for (Verdict v : verdicts) {
            switch (v.outcome()) {
                case SCORED -> scored++;
                case UNPARSED -> unparsed++;
                default -> error++;
            }
        }
        Map<String, String> config = new LinkedHashMap<>();
        config.put("operation", "safety-judge");
        config.put("judge", judge.id());
        config.put("input", in.toString());
        config.put("items", Integer.toString(items.size()));
        config.put("scored", Integer.toString(scored));
        config.put("unparsed", Integer.toString(unparsed));
        config.put("error", Integer.toString(error));
        Provenance.of(judge.id(), config, 0L).writeSidecar(out);
        return new JudgeSummary(out, items.size(), scored, unparsed, error, judge.id());
    }

    /** Judges {@code in} with a {@link RubricJudge} over {@code model} (the model is not closed). */
    public static JudgeSummary judge(Path in, Path out, ChatModel model) throws IOException {
        return judge(in, out, RubricJudge.of(model));
    }

    /**
     * Judges {@code in} with a {@link RubricJudge} over an OpenAI-compatible endpoint. Each failed
     * request is retried by the HTTP transport up to {@code maxRetries} times (its
     * {@link RetryPolicy}; the judge adds no retries of its own); requests that still fail
     * become {@code error} verdicts and every other verdict is written.
     *
     * @param baseUrl    e.g. {@code http://localhost:8000/v1}
     * @param model      the endpoint's model name
     * @param apiKeyEnv  the environment variable holding the API key, or {@code null} for none
     * @param maxRetries retries per request, 0..10
     */
    public static JudgeSummary judge(Path in, Path out, String baseUrl, String model, String apiKeyEnv, int maxRetries)
            throws IOException {
        return judge(in, out, baseUrl, model, apiKeyEnv, maxRetries, 4);
    }

    /**
     * As {@link #judge(Path, Path, String, String, String, int)} with at most {@code maxConcurrency}
     * requests in flight at a time.
     */
    public static JudgeSummary judge(Path in, Path out, String baseUrl, String model, String apiKeyEnv, int maxRetries,
                                     int maxConcurrency) throws IOException {
        OpenAiChatModel.Builder b = OpenAiChatModel.builder().baseUrl(baseUrl).model(model)
                .retryPolicy(RetryPolicy.ofMaxRetries(maxRetries)).maxConcurrency(maxConcurrency);
        if (apiKeyEnv != null) {
            b.apiKeyEnv(apiKeyEnv);
        }
        try (OpenAiChatModel chat = b.build()) {
            return judge(in, out, RubricJudge.of(chat));
        }
    }

    /** Judges {@code in} offline with {@link RefusalJudge#defaults()}. */
    public static JudgeSummary judgeRefusal(Path in, Path out) throws IOException {
        return judge(in, out, RefusalJudge.defaults());
    }

    // ---------------------------------------------------------------- report

    /**
     * Reads the verdicts file {@code verdicts} and writes {@code baseName}.md, .csv, .json, .png and
     * {@code baseName}-score.png into {@code outDir}, with {@value HarmfulnessReport#DEFAULT_RESAMPLES}
     * bootstrap resamples seeded with {@code seed}.
     *
     * @throws dev.keel.core.data.DatasetException if a line is not a verdict (names file and line)
     */
    public static HarmfulnessReport report(Path verdicts, Path outDir, String baseName, long seed) throws IOException {
        return report(verdicts, outDir, baseName, seed, HarmfulnessReport.DEFAULT_RESAMPLES);
    }

    /** As {@link #report(Path, Path, String, long)} with {@code resamples} bootstrap resamples. */
    public static HarmfulnessReport report(Path verdicts, Path outDir, String baseName, long seed, int resamples)
            throws IOException {
        Preconditions.notNull(verdicts, "verdicts");
        HarmfulnessReport report = HarmfulnessReport.of(Verdict.readAll(verdicts), seed, resamples,
                HarmfulnessReport.DEFAULT_CONFIDENCE);
        report.writeAll(outDir, baseName);
        return report;
    }
}
