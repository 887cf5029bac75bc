package dev.keel.safety.internal;

import dev.keel.core.chat.internal.SecretMasker;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks secrets in text that came from a server or a URL before it is written to a file: each
 * known secret (an API key, the credentials of an endpoint URL) wherever it occurs, and, whatever the
 * secrets, the userinfo of any URL ({@code http://user:pass@host} becomes {@code http://***@host}),
 * the value of an {@code Authorization} header, {@code Bearer}/{@code Basic} tokens and OpenAI-style
 * {@code sk-...} keys. Immutable and thread-safe.
 */
public final class Redactor {

    /** What a secret is replaced with. */
    public static final String MASK = SecretMasker.MASK;

    /** Masks only the patterns, no known secrets. */
    public static final Redactor GENERIC = new Redactor(List.of());

    private static final Pattern AUTHORIZATION = Pattern.compile(
            "(?i)(\\b(?:proxy-)?authorization\\b[\"']?\\s*[:=]\\s*[\"']?)(?:(?:bearer|basic|token)\\s+)?[^\\s\"',;}]+");
    private static final Pattern BEARER = Pattern.compile("(?i)\\b(bearer|basic)\\s+[A-Za-z0-9._~+/=\\-]{6,}");
    private static final Pattern OPENAI_KEY = Pattern.compile("\\bsk-[A-Za-z0-9_\\-]{12,}");

    private final List<String> secrets;
    private final SecretMasker masker;

    private Redactor(List<String> secrets) {
        this.secrets = secrets;
        this.masker = SecretMasker.of(secrets.toArray(String[]::new));
    }

    /**
     * A redactor for {@code secrets} (blank and null entries are ignored) on top of the patterns.
     *
     * @param secrets the exact strings to mask
     * @return the redactor
     */
    public static Redactor of(Collection<String> secrets) {
        Set<String> s = new LinkedHashSet<>();
        if (secrets != null) {
            for (String x : secrets) {
                if (x != null && !x.isBlank()) {
                    s.add(x);
                }
            }
        }
        List<String> sorted = new ArrayList<>(s);
        sorted.sort(Comparator.comparingInt(String::length).reversed());
        return new Redactor(List.copyOf(sorted));
    }

    /**
     * The secrets an endpoint URL carries in its userinfo: the whole userinfo (which may be a bare
     * key) and its password part, raw and percent-decoded. Empty for a URL without userinfo or one that cannot
     * be parsed.
     *
     * @param url the URL, may be {@code null}
     * @return the secrets
     */
    public static List<String> secretsOf(String url) {
        List<String> out = new ArrayList<>();
        if (url == null) {
            return out;
        }
        String raw;
        try {
            raw = new URI(url.strip()).getRawUserInfo();
        } catch (java.net.URISyntaxException e) {
            Matcher m = Pattern.compile("://([^/?#\\s@]+)@").matcher(url);
            raw = m.find() ? m.group(1) : null;
        }
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        addWithParts(out, raw);
        try {
            addWithParts(out, URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            // not decodable: the raw forms are masked
        }
        return out;
    }

    private static void addWithParts(List<String> out, String userinfo) {
        out.add(userinfo);
        int colon = userinfo.indexOf(':');
        if (colon >= 0 && colon + 1 < userinfo.length()) {
            // the password; the user name alone is masked only inside a URL (it may be a common word)
            out.add(userinfo.substring(colon + 1));
        }
    }

    /**
     * This redactor with more secrets.
     *
     * @param more the exact strings to mask as well
     * @return a new redactor
     */
    public Redactor with(Collection<String> more) {
        List<String> all = new ArrayList<>(secrets);
        all.addAll(more);
        return of(all);
    }

    /**
     * {@code text} with every secret and secret-shaped pattern replaced by {@value #MASK}.
     *
     * @param text the text, may be {@code null}
     * @return the masked text ({@code null} for {@code null})
     */
    public String mask(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        // the given secrets and URL user-info as the chat client masks them, then the generic patterns
        String t = masker.mask(text);
        t = AUTHORIZATION.matcher(t).replaceAll("$1" + Matcher.quoteReplacement(MASK));
        t = BEARER.matcher(t).replaceAll("$1 " + Matcher.quoteReplacement(MASK));
        t = OPENAI_KEY.matcher(t).replaceAll("sk-" + Matcher.quoteReplacement(MASK));
        return t;
    }
}
