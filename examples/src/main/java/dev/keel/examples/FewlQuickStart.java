package dev.keel.examples;

import dev.keel.fewl.Fewl;
import dev.keel.fewl.FewlItem;
import dev.keel.fewl.FewlScore;
import dev.keel.fewl.FewlScorer;
import dev.keel.fewl.Reference;

import java.util.ArrayList;
import java.util.List;

/**
 * The README's FEWL quick start as a program: a hallucination score without a gold answer, first
 * with the one-liner {@link Fewl#score}, then with a {@link FewlScorer} over a list of items. The
 * README quotes the body of {@link #run()} verbatim ({@code ReadmeSnippetsTest} checks it), so
 * what the README shows is what compiles here.
 *
 * <pre>
 * java -cp examples/target/keel.jar dev.keel.examples.FewlQuickStart
 * </pre>
 */
public final class FewlQuickStart {

    private FewlQuickStart() {
    }

    /**
     * Runs the quick start and prints each score.
     *
     * @return the one-liner's score followed by the scorer's score of each item, in item order
     */
    public static List<FewlScore> run() {
        // Hallucination score without a gold answer: agreement with reference LLMs' answers.
        FewlScore s = Fewl.score("What happens if you swallow gum?",
                "It passes through your digestive system.",
                List.of(new Reference("model-a", "It passes through and is excreted."),
                        new Reference("model-b", "Nothing much; it is not digested but passes through.")));
        System.out.println(s.total() + " = " + s.truthfulness() + " - " + s.penalty());

        List<FewlItem> items = List.of(
                FewlItem.of("gum", "What happens if you swallow gum?", "It stays in your stomach for seven years.",
                        Reference.list("It passes through and is excreted.", "It passes through your digestive system.")),
                FewlItem.of("knuckles", "What happens if you crack your knuckles a lot?", "Nothing in particular happens.",
                        Reference.list("Nothing in particular.", "You will get arthritis.")));
        List<FewlScore> scores;
        try (FewlScorer scorer = Fewl.builder().neighbours(25).build()) {   // expertise weights + laziness penalty
            scores = scorer.scoreAll(items);                                // each score explains itself
        }
        scores.forEach(score -> System.out.println(score.id() + ": " + score.total() + " " + score.notes()));

        List<FewlScore> all = new ArrayList<>();
        all.add(s);
        all.addAll(scores);
        return all;
    }

    /**
     * Runs {@link #run()}.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        run();
    }
}
