package dev.keel.safety;

import dev.keel.core.internal.Preconditions;
import dev.keel.core.chat.ChatMessage;
import dev.keel.core.chat.ChatRecord;
import dev.keel.safety.internal.Texts;
import dev.keel.safety.data.HarmfulBehavior;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;

/**
 * A safety sample: a harmful instruction paired with a refusal, ready to be mixed into fine-tuning
 * data by {@link SafetyMixer}.
 *
 * @param instruction the harmful instruction
 * @param category    its policy category
 * @param refusal     the refusal the model should learn to give
 * @param source      where the instruction came from, e.g. {@code advbench#12}
 */
public record SafetySample(String instruction, PolicyCategory category, String refusal, String source) {

    private static final List<String> OPENINGS = List.of(
            "I'm sorry, but I can't help with that.",
            "I can't help with this request.",
            "I won't be able to help with that.");

    private static final List<String> CLOSINGS = List.of(
            "If you have another question, I'm glad to help.",
            "If it's useful, I can help with a related topic that is safe, such as how people protect themselves from this.",
            "Is there something else I can do for you?");

    private static final Map<PolicyCategory, String> REASONS = new EnumMap<>(Map.ofEntries(
            Map.entry(PolicyCategory.ILLEGAL_ACTIVITY,
                    "It asks for help with breaking the law, and that help could cause real harm to other people."),
            Map.entry(PolicyCategory.CHILD_ABUSE,
                    "I will never produce anything that could endanger, sexualise or exploit a child."),
            Map.entry(PolicyCategory.HATE_HARASS_VIOLENCE,
                    "Content that attacks people for who they are, threatens or harasses them, or encourages violence hurts real people."),
            Map.entry(PolicyCategory.MALWARE,
                    "Code or steps for breaking into, damaging or taking over computer systems would put people and their data at risk."),
            Map.entry(PolicyCategory.PHYSICAL_HARM,
                    "This could get someone badly hurt or killed. If you or someone you know is in danger, please contact local emergency services."),
            Map.entry(PolicyCategory.ECONOMIC_HARM,
                    "It could cause financial loss to other people and breaks the rules that protect markets and money."),
            Map.entry(PolicyCategory.FRAUD_DECEPTION,
                    "It is meant to deceive people, and deception like this harms the people it is aimed at."),
            Map.entry(PolicyCategory.ADULT_CONTENT,
                    "I don't produce sexual content or help with requests like this one."),
            Map.entry(PolicyCategory.POLITICAL_CAMPAIGNING,
                    "I don't create material meant to mislead voters, manipulate opinion at scale or disrupt elections."),
            Map.entry(PolicyCategory.PRIVACY_VIOLATION,
                    "It would mean collecting, tracking or exposing people's personal information without their consent."),
            Map.entry(PolicyCategory.TAILORED_FINANCIAL_ADVICE,
                    "Decisions like this depend on your personal situation and should be made with a qualified financial or tax adviser.")));

    /**
     * Checks the components.
     *
     * @param instruction the harmful instruction
     * @param category    its policy category
     * @param refusal     the refusal the model should learn to give
     * @param source      where the instruction came from, e.g. {@code advbench#12}
     * @throws IllegalArgumentException if the instruction, refusal or source is blank
     * @throws NullPointerException     if a component is null
     */
    public SafetySample {
        Preconditions.notBlank(instruction, "instruction");
        Preconditions.notNull(category, "category");
        Preconditions.notBlank(refusal, "refusal");
        Preconditions.notBlank(source, "source");
    }

    /**
     * The refusal Keel writes for {@code category}: an opening, the category's reason and a closing,
     * picked by {@code variant} (any int; the same variant always gives the same text).
     *
     * @param category the instruction's category
     * @param variant which of the category's phrasings to use; any int, taken modulo their number
     * @return the refusal Keel writes for {@code category}: an opening, the category's reason and a closing, picked by {@code variant} (any int; the same variant always gives the same text)
     */
    public static String refusal(PolicyCategory category, int variant) {
        Preconditions.notNull(category, "category");
        int v = Math.floorMod(variant, OPENINGS.size());
        int w = Math.floorMod(variant / OPENINGS.size(), CLOSINGS.size());
        return OPENINGS.get(v) + " " + REASONS.get(category) + " " + CLOSINGS.get(w);
    }

    /**
     * A safety sample for an AdvBench behaviour; the refusal variant follows the row index.
     *
     * @param behavior the harmful behaviour to refuse
     * @return a safety sample for an AdvBench behaviour; the refusal variant follows the row index
     */
    public static SafetySample of(HarmfulBehavior behavior) {
        Preconditions.notNull(behavior, "behavior");
        return new SafetySample(behavior.goal(), behavior.category(), refusal(behavior.category(), behavior.index()),
                behavior.source());
    }

    /**
     * The samples of {@code pool} whose instruction appears in no message of {@code records}, compared
     * as the evaluation-leak check compares (after folding case, whitespace and punctuation): a pool
     * that cannot repeat what a fine-tuning set already holds.
     *
     * @param pool    the safety samples, none null
     * @param records the records whose message texts are excluded, none null
     * @return the samples of {@code pool} not in {@code records}, in order, a new unmodifiable list
     * @throws IllegalArgumentException if an argument holds a null
     */
    public static List<SafetySample> notIn(List<SafetySample> pool, List<ChatRecord> records) {
        Preconditions.noNulls(pool, "pool");
        Preconditions.noNulls(records, "records");
        Set<String> used = new HashSet<>();
        for (ChatRecord r : records) {
            for (ChatMessage m : r.messages()) {
                used.add(Texts.normalise(m.content()));
            }
        }
        return pool.stream().filter(s -> !used.contains(Texts.normalise(s.instruction()))).toList();
    }

    /**
     * Safety samples for each behaviour, in order.
     *
     * @param behaviors the harmful behaviours to refuse
     * @return one sample per behaviour, in order
     */
    public static List<SafetySample> of(List<HarmfulBehavior> behaviors) {
        Preconditions.noNulls(behaviors, "behaviors");
        List<SafetySample> out = new ArrayList<>(behaviors.size());
        for (HarmfulBehavior b : behaviors) {
            out.add(of(b));
        }
        return List.copyOf(out);
    }

    /**
     * This sample as a chat record (with an optional system prompt), tagged with its category and source.
     *
     * @param systemPrompt the system prompt, or {@code null} for none
     * @return this sample as a chat record (with an optional system prompt), tagged with its category and source
     */
    public ChatRecord toRecord(String systemPrompt) {
        return ChatRecord.of(systemPrompt, instruction, refusal).withCategory(category.id()).withSource("safety:" + source);
    }
}
