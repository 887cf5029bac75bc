package dev.keel.examples.tiny;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.KeelVersion;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.chat.ChatRequest;
import dev.keel.core.chat.ChatResponse;
import dev.keel.core.chat.GenerationOptions;
import dev.keel.core.internal.AtomicFiles;
import dev.keel.core.chat.ChatRecord;
import dev.keel.core.internal.Json;
import dev.keel.core.lm.CausalLm;
import dev.keel.core.lm.LlamaConfig;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.rwkv.RwkvConfig;
import dev.keel.core.lm.rwkv.RwkvModel;
import dev.keel.core.lm.generate.LmTokenizer;
import dev.keel.core.lm.generate.LocalChatModel;
import dev.keel.core.lm.safetensors.DType;
import dev.keel.core.lm.train.ChatExamples;
import dev.keel.core.lm.train.LmTrainer;
import dev.keel.core.lm.train.LrSchedule;
import dev.keel.core.lm.train.TrainingConfig;
import dev.keel.core.lm.train.TrainingExample;
import dev.keel.core.lm.train.TrainingListener;
import dev.keel.core.lm.train.TrainingResult;
import dev.keel.safety.RefusalJudge;
import dev.keel.sam.LmObjective;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The recipe that trains keel-tiny from scratch: generate {@link TinyCorpus} from a seed, build a
 * word-level tokenizer from it, train a small Llama decoder with {@link LmTrainer} (all weights,
 * AdamW, warm-up + cosine), save it in Hugging Face layout, reload the saved files and evaluate them
 * on held-out prompts (exact-match greedy accuracy per skill family; refusal rate on held-out
 * AdvBench instructions and false-refusal rate on held-out benign requests, judged by
 * {@link RefusalJudge}), writing everything to {@code metrics.json}.
 *
 * <pre>{@code
 * TinyRecipe.Result r = TinyRecipe.train(Path.of("keel-tiny"), 42, null);
 * System.out.println(r.metrics().toPrettyString());
 * }</pre>
 *
 * <p>Deterministic given the seed and the number of CPU threads (floating-point sums depend on how
 * the work is split).
 */
public final class TinyRecipe {

    private static final Logger LOG = LoggerFactory.getLogger(TinyRecipe.class);

    /** The seed the bundled weights were trained with. */
    public static final long DEFAULT_SEED = 42;

    /**
     * Size of the model and of the run.
     *
     * @param hiddenSize       model width
     * @param layers           decoder layers
     * @param heads            attention heads
     * @param kvHeads          key/value heads
     * @param intermediateSize MLP width
     * @param steps            optimizer steps
     * @param batchSize        sequences per step
     * @param learningRate     peak learning rate
     * @param warmupSteps      linear warm-up steps
     * @param perFamily        held-out prompts per skill family
     * @param minCount         words seen fewer times become {@code <unk>}
     * @param evalMaxTokens    new tokens per reply in the evaluation
     */
    public record Settings(int hiddenSize, int layers, int heads, int kvHeads, int intermediateSize, int steps,
                           int batchSize, double learningRate, int warmupSteps, int perFamily, int minCount,
                           int evalMaxTokens) {

        public Settings {
            Preconditions.checkPositive(hiddenSize, "hiddenSize");
            Preconditions.checkPositive(layers, "layers");
            Preconditions.checkPositive(steps, "steps");
            Preconditions.checkPositive(batchSize, "batchSize");
            Preconditions.checkPositive(learningRate, "learningRate");
            Preconditions.checkPositive(perFamily, "perFamily");
            Preconditions.checkPositive(minCount, "minCount");
            Preconditions.checkPositive(evalMaxTokens, "evalMaxTokens");
        }

        /** The same settings with {@code steps} optimizer steps (warm-up cut to fit). */
        public Settings withSteps(int steps) {
            return new Settings(hiddenSize, layers, heads, kvHeads, intermediateSize, steps, batchSize, learningRate,
                    Math.min(warmupSteps, steps), perFamily, minCount, evalMaxTokens);
        }

        /** The bundled model's settings. */
        public static Settings defaults() {
            return new Settings(128, 4, 4, 2, 352, 2200, 32, 2e-3, 60, 40, 2, 64);
        }

        /** A run of seconds, for tests: a very small model, a few steps, and 4-token replies in the evaluation. */
        public static Settings smoke() {
            return new Settings(32, 1, 2, 1, 64, 3, 8, 1e-3, 1, 2, 2, 4);
        }
    }

    /**
     * A finished run.
     *
     * @param dir       the model directory
     * @param seconds   training time (without evaluation)
     * @param finalLoss the mean loss of the last 50 steps (or fewer)
     * @param metrics   the content of {@code metrics.json}
     */
    public record Result(Path dir, double seconds, double finalLoss, ObjectNode metrics) {
    }

    /**
     * Scores of one evaluation.
     *
     * @param accuracy         exact-match accuracy per skill family
     * @param refusalRate      share of held-out AdvBench instructions refused
     * @param falseRefusalRate share of held-out benign requests refused
     * @param falseRefusalAll  share of every held-out non-harmful prompt (skills and benign) refused
     * @param samples          a few prompts with the model's replies
     */
    public record Evaluation(Map<String, Double> accuracy, double refusalRate, double falseRefusalRate,
                             double falseRefusalAll, List<String[]> samples) {
    }

    /** The architecture the recipe trains. */
    public enum Arch {
        /** The Llama decoder of the bundled keel-tiny. */
        LLAMA,
        /** RWKV-4 with the same width, depth and (within a block's rounding) parameter count. */
        RWKV;

        /**
         * Parses {@code llama} or {@code rwkv} (any case).
         *
         * @param s the name
         * @return the architecture
         * @throws IllegalArgumentException for any other name
         */
        public static Arch parse(String s) {
            Preconditions.notNull(s, "arch");
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "llama" -> LLAMA;
                case "rwkv" -> RWKV;
                default -> throw new IllegalArgumentException("arch must be llama or rwkv, was " + s);
            };
        }
    }

    /** Held-out loss is measured every this many steps (and at the last step) into {@code metrics.json}. */
    public static final int HELD_OUT_EVERY = 100;

    private TinyRecipe() {
    }

    /** The Llama configuration of a run. */
    static LlamaConfig llamaConfig(Settings settings, int vocabSize) {
        return LlamaConfig.builder().vocabSize(vocabSize).hiddenSize(settings.hiddenSize())
                .intermediateSize(settings.intermediateSize()).numHiddenLayers(settings.layers())
                .numAttentionHeads(settings.heads()).numKeyValueHeads(settings.kvHeads()).tieWordEmbeddings(true)
                .maxPositionEmbeddings(256).rmsNormEps(1e-5).eosTokenId(TinyTokenizer.END_ID).build();
    }

    /**
     * The RWKV configuration of a run: the Llama run's width, depth, tied embeddings and context, with the
     * channel-mixing width that brings the parameter count closest to the Llama model's.
     */
    static RwkvConfig rwkvConfig(Settings settings, int vocabSize) {
        long target = llamaConfig(settings, vocabSize).parameterCount();
        RwkvConfig best = null;
        for (int im = 1; im <= 8 * settings.hiddenSize(); im++) {
            RwkvConfig c = RwkvConfig.builder().vocabSize(vocabSize).hiddenSize(settings.hiddenSize())
                    .intermediateSize(im).numHiddenLayers(settings.layers()).tieWordEmbeddings(true)
                    .contextLength(256).layerNormEpsilon(1e-5).bosTokenId(-1).eosTokenId(TinyTokenizer.END_ID).build();
            if (best == null || Math.abs(c.parameterCount() - target) < Math.abs(best.parameterCount() - target)) {
                best = c;
            }
        }
        return best;
    }

    /** Trains with {@link Settings#defaults()}. */
    public static Result train(Path outDir, long seed, TrainingListener listener) throws IOException {
        return train(outDir, seed, Settings.defaults(), listener);
    }

    /** Trains, saves and evaluates keel-tiny into {@code outDir} (created if needed). */
    public static Result train(Path outDir, long seed, Settings settings, TrainingListener listener) throws IOException {
        return train(outDir, seed, settings, Arch.LLAMA, listener);
    }

    /**
     * Trains, saves and evaluates a keel-tiny of architecture {@code arch} into {@code outDir} (created if
     * needed): the same corpus, tokenizer, steps, batch, schedule and evaluation for either.
     */
    public static Result train(Path outDir, long seed, Settings settings, Arch arch, TrainingListener listener)
            throws IOException {
        Preconditions.notNull(outDir, "outDir");
        Preconditions.notNull(arch, "arch");
        Preconditions.notNull(settings, "settings");
        Files.createDirectories(outDir);
        Instant started = Instant.now();
        List<TinyCorpus.Item> items = TinyCorpus.train(seed);
        List<String> texts = new ArrayList<>(items.size() * 2);
        Map<TinyCorpus.Family, Integer> perFamily = new EnumMap<>(TinyCorpus.Family.class);
        for (TinyCorpus.Item it : items) {
            texts.add(it.prompt());
            texts.add(it.answer());
            perFamily.merge(it.family(), 1, Integer::sum);
        }
        int vocabSize = TinyTokenizer.write(outDir.resolve("tokenizer.json"), texts, settings.minCount());
        LlamaConfig llama = llamaConfig(settings, vocabSize);
        RwkvConfig rwkv = arch == Arch.RWKV ? rwkvConfig(settings, vocabSize) : null;
        long parameterCount = rwkv != null ? rwkv.parameterCount() : llama.parameterCount();
        Object config = rwkv != null ? rwkv : llama;
        List<TrainingExample> examples;
        List<TrainingExample> heldOut;
        long tokens = 0;
        try (LmTokenizer tok = LmTokenizer.load(outDir.resolve("tokenizer.json"))) {
            List<ChatRecord> records = new ArrayList<>(items.size());
            for (TinyCorpus.Item it : items) {
                records.add(ChatRecord.of(null, it.prompt(), it.answer()));
            }
            examples = ChatExamples.encodeAll(records, tok, TinyChatTemplate.instance(), -1);
            for (TrainingExample e : examples) {
                tokens += e.length();
            }
            List<ChatRecord> held = new ArrayList<>();
            for (TinyCorpus.Item it : TinyCorpus.heldOut(seed, settings.perFamily())) {
                held.add(ChatRecord.of(null, it.prompt(), it.answer()));
            }
            heldOut = ChatExamples.encodeAll(held, tok, TinyChatTemplate.instance(), -1);
        }
        LOG.info("keel-tiny ({}): {} examples ({} tokens), vocabulary {}, {} parameters", arch, examples.size(), tokens,
                vocabSize, parameterCount);
        TrainingConfig tc = TrainingConfig.builder().learningRate(settings.learningRate()).weightDecay(0.01)
                .warmupSteps(settings.warmupSteps()).totalSteps(settings.steps()).schedule(LrSchedule.COSINE)
                .minLrRatio(0.05).batchSize(settings.batchSize()).maxGradNorm(1.0).maxLength(128)
                .padTokenId(TinyTokenizer.PAD_ID).seed(seed).logEvery(50).build();
        TrainingResult tr;
        double seconds;
        double[] evalSeconds = new double[1];
        List<double[]> heldOutCurve = new ArrayList<>();
        try (NDManager root = NDManager.newBaseManager();
             CausalLm model = rwkv != null ? RwkvModel.random(rwkv, seed, root) : LlamaModel.random(llama, seed, root)) {
            model.setBaseTrainable(true);
            LmTrainer.Builder b = LmTrainer.builder().model(model).parameters(model.parameters()).config(tc);
            if (listener != null) {
                b.listener(listener);
            }
            LmObjective heldOutLoss = LmObjective.of(model, java.util.Map.of(), heldOut, settings.batchSize());
            b.listener(new TrainingListener() {
                @Override
                public void onStep(Progress p) {
                    if (p.step() % HELD_OUT_EVERY == 0 || p.step() == p.totalSteps()) {
                        long e0 = System.nanoTime();
                        heldOutCurve.add(new double[] {p.step(), heldOutLoss.loss()});
                        evalSeconds[0] += (System.nanoTime() - e0) / 1e9;
                    }
                }
            });
            long t0 = System.nanoTime();
            try (LmTrainer trainer = b.build()) {
                tr = trainer.fit(examples);
            }
            seconds = (System.nanoTime() - t0) / 1e9 - evalSeconds[0];
            if (tr.status() != TrainingResult.Status.COMPLETED) {
                throw new IOException("keel-tiny training did not complete: " + tr.message());
            }
            if (model instanceof LlamaModel lm) {
                lm.save(outDir, DType.F32, Long.MAX_VALUE);
            } else {
                model.save(outDir);
            }
        }
        List<Float> losses = tr.losses();
        double finalLoss = 0;
        int tail = Math.min(50, losses.size());
        for (int i = losses.size() - tail; i < losses.size(); i++) {
            finalLoss += losses.get(i);
        }
        finalLoss /= tail;

        Evaluation ev;
        try (LocalChatModel chat = load(outDir)) {
            ev = evaluate(chat, seed, settings.perFamily(), settings.evalMaxTokens());
        }

        ObjectNode m = Json.mapper().createObjectNode();
        m.put("model", arch == Arch.RWKV ? "keel-tiny-rwkv" : "keel-tiny");
        m.put("architecture", arch.name().toLowerCase(Locale.ROOT));
        m.put("library", "keel " + KeelVersion.get());
        m.put("recipe", TinyRecipe.class.getName());
        m.put("seed", seed);
        m.put("started", started.toString());
        m.put("cpus", Runtime.getRuntime().availableProcessors());
        m.put("torch_threads", System.getProperty("ai.djl.pytorch.num_threads", "default"));
        m.set("settings", Json.mapper().valueToTree(settings));
        m.put("parameters", parameterCount);
        m.put("model_config", config.toString());
        m.put("vocab_size", vocabSize);
        ObjectNode corpus = m.putObject("corpus");
        corpus.put("examples", examples.size());
        corpus.put("tokens", tokens);
        ObjectNode fam = corpus.putObject("per_family");
        perFamily.forEach((f, n) -> fam.put(f.key(), n));
        ObjectNode train = m.putObject("training");
        train.put("seconds", round(seconds));
        train.put("tokens_per_second", round(tokensSeen(examples, settings, tc) / seconds));
        ArrayNode held = train.putArray("held_out_loss");
        for (double[] point : heldOutCurve) {
            ObjectNode o = held.addObject();
            o.put("step", (int) point[0]);
            o.put("loss", round(point[1]));
        }
        train.put("steps", tr.steps());
        train.put("final_loss_last_step", round(losses.get(losses.size() - 1)));
        train.put("final_loss_mean_last_50", round(finalLoss));
        train.set("config", Json.mapper().valueToTree(tc.asMap()));
        ArrayNode curve = train.putArray("loss_every_25_steps");
        for (int i = 0; i < losses.size(); i += 25) {
            curve.add(round(losses.get(i)));
        }
        ObjectNode eval = m.putObject("evaluation");
        eval.put("judge", RefusalJudge.defaults().id());
        eval.put("held_out_per_family", settings.perFamily());
        ObjectNode acc = eval.putObject("exact_match_accuracy");
        ev.accuracy().forEach((k, v) -> acc.put(k, round(v)));
        eval.put("refusal_rate_heldout_advbench", round(ev.refusalRate()));
        eval.put("false_refusal_rate_heldout_benign", round(ev.falseRefusalRate()));
        eval.put("false_refusal_rate_all_heldout_non_harmful", round(ev.falseRefusalAll()));
        ArrayNode samples = eval.putArray("samples");
        for (String[] s : ev.samples()) {
            ObjectNode o = samples.addObject();
            o.put("family", s[0]);
            o.put("prompt", s[1]);
            o.put("reply", s[2]);
        }
        AtomicFiles.writeString(outDir.resolve("metrics.json"), m.toPrettyString() + "\n");
        LOG.info("keel-tiny: trained in {} s, final loss {}, accuracy {}, refusal {}, false refusal {}",
                round(seconds), round(finalLoss), ev.accuracy(), ev.refusalRate(), ev.falseRefusalRate());
        return new Result(outDir, seconds, finalLoss, m);
    }

    /** Tokens the run feeds the model: steps times the mean tokens per batch (examples cut at the max length). */
    private static double tokensSeen(List<TrainingExample> examples, Settings settings, TrainingConfig tc) {
        double mean = 0;
        for (TrainingExample e : examples) {
            mean += Math.min(e.length(), tc.maxLength());
        }
        mean /= examples.size();
        return mean * settings.batchSize() * settings.steps();
    }

    /** A chat model over a keel-tiny directory, with its chat template; the caller closes it. */
    public static LocalChatModel load(Path dir) throws IOException {
        return LocalChatModel.load(dir, null, ai.djl.Device.cpu(), TinyChatTemplate.instance());
    }

    /** Evaluates {@code chat} on {@link TinyCorpus#heldOut} greedily, with replies of at most 64 tokens. */
    public static Evaluation evaluate(LocalChatModel chat, long seed, int perFamily) {
        return evaluate(chat, seed, perFamily, 64);
    }

    /** Evaluates {@code chat} on {@link TinyCorpus#heldOut} greedily, with replies of at most {@code maxTokens} tokens. */
    public static Evaluation evaluate(LocalChatModel chat, long seed, int perFamily, int maxTokens) {
        Preconditions.notNull(chat, "chat");
        List<TinyCorpus.Item> items = TinyCorpus.heldOut(seed, perFamily);
        GenerationOptions greedy = GenerationOptions.builder().temperature(0).maxTokens(maxTokens).build();
        List<ChatRequest> requests = new ArrayList<>(items.size());
        for (TinyCorpus.Item it : items) {
            requests.add(new ChatRequest(ChatRequest.ofUser(it.prompt()).messages(), greedy));
        }
        List<ChatResponse> replies = chat.generateAll(requests);
        RefusalJudge judge = RefusalJudge.defaults();
        Map<String, int[]> acc = new TreeMap<>();
        int harmful = 0;
        int refused = 0;
        int benign = 0;
        int benignRefused = 0;
        int other = 0;
        int otherRefused = 0;
        List<String[]> samples = new ArrayList<>();
        Map<TinyCorpus.Family, Integer> shown = new EnumMap<>(TinyCorpus.Family.class);
        for (int i = 0; i < items.size(); i++) {
            TinyCorpus.Item it = items.get(i);
            ChatResponse r = replies.get(i);
            String reply = r.isOk() ? r.text() : "";
            boolean isRefusal = judge.isRefusal(reply);
            if (it.family() == TinyCorpus.Family.REFUSAL) {
                harmful++;
                refused += isRefusal ? 1 : 0;
            } else {
                other++;
                otherRefused += isRefusal ? 1 : 0;
                if (it.family() == TinyCorpus.Family.BENIGN) {
                    benign++;
                    benignRefused += isRefusal ? 1 : 0;
                } else {
                    int[] a = acc.computeIfAbsent(it.family().key(), k -> new int[2]);
                    a[0] += reply.strip().equals(it.answer().strip()) ? 1 : 0;
                    a[1]++;
                }
            }
            if (shown.merge(it.family(), 1, Integer::sum) <= 2) {
                samples.add(new String[] {it.family().key(), it.prompt(), reply});
            }
        }
        Map<String, Double> accuracy = new TreeMap<>();
        acc.forEach((k, a) -> accuracy.put(k, a[1] == 0 ? 0.0 : (double) a[0] / a[1]));
        return new Evaluation(accuracy, harmful == 0 ? 0 : (double) refused / harmful,
                benign == 0 ? 0 : (double) benignRefused / benign, other == 0 ? 0 : (double) otherRefused / other,
                samples);
    }

    private static double round(double v) {
        return Math.round(v * 10000.0) / 10000.0;
    }

    /** Formats an evaluation in one line. */
    public static String summary(Evaluation e) {
        return String.format(Locale.ROOT, "accuracy %s, refusal %.3f, false refusal %.3f (all non-harmful %.3f)",
                e.accuracy(), e.refusalRate(), e.falseRefusalRate(), e.falseRefusalAll());
    }
}
