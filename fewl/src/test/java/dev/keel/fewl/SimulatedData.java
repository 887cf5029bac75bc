package dev.keel.fewl;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Random question/answer texts with a known truth, for property tests. */
public final class SimulatedData {

    static final String[] WORDS = {"red", "river", "seven", "paris", "iron", "moon", "violin", "salt", "eagle", "copper",
        "winter", "glass", "tiger", "oak", "north", "honey", "marble", "comet", "maple", "storm",
        "silver", "canyon", "lemon", "falcon", "granite", "harbor", "ivory", "jungle", "kettle", "lantern"};

    private SimulatedData() {
    }

    static String word(SplittableRandom r) {
        return WORDS[r.nextInt(WORDS.length)];
    }

    /** One question's texts. */
    record Question(String question, String truth, List<String> wrong, String paraphrase) {
    }

    static Question question(SplittableRandom r, int q) {
        String topic = word(r) + " " + word(r);
        String question = "question " + q + " about the " + topic + " and " + word(r);
        String truth = "it is " + word(r) + " " + word(r) + " " + word(r);
        List<String> wrong = new ArrayList<>();
        for (int j = 0; j < 4; j++) {
            wrong.add("it is " + word(r) + " " + word(r) + " " + word(r) + " " + j);
        }
        return new Question(question, truth, wrong, truth + " indeed");
    }

    /** Items with three references of accuracy 0.8/0.5/0.3, IW/CO answers, and a random candidate. */
    public static List<FewlItem> items(SplittableRandom r, int n) {
        double[] acc = {0.8, 0.5, 0.3};
        List<FewlItem> out = new ArrayList<>();
        for (int q = 0; q < n; q++) {
            Question qq = question(r, q);
            List<Reference> refs = new ArrayList<>();
            for (int m = 0; m < acc.length; m++) {
                refs.add(Reference.of("m" + m, r.nextDouble() < acc[m] ? qq.truth() : qq.wrong().get(r.nextInt(4))));
            }
            String answer = r.nextBoolean() ? qq.truth() : qq.wrong().get(r.nextInt(4));
            out.add(new FewlItem("i" + q, qq.question(), answer, refs, qq.wrong().subList(0, 2), List.of(qq.paraphrase()), null));
        }
        return out;
    }
}
