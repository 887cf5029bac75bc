package dev.keel.fewl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One question of the neighbour corpus: the id of the first item that asked it, its text and the
 * reference answers to it by model.
 *
 * @param id       the id of the first item with this question
 * @param question the question
 * @param answers  reference answers by model name (the first answer of each model)
 */
record CorpusEntry(String id, String question, Map<String, String> answers) {

    /**
     * One entry per distinct question of {@code source}, in order of first appearance; each model's
     * first answer to the question is kept.
     *
     * @param source the items the corpus is made of
     * @return the corpus
     */
    static List<CorpusEntry> of(List<FewlItem> source) {
        LinkedHashMap<String, CorpusEntry> byQuestion = new LinkedHashMap<>();
        for (FewlItem it : source) {
            CorpusEntry e = byQuestion.computeIfAbsent(it.question(), q -> new CorpusEntry(it.id(), q, new LinkedHashMap<>()));
            for (Reference r : it.references()) {
                e.answers().putIfAbsent(r.model(), r.answer());
            }
        }
        return new ArrayList<>(byQuestion.values());
    }
}
