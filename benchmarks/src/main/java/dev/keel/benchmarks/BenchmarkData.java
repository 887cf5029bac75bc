package dev.keel.benchmarks;

import dev.keel.core.data.TruthfulQa;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Inputs shared by the benchmarks, drawn from the bundled TruthfulQA. */
public final class BenchmarkData {

    private BenchmarkData() {
    }

    /**
     * The first {@code n} distinct answers of TruthfulQA in file order: each question's best answer,
     * then its correct and incorrect answers.
     */
    public static List<String> answers(int n) {
        Set<String> out = new LinkedHashSet<>();
        for (TruthfulQa.Question q : TruthfulQa.load()) {
            out.add(q.best());
            out.addAll(q.correct());
            out.addAll(q.incorrect());
            if (out.size() >= n) {
                break;
            }
        }
        List<String> list = new ArrayList<>(out);
        if (list.size() < n) {
            throw new IllegalStateException("TruthfulQA has only " + list.size() + " distinct answers, asked for " + n);
        }
        return list.subList(0, n);
    }
}
