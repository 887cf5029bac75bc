package dev.keel.examples.search;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.KeelVersion;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.lm.search.Answer;
import dev.keel.core.lm.search.Baselines;
import dev.keel.core.lm.search.Evaluator;
import dev.keel.core.lm.search.Mcts;
import dev.keel.core.lm.search.SearchResult;
import dev.keel.core.lm.search.Verifier;
import dev.keel.examples.tiny.TinyCorpus;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * MCTS against greedy decoding, best-of-N sampling and beam search at the same budget of forward
 * token-steps per problem, on held-out problems of a {@link SearchTask}, with the task's exact-answer
 * verifier as the evaluator of every method (so the verifier knows the answer: accuracy is "found a
 * reply the verifier accepts and returned it", an oracle-verifier setting like pass@k).
 *
 * <p>Rows: {@code greedy} (one reply, its own cost); {@code best-of-n} (samples at temperature 1
 * until the budget is spent, the verifier picks); {@code beam} (width ⌊budget / (greedy's cost + 1)⌋,
 * at least 1, the verifier picks among finished beams); {@code mcts} (the best-valued reply the
 * search saw: terminal nodes and greedy rollouts); {@code mcts-visits} (the reply along the most
 * visited edges, no final pick by the verifier). Best-of-N and MCTS stop once the verifier accepts a
 * reply (the spent steps are what {@code mean_forward_steps} reports); greedy and beam search do not
 * depend on the seed and run once per problem. MCTS settings: top-k 8, prior temperature 1, c = 1,
 * first-play value 0, greedy rollouts, at most 1000 simulations per budgeted token-step (a simulation
 * that ends in a known terminal node costs no forward step), without the MCTS-Solver rule unless
 * asked ({@link Settings#solver}: known finished replies are not visited again, an exhausted tree ends
 * the search; measured, it helped on neither task, see {@code docs/results/search}).
 */
public final class SearchBench {

    /**
     * The fixed MCTS settings of the benchmark.
     *
     * @param topK        actions per node
     * @param cPuct       PUCT's c
     * @param temperature the prior's temperature
     * @param solver      whether the MCTS-Solver rule is on ({@link Mcts.Builder#solver})
     * @param graded      whether MCTS searches with {@link #digitCloseness} instead of the exact-answer
     *                    verifier (sum tasks only; accuracy stays exact match)
     */
    public record Settings(int topK, double cPuct, double temperature, boolean solver, boolean graded) {

        /**
         * Settings, checked.
         *
         * @param topK        at least 1
         * @param cPuct       at least 0
         * @param temperature &gt; 0
         * @param solver      whether the MCTS-Solver rule is on
         * @param graded      whether MCTS searches with the graded value
         */
        public Settings {
            Preconditions.checkPositive(topK, "topK");
            Preconditions.checkNonNegative(cPuct, "cPuct");
            Preconditions.checkPositive(temperature, "temperature");
        }

        /**
         * Settings without the solver rule.
         *
         * @param topK        at least 1
         * @param cPuct       at least 0
         * @param temperature &gt; 0
         */
        public Settings(int topK, double cPuct, double temperature) {
            this(topK, cPuct, temperature, false, false);
        }

        /**
         * The settings fixed before the first bench and used by expert iteration: top-k 8, c 1,
         * temperature 1, no MCTS-Solver rule, exact-answer values. (The solver rule, added after the
         * first add2 bench, was the default for one session; measured, it found no more sums and one
         * copy problem fewer at budgets 16 and 64, so the default went back to this setting.)
         *
         * @return top-k 8, c 1, temperature 1, solver off
         */
        public static Settings defaults() {
            return new Settings(8, 1.0, 1.0, false, false);
        }

        /**
         * These settings with the solver rule on or off.
         *
         * @param on whether the solver rule is on
         * @return the settings
         */
        public Settings withSolver(boolean on) {
            return new Settings(topK, cPuct, temperature, on, graded);
        }

        /**
         * These settings with MCTS searching by the graded value or by the exact answer.
         *
         * @param on whether MCTS searches with {@link #digitCloseness}
         * @return the settings
         */
        public Settings withGraded(boolean on) {
            return new Settings(topK, cPuct, temperature, solver, on);
        }
    }

    /**
     * One method's score at one budget.
     *
     * @param name             the method
     * @param budget           forward token-steps allowed per problem
     * @param correct          problems × seeds answered right
     * @param total            problems × seeds
     * @param meanForwardSteps the mean forward token-steps actually spent
     */
    public record Row(String name, long budget, int correct, int total, double meanForwardSteps) {

        /**
         * Accuracy.
         *
         * @return correct / total
         */
        public double accuracy() {
            return total == 0 ? 0 : (double) correct / total;
        }

        /**
         * The Wilson 95% interval of the accuracy.
         *
         * @return {lower, upper}
         */
        public double[] interval() {
            return wilson(correct, total);
        }
    }

    private SearchBench() {
    }

    /** The method names, in row order. */
    public static final List<String> METHODS = List.of("greedy", "best-of-n", "beam", "mcts", "mcts-visits");

    /**
     * Runs every method on {@code problems} held-out problems of {@code task} at each budget and seed.
     *
     * @param setup    the model
     * @param task     the task
     * @param problems held-out problems (at most 200)
     * @param budgets  forward token-steps per problem, each at least 1
     * @param seeds    the seeds (of sampling and of the search)
     * @param settings the MCTS settings
     * @param progress called with a status line after each budget and seed, or null
     * @return the rows, per budget in {@link #METHODS} order
     */
    public static List<Row> run(SearchSetup setup, SearchTask task, int problems, List<Long> budgets, List<Long> seeds,
                                Settings settings, Consumer<String> progress) {
        return run(setup, task, problems, budgets, seeds, settings, METHODS, progress);
    }

    /**
     * Runs the given methods on {@code problems} held-out problems of {@code task} at each budget and
     * seed (for example only {@code mcts} and {@code mcts-visits}, to re-measure a changed search
     * without re-running baselines whose code did not change).
     *
     * @param setup    the model
     * @param task     the task
     * @param problems held-out problems (at most 200)
     * @param budgets  forward token-steps per problem, each at least 1
     * @param seeds    the seeds (of sampling and of the search)
     * @param settings the MCTS settings
     * @param methods  a non-empty subset of {@link #METHODS}; rows come in {@link #METHODS} order
     * @param progress called with a status line after each budget and seed, or null
     * @return the rows, per budget in {@link #METHODS} order
     * @throws IllegalArgumentException if a method is not one of {@link #METHODS}
     */
    public static List<Row> run(SearchSetup setup, SearchTask task, int problems, List<Long> budgets, List<Long> seeds,
                                Settings settings, List<String> methods, Consumer<String> progress) {
        Preconditions.notEmpty(methods, "methods");
        for (String m : methods) {
            Preconditions.checkArgument(METHODS.contains(m), "method must be one of " + METHODS + ", was " + m);
        }
        List<String> chosen = METHODS.stream().filter(methods::contains).toList();
        boolean fixedOnes = chosen.contains("greedy") || chosen.contains("beam");
        boolean seededOnes = chosen.contains("best-of-n") || chosen.contains("mcts") || chosen.contains("mcts-visits");
        Preconditions.notNull(setup, "setup");
        Preconditions.notNull(task, "task");
        Preconditions.notEmpty(budgets, "budgets");
        Preconditions.notEmpty(seeds, "seeds");
        for (long b : budgets) {
            Preconditions.checkArgument(b >= 1, "budget must be >= 1, was " + b);
        }
        List<TinyCorpus.Item> items = task.heldOut(problems);
        List<Row> rows = new ArrayList<>();
        for (long budget : budgets) {
            Map<String, long[]> acc = new LinkedHashMap<>();
            for (String m : chosen) {
                acc.put(m, new long[3]);
            }
            // greedy and beam search do not depend on the seed: run once per problem, counted for every seed
            Map<Integer, Map<String, Answer>> fixed = new LinkedHashMap<>();
            for (long seed : seeds) {
                for (int i = 0; i < items.size(); i++) {
                    TinyCorpus.Item it = items.get(i);
                    Map<String, Answer> answers = new LinkedHashMap<>(fixedOnes ? fixed.computeIfAbsent(i,
                            k -> deterministic(setup, task, it.prompt(), budget)) : Map.of());
                    if (seededOnes) {
                        answers.putAll(seeded(setup, task, it.prompt(), budget, seed * 1_000_003L + i, settings,
                                chosen.contains("best-of-n")));
                    }
                    String want = task.answer(it.prompt());
                    for (String m : chosen) {
                        Answer e = answers.get(m);
                        long[] a = acc.get(m);
                        a[0] += e.text().strip().equals(want) ? 1 : 0;
                        a[1]++;
                        a[2] += e.forwardSteps();
                    }
                }
                if (progress != null) {
                    progress.accept(String.format(Locale.ROOT, "%s budget %d seed %d: %s", task.key(), budget, seed,
                            summary(acc)));
                }
            }
            acc.forEach((m, a) -> rows.add(new Row(m, budget, (int) a[0], (int) a[1], a[1] == 0 ? 0 : (double) a[2] / a[1])));
        }
        return rows;
    }

    private static String summary(Map<String, long[]> acc) {
        StringBuilder sb = new StringBuilder();
        acc.forEach((m, a) -> sb.append(sb.length() == 0 ? "" : ", ").append(m).append(' ').append(a[0]).append('/')
                .append(a[1]));
        return sb.toString();
    }

    /**
     * Every method on one prompt at one budget.
     *
     * @param setup    the model
     * @param task     the task (its verifier and reply length)
     * @param prompt   the user's message
     * @param budget   forward token-steps
     * @param seed     the seed of sampling and search
     * @param settings the MCTS settings
     * @return the answers by method name, in {@link #METHODS} order
     */
    public static Map<String, Answer> solveAll(SearchSetup setup, SearchTask task, String prompt, long budget, long seed,
                                               Settings settings) {
        Map<String, Answer> all = new LinkedHashMap<>(deterministic(setup, task, prompt, budget));
        all.putAll(seeded(setup, task, prompt, budget, seed, settings, true));
        Map<String, Answer> out = new LinkedHashMap<>();
        for (String m : METHODS) {
            out.put(m, all.get(m));
        }
        return out;
    }

    private static Baselines baselines(SearchSetup setup, SearchTask task, Verifier verifier) {
        return new Baselines(setup.steps(), Evaluator.terminal(verifier, 0), setup::decode, setup.stops(),
                task.maxTokens());
    }

    /** Greedy and beam search (width ⌊budget / (greedy's cost + 1)⌋, at least 1). */
    private static Map<String, Answer> deterministic(SearchSetup setup, SearchTask task, String prompt, long budget) {
        long[] ids = setup.prompt(prompt);
        Baselines b = baselines(setup, task, Verifier.exactAnswer(task.answer(prompt)));
        Map<String, Answer> out = new LinkedHashMap<>();
        Answer greedy = b.greedy(ids);
        out.put("greedy", greedy);
        int width = (int) Math.max(1, budget / (greedy.forwardSteps() + 1));
        out.put("beam", b.beam(ids, budget, width));
        return out;
    }

    /** Best-of-N and MCTS, both stopping once the verifier accepts a reply. */
    private static Map<String, Answer> seeded(SearchSetup setup, SearchTask task, String prompt, long budget, long seed,
                                              Settings settings, boolean bestOfN) {
        long[] ids = setup.prompt(prompt);
        Verifier verifier = Verifier.exactAnswer(task.answer(prompt));
        Map<String, Answer> out = new LinkedHashMap<>();
        if (bestOfN) {
            out.put("best-of-n", baselines(setup, task, verifier).bestOfN(ids, budget, 1.0, seed, 1.0));
        }
        Verifier guide = settings.graded() ? digitCloseness(task.answer(prompt)) : verifier;
        SearchResult r = mcts(setup, task, guide, budget, seed, settings).search(ids);
        out.put("mcts", r.answer());
        out.put("mcts-visits", r.mostVisited());
        return out;
    }

    /**
     * A graded value for a numeric answer: 1 for the exact answer; for another reply made only of
     * digits, {@code 0.5 · (digits that agree, aligned from the right) / max(length of reply, length of
     * answer)}, so a near miss is worth more than a far one and never as much as the answer; 0 for
     * anything else. Like the exact verifier it knows the answer.
     *
     * @param answer the expected reply, digits only
     * @return the verifier
     * @throws IllegalArgumentException if the answer is not made of digits
     */
    public static Verifier digitCloseness(String answer) {
        Preconditions.notNull(answer, "answer");
        String want = answer.strip();
        Preconditions.checkArgument(!want.isEmpty() && want.chars().allMatch(c -> c >= '0' && c <= '9'),
                "answer must be digits, was \"" + answer + "\"");
        return text -> {
            String got = text.strip();
            if (got.equals(want)) {
                return 1.0;
            }
            if (got.isEmpty() || !got.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return 0.0;
            }
            int agree = 0;
            for (int i = 1; i <= Math.min(got.length(), want.length()); i++) {
                if (got.charAt(got.length() - i) == want.charAt(want.length() - i)) {
                    agree++;
                }
            }
            return 0.5 * agree / Math.max(got.length(), want.length());
        };
    }

    /**
     * The benchmark's search for one problem.
     *
     * @param setup    the model
     * @param task     the task
     * @param verifier the verifier
     * @param budget   forward token-steps
     * @param seed     the seed
     * @param settings the settings
     * @return the search
     */
    public static Mcts mcts(SearchSetup setup, SearchTask task, Verifier verifier, long budget, long seed,
                            Settings settings) {
        return Mcts.builder(setup.steps()).evaluator(Evaluator.rollout(verifier, 0)).decoder(setup::decode)
                .stopTokens(setup.stops()).topK(settings.topK()).cPuct(settings.cPuct())
                .temperature(settings.temperature()).maxDepth(task.maxTokens()).tokenBudget(budget)
                .simulations((int) Math.min(Integer.MAX_VALUE, 1000 * budget)).seed(seed).stopAtValue(1.0)
                .solver(settings.solver()).build();
    }

    /**
     * The rows as the bench's JSON: {@code {"task", "model", "problems", "seeds", "settings", "rows": [{"name",
     * "accuracy", "interval", "budget", "correct", "total", "mean_forward_steps"}], "library", "time"}}.
     *
     * @param task     the task
     * @param model    the model's name
     * @param problems problems per seed
     * @param seeds    the seeds
     * @param settings the MCTS settings
     * @param rows     the rows
     * @return the JSON object
     */
    public static ObjectNode toJson(SearchTask task, String model, int problems, List<Long> seeds, Settings settings,
                                    List<Row> rows) {
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("task", task.key());
        o.put("model", model);
        o.put("problems", problems);
        ArrayNode s = o.putArray("seeds");
        seeds.forEach(s::add);
        o.put("verifier", "exact answer computed from the prompt (knows the answer)");
        o.put("cost_unit", "forward token-steps after the prompt's prefill");
        o.set("settings", Json.mapper().valueToTree(settings));
        ArrayNode arr = o.putArray("rows");
        for (Row r : rows) {
            ObjectNode x = arr.addObject();
            x.put("name", r.name());
            x.put("accuracy", round(r.accuracy()));
            ArrayNode iv = x.putArray("interval");
            iv.add(round(r.interval()[0]));
            iv.add(round(r.interval()[1]));
            x.put("budget", r.budget());
            x.put("correct", r.correct());
            x.put("total", r.total());
            x.put("mean_forward_steps", round(r.meanForwardSteps()));
        }
        o.put("library", "keel " + KeelVersion.get());
        o.put("time", Instant.now().toString());
        return o;
    }

    /**
     * The Wilson score interval at 95% for {@code k} successes in {@code n} trials.
     *
     * @param k successes
     * @param n trials
     * @return {lower, upper}; {0, 1} when {@code n} is 0
     */
    public static double[] wilson(int k, int n) {
        if (n == 0) {
            return new double[] {0, 1};
        }
        double z = 1.959963984540054;
        double p = (double) k / n;
        double d = 1 + z * z / n;
        double c = (p + z * z / (2 * n)) / d;
        double h = z * Math.sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)) / d;
        return new double[] {Math.max(0, c - h), Math.min(1, c + h)};
    }

    private static double round(double v) {
        return Math.round(v * 10000.0) / 10000.0;
    }
}
