package dev.keel.safety.internal;

import dev.keel.safety.PolicyCategory;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The ordered keyword rules that assign each AdvBench instruction one policy category. The
 * instruction is lower-cased and the rules are tried in order; the first whose pattern is found
 * anywhere in it wins, and {@link #DEFAULT_RULE} (illegal activity) takes what no rule matched.
 * Specific, rarely ambiguous cues come first (children, sexual content, elections), broad ones
 * last (any "steal", "fake", "illegal"). The mapping this produces is committed as
 * {@code advbench_categories.csv}, and a test checks that these rules regenerate it.
 */
public final class CategoryRules {

    /** One rule: an id written to the mapping file, the category it assigns, and its pattern. */
    public record Rule(String id, PolicyCategory category, Pattern pattern) {
    }

    /** A rule match. */
    public record Match(String ruleId, PolicyCategory category) {
    }

    /** The id recorded when no rule matched. */
    public static final String DEFAULT_RULE = "R99-default";

    private static final List<Rule> RULES = List.of(
            rule("R01-children", PolicyCategory.CHILD_ABUSE,
                    "\\bchild(ren)?\\b|\\bminors?\\b|molest|\\bgroom"),
            rule("R02-sexual", PolicyCategory.ADULT_CONTENT,
                    "sexual|\\bsex\\b|pornograph|date rape|significant other"),
            rule("R03-politics", PolicyCategory.POLITICAL_CAMPAIGNING,
                    "politic|\\belection|voting|candidate|censorship|protest"),
            rule("R04-personal-finance", PolicyCategory.TAILORED_FINANCIAL_ADVICE,
                    "taxes legally|financial decisions"),
            rule("R05-drugs-smuggling", PolicyCategory.ILLEGAL_ACTIVITY,
                    "drug|smuggl|contraband|trafficking"),
            rule("R06-weapons-self-harm", PolicyCategory.PHYSICAL_HARM,
                    "bomb|explosive|weapon|firearm|\\bguns?\\b|shooting|poison|suicid|self-harm|cutting|anorexi|bulimi"
                    + "|eating disorder|chemical|toxin|terroris|steroid|dangerous|reckless|drunk driving|start a fire"
                    + "|harm animals|physical harm|kill plants|transportation system|power grid|hit-and-run"),
            rule("R07-computer-attack", PolicyCategory.MALWARE,
                    "malware|virus|ransomware|botnet|ddos|denial of service|cyber ?attack|\\bhack|hijack|vulnerabilit"
                    + "|crack passwords|bypass security|security measures|deletes files|crash a computer|denies access"
                    + "|digital rights|spies on|spy on"),
            rule("R08-hate-harassment", PolicyCategory.HATE_HARASS_VIOLENCE,
                    "hate|hatred|racis|racial|sexist|minority|\\brace\\b|religion|inferior|dehumaniz|oppression|bully"
                    + "|cyberbull|harass|stalk|threat|extort|blackmail|violen|incit|radicaliz|glorif|torture|abduct"
                    + "|assault|murder|inflammatory"),
            rule("R09-markets-money", PolicyCategory.ECONOMIC_HARM,
                    "insider trading|stock|financial market|recession|economic|counterfeit(ing)? money|\\btax"
                    + "|financial (institution|data|systems|damage|loss)|bank.s|rob a bank|sabotag\\w* a (competitor|company)"
                    + "|sabotag\\w* a local business|vulnerable (populations|individuals)|competitor"),
            rule("R10-identity-cards-phishing", PolicyCategory.FRAUD_DECEPTION,
                    "identity theft|identit(y|ies)|fake id|credit card|phishing|scam"),
            rule("R11-personal-data", PolicyCategory.PRIVACY_VIOLATION,
                    "personal information|personal data|user data|private data|\\bspy|track|without their (consent|knowledge)"
                    + "|webcam|\\bleak|harvest|user activity|email account|sensitive information|confidential"),
            rule("R12-deception", PolicyCategory.FRAUD_DECEPTION,
                    "fraud|scam|phishing|fake|counterfeit|spam|cheat|falsif|misinformation|disinformation|false"
                    + "|propaganda|conspiracy|hoax|mislead|manipulat|trick|review|defam|poses as|social engineering"
                    + "|unsolicited|scientific evidence"),
            rule("R13-crime", PolicyCategory.ILLEGAL_ACTIVITY,
                    "steal|theft|\\brob\\b|vandaliz|trespass|break into|escape|evade|evading|law enforcement|pirat"
                    + "|copyright|lock|crime|criminal|illegal|infiltrate"));

    private CategoryRules() {
    }

    private static Rule rule(String id, PolicyCategory category, String regex) {
        return new Rule(id, category, Pattern.compile(regex));
    }

    /** The rules, in the order they are tried. */
    public static List<Rule> rules() {
        return RULES;
    }

    /** The first rule that matches {@code instruction}, or the default rule. */
    public static Match classify(String instruction) {
        String text = instruction.toLowerCase(Locale.ROOT);
        for (Rule r : RULES) {
            if (r.pattern().matcher(text).find()) {
                return new Match(r.id(), r.category());
            }
        }
        return new Match(DEFAULT_RULE, PolicyCategory.ILLEGAL_ACTIVITY);
    }
}
