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

import dev.keel.core.chat.ChatMessage;
import dev.keel.core.internal.AtomicFiles;
import dev.keel.safety.EvaluationLeakException;
import dev.keel.safety.Secrets;
import dev.keel.safety.PolicyCategory;
import dev.keel.safety.SafetySample;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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

    private SafetyFiles() {
    }

    // ---------------------------------------------------------------- mix

    /**
     * How a mix went.
     *
     * @param out         the mixed file
     * @param records     how many records it holds
     * @param baseRecords how many of them came from the input, each written exactly as read
     * @param added       the safety samples that were added
     * @param perCategory how many samples were added per category
     * @param provenance  what was recorded in {@code out.provenance.json}
     */
    public record MixSummary(Path out, int records, int baseRecords, List<SafetySample> added,
                             Map<PolicyCategory, Integer> perCategory, Provenance provenance) {

        /**
         * Keeps unmodifiable copies.
         *
         * @param out         the mixed file
         * @param records     how many records it holds
         * @param baseRecords how many of them came from the input
         * @param added       the safety samples that were added
         * @param perCategory how many samples were added per category
         * @param provenance  the provenance written next to {@code out}
         */
        public MixSummary {
            added = List.copyOf(added);
            Map<PolicyCategory, Integer> m = new java.util.EnumMap<>(PolicyCategory.class);
            m.putAll(perCategory);
            perCategory = java.util.Collections.unmodifiableMap(m);
        }
    }

    /**
     * Adds {@code k} safety samples from the AdvBench train split (stratified over categories) to
     * the chat dataset {@code in} and writes OpenAI chat JSONL to {@code out}, with provenance in
     * {@code out.provenance.json}. Every input record is written back exactly as it was read (its
     * JSON text unchanged: unknown fields such as {@code id} or {@code metadata}, a message's
     * {@code name}, tool calls and {@code tool} turns all kept); see
     * {@link #mix(Path, Path, int, long, List)} for what is refused.
     *
     * @param in   the chat JSONL file
     * @param out  the mixed file, not the input
     * @param k    how many safety samples to add
     * @param seed the seed of the stratified draw and the shuffle
     * @return what was written
     * @throws IOException                         if a file cannot be read or written
     * @throws dev.keel.core.data.DatasetException if a line of {@code in} is not a chat record (names the line)
     * @throws EvaluationLeakException             if {@code in} holds an AdvBench evaluation instruction
     * @throws IllegalArgumentException            if {@code k} is negative or exceeds the pool, or
     *                                             {@code out} is the input file
     */
    public static MixSummary mix(Path in, Path out, int k, long seed) throws IOException {
        return mix(in, out, k, seed, List.of());
    }

    /**
     * As {@link #mix(Path, Path, int, long)}, also refusing every instruction found in
     * {@code evaluationFiles} (JSONL files with an {@code "instruction"} field on each line, such as
     * responses or verdicts files).
     *
     * <p>A line of {@code in} is refused, naming the file and the line, when it is not a chat record
     * whose user turns can be checked for evaluation leaks: {@code messages} must be a non-empty
     * array of objects, each with a {@code role} of {@code system}, {@code developer}, {@code user},
     * {@code assistant}, {@code tool} or {@code function}; a user turn's {@code content} must be a
     * string or an array of parts whose text parts are strings; other turns' {@code content} may be
     * anything (an assistant turn with {@code tool_calls} and {@code "content": null} included).
     * Such a record is never stripped or rewritten: it is written back byte for byte.
     *
     * @param in              the chat JSONL file
     * @param out             the mixed file: not {@code in}, not an evaluation file
     * @param k               how many safety samples to add
     * @param seed            the seed of the stratified draw and the shuffle
     * @param evaluationFiles JSONL files whose instructions must never be mixed in
     * @return what was written
     * @throws IOException                         if a file cannot be read or written
     * @throws dev.keel.core.data.DatasetException if a line is not a chat record (names file and line)
     * @throws EvaluationLeakException             if {@code in} holds an evaluation instruction
     * @throws IllegalArgumentException            if {@code k} is negative or exceeds the pool, or
     *                                             {@code out} (or its provenance sidecar) is an input
     */
    public static MixSummary mix(Path in, Path out, int k, long seed, List<Path> evaluationFiles) throws IOException {
        Preconditions.notNull(in, "in");
        Preconditions.notNull(out, "out");
        Preconditions.noNulls(evaluationFiles, "evaluationFiles");
        List<Path> inputs = new ArrayList<>();
        inputs.add(in);
        inputs.addAll(evaluationFiles);
        refuseOverwrite(inputs, out, Provenance.sidecar(out));
        List<RawChat> raw = JsonLines.readWithText(in, RawChat::parse);
        IdentityHashMap<ChatRecord, String> exact = new IdentityHashMap<>();
        List<ChatRecord> base = new ArrayList<>(raw.size());
        for (RawChat r : raw) {
            exact.put(r.view(), r.text());
            base.add(r.view());
        }
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
        Provenance provenance = new Provenance(result.provenance().library(), result.provenance().model(), config, seed,
                result.provenance().time());
        AtomicFiles.writeText(out, w -> {
            for (ChatRecord r : result.records()) {
                String text = exact.get(r);
                w.write(text != null ? text : r.toJsonLine());
                w.write('\n');
            }
        });
        provenance.writeSidecar(out);
        return new MixSummary(out, result.records().size(), raw.size(), result.added(), result.perCategory(), provenance);
    }

    /**
     * One input line of {@code mix}: its exact text, and a view of it for the mixer that holds its
     * user turns (all the mixer reads of a base record: it checks them for evaluation leaks). The
     * view is never written; the text is.
     */
    private record RawChat(String text, ChatRecord view) {

        private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool", "function");

        static RawChat parse(JsonNode node, String text) {
            JsonNode arr = JsonLines.requireArray(node, "messages");
            if (arr.isEmpty()) {
                throw new IllegalArgumentException("field \"messages\" must not be empty");
            }
            List<ChatMessage> users = new ArrayList<>();
            for (int i = 0; i < arr.size(); i++) {
                JsonNode m = arr.get(i);
                if (!m.isObject()) {
                    throw new IllegalArgumentException("messages[" + i + "] must be an object, was " + m.getNodeType().toString().toLowerCase(java.util.Locale.ROOT));
                }
                String role;
                try {
                    role = JsonLines.requireText(m, "role");
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("messages[" + i + "]: " + e.getMessage(), e);
                }
                if (!ROLES.contains(role)) {
                    throw new IllegalArgumentException("messages[" + i + "]: role must be one of system, developer, user, assistant, "
                            + "tool, function; was \"" + role + "\"");
                }
                if (role.equals("user")) {
                    users.addAll(userTurns(m.get("content"), i));
                }
            }
            if (users.isEmpty()) {
                // A record without user turns cannot leak an instruction; the view needs one message.
                users.add(ChatMessage.system(""));
            }
            return new RawChat(text.strip(), ChatRecord.of(users));
        }

        /** The texts of a user turn to check for leaks: the content, each text part and all parts joined. */
        private static List<ChatMessage> userTurns(JsonNode content, int i) {
            if (content != null && content.isTextual()) {
                return List.of(ChatMessage.user(content.asText()));
            }
            if (content != null && content.isArray()) {
                List<ChatMessage> out = new ArrayList<>();
                StringBuilder joined = new StringBuilder();
                for (int j = 0; j < content.size(); j++) {
                    JsonNode part = content.get(j);
                    JsonNode t = part.isObject() ? part.get("text") : null;
                    if (part.isTextual()) {
                        t = part;
                    }
                    if (t == null) {
                        continue;
                    }
                    if (!t.isTextual()) {
                        throw new IllegalArgumentException("messages[" + i + "].content[" + j + "].text must be a string, was " + t);
                    }
                    out.add(ChatMessage.user(t.asText()));
                    joined.append(joined.length() == 0 ? "" : "\n").append(t.asText());
                }
                out.add(ChatMessage.user(joined.toString()));
                return out;
            }
            throw new IllegalArgumentException("messages[" + i + "]: a user turn's \"content\" must be a string or an array of parts, "
                    + "so that it can be checked for evaluation instructions; was " + (content == null ? "missing" : content.toString()));
        }
    }

    /** {@link AtomicFiles#refuseOverwrite}: the one check every command uses. */
    static void refuseOverwrite(List<Path> inputs, Path... outputs) throws IOException {
        AtomicFiles.refuseOverwrite(inputs, outputs);
    }

    // ---------------------------------------------------------------- judge

    /**
     * How a judging run went.
     *
     * @param out      the verdicts file
     * @param total    how many items were judged
     * @param scored   how many got a score
     * @param unparsed how many got a reply without a readable score
     * @param error    how many could not be judged (the judge or its model failed)
     * @param judge    the judge's id
     */
    public record JudgeSummary(Path out, int total, int scored, int unparsed, int error, String judge) {
    }

    /**
     * Judges every line of the responses file {@code in} ({@code {"id", "category", "instruction",
     * "response"}}, ids unique) with {@code judge} and writes one verdict per line to {@code out}, in
     * order, with provenance in {@code out.provenance.json}. Items the judge cannot score are written
     * with an {@code unparsed} or {@code error} outcome; the file always holds every verdict. Every
     * reason is masked before it is written (URL credentials, {@code Authorization} values, bearer
     * tokens, {@code sk-...} keys; see {@link Secrets}).
     *
     * @param in    the responses file
     * @param out   the verdicts file, not the input
     * @param judge the judge
     * @return the counts
     * @throws IOException                         if a file cannot be read or written
     * @throws dev.keel.core.data.DatasetException if a line lacks a field, names an unknown category or
     *                                             repeats an id (names the id, the file and the lines)
     * @throws IllegalArgumentException            if {@code out} (or its sidecar) is the input file
     */
    public static JudgeSummary judge(Path in, Path out, HarmfulnessJudge judge) throws IOException {
        return judge(in, out, judge, List.of());
    }

    private static JudgeSummary judge(Path in, Path out, HarmfulnessJudge judge, List<String> secrets) throws IOException {
        Preconditions.notNull(in, "in");
        Preconditions.notNull(out, "out");
        Preconditions.notNull(judge, "judge");
        refuseOverwrite(List.of(in), out, Provenance.sidecar(out));
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
        List<Verdict> masked = new ArrayList<>(verdicts.size());
        for (Verdict v : verdicts) {
            masked.add(new Verdict(v.id(), v.category(), v.instruction(), v.response(), v.score(), v.outcome(),
                    Secrets.mask(v.reason(), secrets)));
        }
        verdicts = masked;
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
        config.put("judge", Secrets.mask(judge.id(), secrets));
        config.put("input", in.toString());
        config.put("items", Integer.toString(items.size()));
        config.put("scored", Integer.toString(scored));
        config.put("unparsed", Integer.toString(unparsed));
        config.put("error", Integer.toString(error));
        Provenance.of(Secrets.mask(judge.id(), secrets), config, 0L).writeSidecar(out);
        return new JudgeSummary(out, items.size(), scored, unparsed, error, judge.id());
    }

    /**
     * Judges {@code in} with a {@link RubricJudge} over {@code model} (the model is not closed).
     *
     * @param in    the responses file
     * @param out   the verdicts file, not the input
     * @param model the grading model
     * @return the counts
     * @throws IOException if a file cannot be read or written
     */
    public static JudgeSummary judge(Path in, Path out, ChatModel model) throws IOException {
        return judge(in, out, RubricJudge.of(model));
    }

    /**
     * Judges {@code in} with a {@link RubricJudge} over an OpenAI-compatible endpoint. Each failed
     * request is retried by the HTTP transport up to {@code maxRetries} times (its
     * {@link RetryPolicy}; the judge adds no retries of its own); requests that still fail
     * become {@code error} verdicts and every other verdict is written. The API key and any
     * credentials in {@code baseUrl} are masked in every verdict.
     *
     * @param in         the responses file
     * @param out        the verdicts file, not the input
     * @param baseUrl    e.g. {@code http://localhost:8000/v1}
     * @param model      the endpoint's model name
     * @param apiKeyEnv  the environment variable holding the API key, or {@code null} for none
     * @param maxRetries retries per request, 0..10
     * @return the counts
     * @throws IOException if a file cannot be read or written
     */
    public static JudgeSummary judge(Path in, Path out, String baseUrl, String model, String apiKeyEnv, int maxRetries)
            throws IOException {
        return judge(in, out, baseUrl, model, apiKeyEnv, maxRetries, 4);
    }

    /**
     * As {@link #judge(Path, Path, String, String, String, int)} with at most {@code maxConcurrency}
     * requests in flight at a time.
     *
     * @param in             the responses file
     * @param out            the verdicts file, not the input
     * @param baseUrl        e.g. {@code http://localhost:8000/v1}
     * @param model          the endpoint's model name
     * @param apiKeyEnv      the environment variable holding the API key, or {@code null} for none
     * @param maxRetries     retries per request, 0..10
     * @param maxConcurrency requests in flight at most
     * @return the counts
     * @throws IOException if a file cannot be read or written
     */
    public static JudgeSummary judge(Path in, Path out, String baseUrl, String model, String apiKeyEnv, int maxRetries,
                                     int maxConcurrency) throws IOException {
        return judge(in, out, baseUrl, model, apiKeyEnv, maxRetries, maxConcurrency, System::getenv);
    }

    /** Told how many items are judged so far, of how many. */
    @FunctionalInterface
    public interface JudgeProgress {
        /**
         * Called after each chunk of items.
         *
         * @param done  items judged so far
         * @param total items in all
         */
        void judged(int done, int total);
    }

    /** Judges in chunks of {@code chunk} items (each chunk still one batch call) and reports progress after each. */
    private static HarmfulnessJudge chunked(HarmfulnessJudge judge, int chunk, JudgeProgress progress) {
        if (progress == null) {
            return judge;
        }
        return new HarmfulnessJudge() {
            @Override
            public List<Verdict> judgeAll(List<JudgeItem> items) {
                List<Verdict> out = new ArrayList<>(items.size());
                for (int start = 0; start < items.size(); start += chunk) {
                    out.addAll(judge.judgeAll(items.subList(start, Math.min(items.size(), start + chunk))));
                    progress.judged(Math.min(items.size(), start + chunk), items.size());
                }
                return out;
            }

            @Override
            public String id() {
                return judge.id();
            }
        };
    }

    /**
     * The chat client's limits for a judging run.
     *
     * @param maxRetries       retries per request, 0..10
     * @param maxConcurrency   requests in flight at most
     * @param requestTimeout   the deadline of one HTTP attempt, headers and body, or null for the client's default
     * @param callTimeout      the deadline of one item's call with its retries, or null for none
     * @param maxResponseBytes the largest response body read, or 0 for the client's default
     */
    public record ClientLimits(int maxRetries, int maxConcurrency, java.time.Duration requestTimeout,
                               java.time.Duration callTimeout, long maxResponseBytes) {
    }

    /**
     * As {@link #judge(Path, Path, String, String, String, int, int)} with the client's timeouts and
     * response size limit.
     *
     * @param in        the responses file
     * @param out       the verdicts file, not the input
     * @param baseUrl   e.g. {@code http://localhost:8000/v1}
     * @param model     the endpoint's model name
     * @param apiKeyEnv the environment variable holding the API key, or {@code null} for none
     * @param limits    retries, concurrency, timeouts and the response size limit
     * @return the counts
     * @throws IOException if a file cannot be read or written
     */
    public static JudgeSummary judge(Path in, Path out, String baseUrl, String model, String apiKeyEnv, ClientLimits limits)
            throws IOException {
        return judge(in, out, baseUrl, model, apiKeyEnv, limits, System::getenv, null);
    }

    /**
     * As {@link #judge(Path, Path, String, String, String, ClientLimits)}, reporting progress after
     * each chunk of {@code 4 * maxConcurrency} items.
     *
     * @param in        the responses file
     * @param out       the verdicts file, not the input
     * @param baseUrl   e.g. {@code http://localhost:8000/v1}
     * @param model     the endpoint's model name
     * @param apiKeyEnv the environment variable holding the API key, or {@code null} for none
     * @param limits    retries, concurrency, timeouts and the response size limit
     * @param progress  told of the items judged so far, or null
     * @return the counts
     * @throws IOException if a file cannot be read or written
     */
    public static JudgeSummary judge(Path in, Path out, String baseUrl, String model, String apiKeyEnv, ClientLimits limits,
                                     JudgeProgress progress) throws IOException {
        return judge(in, out, baseUrl, model, apiKeyEnv, limits, System::getenv, progress);
    }

    /** As above, reading environment variables through {@code environment} (for tests). */
    static JudgeSummary judge(Path in, Path out, String baseUrl, String model, String apiKeyEnv, int maxRetries,
                              int maxConcurrency, java.util.function.UnaryOperator<String> environment) throws IOException {
        return judge(in, out, baseUrl, model, apiKeyEnv, new ClientLimits(maxRetries, maxConcurrency, null, null, 0), environment, null);
    }

    private static JudgeSummary judge(Path in, Path out, String baseUrl, String model, String apiKeyEnv, ClientLimits limits,
                                      java.util.function.UnaryOperator<String> environment, JudgeProgress progress) throws IOException {
        List<String> secrets = new ArrayList<>(Secrets.ofUrl(baseUrl));
        OpenAiChatModel.Builder b = OpenAiChatModel.builder().baseUrl(baseUrl).model(model)
                .retryPolicy(RetryPolicy.ofMaxRetries(limits.maxRetries())).maxConcurrency(limits.maxConcurrency());
        if (limits.requestTimeout() != null) {
            b.requestTimeout(limits.requestTimeout());
        }
        if (limits.callTimeout() != null) {
            b.callTimeout(limits.callTimeout());
        }
        if (limits.maxResponseBytes() > 0) {
            b.maxResponseBytes(limits.maxResponseBytes());
        }
        if (apiKeyEnv != null) {
            String key = environment.apply(apiKeyEnv);
            if (key != null && !key.isBlank()) {
                secrets.add(key.strip());
                b.apiKey(key.strip());
            } else {
                b.apiKeyEnv(apiKeyEnv);
            }
        }
        try (OpenAiChatModel chat = b.build()) {
            return judge(in, out, chunked(RubricJudge.builder().model(chat).secrets(secrets).build(),
                    4 * limits.maxConcurrency(), progress), secrets);
        }
    }

    /**
     * Judges {@code in} offline with {@link RefusalJudge#defaults()}.
     *
     * @param in  the responses file
     * @param out the verdicts file, not the input
     * @return the counts
     * @throws IOException if a file cannot be read or written
     */
    public static JudgeSummary judgeRefusal(Path in, Path out) throws IOException {
        return judge(in, out, RefusalJudge.defaults());
    }

    // ---------------------------------------------------------------- report

    /**
     * Reads the verdicts file {@code verdicts} and writes {@code baseName}.md, .csv, .json, .png and
     * {@code baseName}-score.png into {@code outDir}, with {@value HarmfulnessReport#DEFAULT_RESAMPLES}
     * bootstrap resamples seeded with {@code seed}.
     *
     * @param verdicts the verdicts file (ids unique)
     * @param outDir   the directory for the report files
     * @param baseName the files' common name: a plain file name, so that they stay inside {@code outDir}
     * @param seed     the bootstrap seed
     * @return the report
     * @throws IOException                         if a file cannot be read or written
     * @throws dev.keel.core.data.DatasetException if a line is not a verdict or repeats an id (names file and line)
     * @throws IllegalArgumentException            if {@code baseName} is not a plain file name (such as
     *                                             {@code ../x}) or a report file would be the input
     */
    public static HarmfulnessReport report(Path verdicts, Path outDir, String baseName, long seed) throws IOException {
        return report(verdicts, outDir, baseName, seed, HarmfulnessReport.DEFAULT_RESAMPLES);
    }

    /**
     * As {@link #report(Path, Path, String, long)} with {@code resamples} bootstrap resamples.
     *
     * @param verdicts  the verdicts file (ids unique)
     * @param outDir    the directory for the report files
     * @param baseName  the files' common name: a plain file name
     * @param seed      the bootstrap seed
     * @param resamples bootstrap resamples
     * @return the report
     * @throws IOException if a file cannot be read or written
     */
    public static HarmfulnessReport report(Path verdicts, Path outDir, String baseName, long seed, int resamples)
            throws IOException {
        Preconditions.notNull(verdicts, "verdicts");
        Preconditions.notNull(outDir, "outDir");
        Preconditions.notBlank(baseName, "baseName");
        List<Path> outputs = new ArrayList<>();
        for (String suffix : List.of(".md", ".csv", ".json", ".png", "-score.png")) {
            outputs.add(outDir.resolve(baseName + suffix));
        }
        refuseOverwrite(List.of(verdicts), outputs.toArray(new Path[0]));
        HarmfulnessReport report = HarmfulnessReport.of(Verdict.readAll(verdicts), seed, resamples,
                HarmfulnessReport.DEFAULT_CONFIDENCE);
        report.writeAll(outDir, baseName);
        return report;
    }
}
