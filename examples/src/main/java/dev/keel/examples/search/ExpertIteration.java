package dev.keel.examples.search;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.KeelVersion;
import dev.keel.core.chat.ChatRecord;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.lm.lora.LoraConfig;
import dev.keel.core.lm.search.Answer;
import dev.keel.core.lm.search.Baselines;
import dev.keel.core.lm.search.Evaluator;
import dev.keel.core.lm.search.SearchResult;
import dev.keel.core.lm.search.Verifier;
import dev.keel.core.lm.train.LrSchedule;
import dev.keel.core.lm.train.TrainingConfig;
import dev.keel.examples.tiny.TinyChatTemplate;
import dev.keel.examples.tiny.TinyCorpus;
import dev.keel.examples.tiny.TinyTokenizer;
import dev.keel.sam.FineTuneResult;
import dev.keel.sam.LoraFineTuner;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Expert iteration, "the network approximates the tree": MCTS with the task's exact-answer verifier
 * on training problems, the accepted replies kept as chat records, a LoRA adapter fine-tuned on them
 * with {@code sam}'s {@link LoraFineTuner} (plain AdamW), and greedy exact match on held-out problems
 * measured before and after. Round {@code r > 1} searches with the model of round {@code r - 1} (its
 * adapter attached) and trains a fresh adapter on the replies accepted in every round so far.
 *
 * <p>Settings fixed beforehand: LoRA rank 8, alpha 16 on every linear layer, learning rate 1e-3
 * (warm-up 10, cosine), batch 8, 3 epochs over the accepted replies; the search as in
 * {@link SearchBench} at the given budget.
 */
public final class ExpertIteration {

    /** Every linear layer of a Llama block. */
    public static final LoraConfig LORA = LoraConfig.builder().rank(8).alpha(16)
            .targetModules("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj").build();

    /**
     * One round.
     *
     * @param round          1-based
     * @param searched       training problems searched
     * @param accepted       of those, replies the verifier accepted (the new training records)
     * @param records        records the adapter was trained on (all rounds so far)
     * @param steps          optimizer steps
     * @param finalLoss      the last step's loss
     * @param heldOutBefore  greedy exact match on held-out problems before the round
     * @param heldOutAfter   greedy exact match on held-out problems after the round
     * @param trainingBefore greedy exact match on the searched problems before the round
     * @param trainingAfter  greedy exact match on the searched problems after the round
     * @param forwardSteps   forward token-steps the round's searches spent
     */
    public record Round(int round, int searched, int accepted, int records, int steps, double finalLoss,
                        double heldOutBefore, double heldOutAfter, double trainingBefore, double trainingAfter,
                        long forwardSteps) {
    }

    private ExpertIteration() {
    }

    /**
     * Runs {@code rounds} rounds on {@code task}.
     *
     * @param setup     the model (keel-tiny's chat format); an adapter stays attached during the run and is
     *                  closed at its end
     * @param task      the task
     * @param rounds    1 or 2 (or more)
     * @param problems  training problems searched per round
     * @param heldOut   held-out problems evaluated
     * @param budget    forward token-steps per searched problem
     * @param seed      the seed of problem draws, searches and training
     * @param progress  status lines, or null
     * @return the rounds
     * @throws IOException if training fails to read or write a checkpoint
     */
    public static List<Round> run(SearchSetup setup, SearchTask task, int rounds, int problems, int heldOut, long budget,
                                  long seed, Consumer<String> progress) throws IOException {
        Preconditions.notNull(setup, "setup");
        Preconditions.notNull(task, "task");
        Preconditions.checkPositive(rounds, "rounds");
        Preconditions.checkPositive(problems, "problems");
        Preconditions.checkArgument(budget >= 1, "budget must be >= 1, was " + budget);
        List<TinyCorpus.Item> eval = task.heldOut(heldOut);
        List<Round> out = new ArrayList<>();
        Map<String, ChatRecord> records = new LinkedHashMap<>();
        FineTuneResult current = null;
        try {
            for (int r = 1; r <= rounds; r++) {
                List<TinyCorpus.Item> train = task.training(problems, seed + r);
                double before = greedyAccuracy(setup, task, eval);
                double trainBefore = greedyAccuracy(setup, task, train);
                int accepted = 0;
                long steps = 0;
                for (int i = 0; i < train.size(); i++) {
                    TinyCorpus.Item it = train.get(i);
                    Verifier v = Verifier.exactAnswer(task.answer(it.prompt()));
                    SearchResult sr = SearchBench.mcts(setup, task, v, budget, seed * 7919 + r * 1000L + i,
                            SearchBench.Settings.defaults()).search(setup.prompt(it.prompt()));
                    steps += sr.forwardSteps();
                    Answer a = sr.answer();
                    if (a.terminal() && a.value() >= 1.0) {
                        accepted++;
                        records.put(it.prompt(), ChatRecord.of(null, it.prompt(), a.text().strip()));
                    }
                }
                if (progress != null) {
                    progress.accept("round " + r + ": " + accepted + "/" + train.size() + " accepted, "
                            + records.size() + " records; greedy held-out before " + before);
                }
                Preconditions.checkState(!records.isEmpty(), "the search accepted no reply in round " + r
                        + ": nothing to train on");
                if (current != null) {
                    current.adapter().close();
                    current = null;
                }
                int n = records.size();
                int batch = 8;
                int totalSteps = Math.max(10, 3 * (n + batch - 1) / batch);
                TrainingConfig tc = TrainingConfig.builder().learningRate(1e-3).warmupSteps(10).totalSteps(totalSteps)
                        .schedule(LrSchedule.COSINE).minLrRatio(0.1).batchSize(batch).maxGradNorm(1.0).maxLength(128)
                        .padTokenId(TinyTokenizer.PAD_ID).seed(seed + r).logEvery(1000).build();
                current = LoraFineTuner.builder(setup.model(), new ArrayList<>(records.values()), setup.tokenizer(),
                        TinyChatTemplate.instance()).training(tc).lora(LORA).build().fit();
                double after = greedyAccuracy(setup, task, eval);
                double trainAfter = greedyAccuracy(setup, task, train);
                Round round = new Round(r, train.size(), accepted, n, current.training().steps(), current.finalLoss(),
                        before, after, trainBefore, trainAfter, steps);
                out.add(round);
                if (progress != null) {
                    progress.accept("round " + r + ": " + round);
                }
            }
        } finally {
            if (current != null) {
                current.adapter().close();
            }
        }
        return out;
    }

    /**
     * Greedy exact match of the model as it is now (adapter attached or not) on {@code items}.
     *
     * @param setup the model
     * @param task  the task
     * @param items the problems
     * @return the share answered exactly
     */
    public static double greedyAccuracy(SearchSetup setup, SearchTask task, List<TinyCorpus.Item> items) {
        Baselines b = new Baselines(setup.steps(), Evaluator.value((p, g, t, term) -> 0), setup::decode, setup.stops(),
                task.maxTokens());
        int ok = 0;
        for (TinyCorpus.Item it : items) {
            ok += b.greedy(setup.prompt(it.prompt())).text().strip().equals(task.answer(it.prompt())) ? 1 : 0;
        }
        return items.isEmpty() ? 0 : (double) ok / items.size();
    }

    /**
     * The rounds as JSON: {@code {"task", "budget", "seed", "lora", "rounds": [...], "library", "time"}}.
     *
     * @param task   the task
     * @param budget the search budget
     * @param seed   the seed
     * @param rounds the rounds
     * @return the JSON object
     */
    public static ObjectNode toJson(SearchTask task, long budget, long seed, List<Round> rounds) {
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("task", task.key());
        o.put("budget", budget);
        o.put("seed", seed);
        o.put("lora", "r=8 alpha=16 all linear layers, lr 1e-3 cosine, batch 8, 3 epochs");
        ArrayNode arr = o.putArray("rounds");
        for (Round r : rounds) {
            arr.add(Json.mapper().valueToTree(r));
        }
        o.put("library", "keel " + KeelVersion.get());
        o.put("time", Instant.now().toString());
        return o;
    }
}
