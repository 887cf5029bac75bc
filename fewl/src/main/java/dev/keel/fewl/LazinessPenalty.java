package dev.keel.fewl;

import java.util.ArrayList;
import java.util.List;

/**
 * FEWL's laziness penalty of one answer: for each used reference the mean similarity of the answer
 * to that reference model's answers to the neighbour questions (through {@code f*∘g} in the
 * variational form), averaged over the references that answered at least one neighbour.
 */
final class LazinessPenalty {

    /**
     * The penalty of one answer.
     *
     * @param value        the penalty (0 when no reference answered a neighbour question)
     * @param similarities per used reference, the similarity to each of its neighbour answers
     * @param notes        which neighbours lacked an answer, or whether fewer than K were found
     */
    record Outcome(double value, List<List<Double>> similarities, List<String> notes) {
    }

    private LazinessPenalty() {
    }

    /**
     * The penalty of {@code item}'s answer.
     *
     * @param sims       the similarity of the call
     * @param item       the scored item
     * @param models     the used references' model names, in order
     * @param neighbours the corpus rows of the item's neighbour questions, nearest first
     * @param corpus     the neighbour corpus
     * @param divergence the f-divergence of the variational form, or {@code null} for the linear formula
     * @param k          K, the number of neighbours asked for (for the note when fewer were found)
     * @return the penalty, the similarities it came from and the notes
     * @throws IllegalArgumentException naming the item if a similarity is not a finite number
     */
    static Outcome of(PairSimilarity sims, FewlItem item, List<String> models, int[] neighbours,
                      List<CorpusEntry> corpus, FDivergence divergence, int k) {
        List<String> notes = new ArrayList<>();
        List<List<Double>> penSims = new ArrayList<>(models.size());
        double pen = 0;
        int contributing = 0;
        for (String model : models) {
            List<Double> ps = new ArrayList<>(neighbours.length);
            double sum = 0;
            for (int n : neighbours) {
                String ans = corpus.get(n).answers().get(model);
                if (ans == null) {
                    continue;
                }
                double s = sims.checked(item, item.answer(), ans, corpus.get(n).question(), "the answer and reference " + model + "'s answer to a neighbour question");
                ps.add(s);
                sum += divergence == null ? s : divergence.conjugateOfActivation(s);
            }
            penSims.add(ps);
            if (!ps.isEmpty()) {
                pen += sum / ps.size();
                contributing++;
            }
            if (ps.size() < neighbours.length) {
                notes.add((neighbours.length - ps.size()) + " of " + neighbours.length + " neighbour questions have no answer from " + model);
            }
        }
        pen = contributing == 0 ? 0 : pen / contributing;
        if (neighbours.length == 0) {
            notes.add("no neighbour questions in the corpus: penalty 0");
        } else if (neighbours.length < k) {
            notes.add("only " + neighbours.length + " of " + k + " neighbour questions available");
        }
        return new Outcome(pen, penSims, notes);
    }
}
