package dev.keel.core.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The bundled TruthfulQA dataset (817 questions; Apache-2.0; Lin, Hilton, Evans, ACL 2022).
 *
 * <pre>{@code
 * List<TruthfulQa.Question> qs = TruthfulQa.load();
 * }</pre>
 */
public final class TruthfulQa {

    private static final String RESOURCE = "TruthfulQA.csv";

    /**
     * One question.
     *
     * @param type      {@code Adversarial} or {@code Non-Adversarial}
     * @param category  the topic, e.g. {@code Misconceptions}
     * @param question  the question
     * @param best      the best answer
     * @param correct   the correct answers ({@code ;}-separated in the file)
     * @param incorrect the incorrect answers
     * @param source    the source URL
     */
    public record Question(String type, String category, String question, String best,
                           List<String> correct, List<String> incorrect, String source) {
        /**
         * Keeps unmodifiable copies of the answer lists.
         *
         * @param type      {@code Adversarial} or {@code Non-Adversarial}
         * @param category  the topic, e.g. {@code Misconceptions}
         * @param question  the question
         * @param best      the best answer
         * @param correct   the correct answers ({@code ;}-separated in the file)
         * @param incorrect the incorrect answers
         * @param source    the source URL
         */
        public Question {
            correct = List.copyOf(correct);
            incorrect = List.copyOf(incorrect);
        }
    }

    private TruthfulQa() {
    }

    /**
     * Loads all 817 questions, in file order.
     *
     * @return all 817 questions, in file order
     */
    public static List<Question> load() {
        try (InputStream in = TruthfulQa.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + RESOURCE + " is missing from keel-core");
            }
            List<String> expected = List.of("Type", "Category", "Question", "Best Answer", "Correct Answers", "Incorrect Answers", "Source");
            List<List<String>> rows;
            try {
                rows = Csv.parseWithHeader(dev.keel.core.internal.TextFiles.decode(in.readAllBytes(), RESOURCE), expected);
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException(RESOURCE + ": " + e.getMessage(), e);
            }
            List<Question> out = new ArrayList<>(rows.size());
            for (List<String> f : rows) {
                out.add(new Question(f.get(0), f.get(1), f.get(2).trim(), f.get(3).trim(), split(f.get(4)), split(f.get(5)), f.get(6)));
            }
            return List.copyOf(out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    private static List<String> split(String answers) {
        return Arrays.stream(answers.split(";")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
