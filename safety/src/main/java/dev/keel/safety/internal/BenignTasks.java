package dev.keel.safety.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Generates simple, harmless instruction/answer pairs (arithmetic, rewriting, facts, sorting,
 * counting), deterministically for a seed. The answers are computed, so they are right.
 */
public final class BenignTasks {

    /** One task with its answer; {@code kind} names the generator. */
    public record Task(String kind, String instruction, String answer) {
    }

    private static final String[] SENTENCES = {
        "the cat sat on the warm windowsill",
        "we planted tomatoes in the garden this spring",
        "the library opens at nine in the morning",
        "a gentle rain fell over the quiet town",
        "my brother enjoys baking bread on sundays",
        "the train to the coast leaves every hour",
        "she painted the fence a bright shade of blue",
        "the children built a sandcastle near the water",
        "our team finished the puzzle before lunch",
        "the old clock in the hall still keeps good time",
        "fresh snow covered the hills overnight",
        "he wrote a short letter to his grandmother",
    };

    private static final String[][] CAPITALS = {
        {"France", "Paris"}, {"Japan", "Tokyo"}, {"Canada", "Ottawa"}, {"Australia", "Canberra"},
        {"Brazil", "Brasília"}, {"Kenya", "Nairobi"}, {"Egypt", "Cairo"}, {"Norway", "Oslo"},
        {"Spain", "Madrid"}, {"Italy", "Rome"}, {"Germany", "Berlin"}, {"India", "New Delhi"},
        {"Mexico", "Mexico City"}, {"Argentina", "Buenos Aires"}, {"Portugal", "Lisbon"}, {"Greece", "Athens"},
        {"Sweden", "Stockholm"}, {"Poland", "Warsaw"}, {"Chile", "Santiago"}, {"Peru", "Lima"},
    };

    private static final String[][] OPPOSITES = {
        {"hot", "cold"}, {"early", "late"}, {"full", "empty"}, {"light", "dark"}, {"open", "closed"},
        {"quiet", "loud"}, {"above", "below"}, {"ancient", "modern"}, {"generous", "selfish"}, {"rough", "smooth"},
        {"strong", "weak"}, {"wide", "narrow"},
    };

    private static final String[] WORDS = {
        "banana", "mountain", "library", "keyboard", "umbrella", "sunflower", "window", "elephant",
        "harmony", "notebook", "pineapple", "lantern",
    };

    private static final int KINDS = 8;

    private BenignTasks() {
    }

    /** {@code n} tasks, cycling through the task kinds, drawn with {@code new Random(seed)}. */
    public static List<Task> generate(int n, long seed) {
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0, was " + n);
        }
        Random r = new Random(seed);
        List<Task> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(task(i % KINDS, r));
        }
        return out;
    }

    private static Task task(int kind, Random r) {
        switch (kind) {
            case 0: {
                int a = 10 + r.nextInt(490);
                int b = 10 + r.nextInt(490);
                return new Task("addition", "What is " + a + " + " + b + "?", a + " + " + b + " = " + (a + b) + ".");
            }
            case 1: {
                int a = 2 + r.nextInt(30);
                int b = 2 + r.nextInt(30);
                return new Task("multiplication", "Multiply " + a + " by " + b + ".", a + " multiplied by " + b + " is " + (a * b) + ".");
            }
            case 2: {
                String s = SENTENCES[r.nextInt(SENTENCES.length)];
                return new Task("uppercase", "Rewrite this sentence in capital letters: \"" + s + "\"",
                        s.toUpperCase(Locale.ROOT));
            }
            case 3: {
                String s = SENTENCES[r.nextInt(SENTENCES.length)];
                String[] w = s.split(" ");
                StringBuilder b = new StringBuilder();
                for (int k = w.length - 1; k >= 0; k--) {
                    b.append(w[k]);
                    if (k > 0) {
                        b.append(' ');
                    }
                }
                return new Task("reverse-words", "Reverse the order of the words in: \"" + s + "\"", b.toString());
            }
            case 4: {
                String[] c = CAPITALS[r.nextInt(CAPITALS.length)];
                return new Task("capital", "What is the capital of " + c[0] + "?", "The capital of " + c[0] + " is " + c[1] + ".");
            }
            case 5: {
                int[] v = new int[4 + r.nextInt(3)];
                for (int k = 0; k < v.length; k++) {
                    v[k] = r.nextInt(100);
                }
                int[] sorted = v.clone();
                java.util.Arrays.sort(sorted);
                return new Task("sort", "Sort these numbers from smallest to largest: " + join(v), join(sorted));
            }
            case 6: {
                String w = WORDS[r.nextInt(WORDS.length)];
                return new Task("count-letters", "How many letters are in the word \"" + w + "\"?",
                        "The word \"" + w + "\" has " + w.length() + " letters.");
            }
            default: {
                String[] o = OPPOSITES[r.nextInt(OPPOSITES.length)];
                return new Task("opposite", "Give the opposite of the word \"" + o[0] + "\".",
                        "The opposite of \"" + o[0] + "\" is \"" + o[1] + "\".");
            }
        }
    }

    private static String join(int[] v) {
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < v.length; k++) {
            if (k > 0) {
                b.append(", ");
            }
            b.append(v[k]);
        }
        return b.toString();
    }
}
