package dev.keel.safety;

import dev.keel.safety.internal.Redactor;

import java.util.Collection;
import java.util.List;

/**
 * Masks secrets in text that came from a server or a URL before it is written into a verdicts
 * file: the given secrets wherever they occur, and always the credentials of any URL
 * ({@code http://user:key@host} becomes {@code http://***@host}), {@code Authorization} header values,
 * {@code Bearer}/{@code Basic} tokens and {@code sk-...} keys. {@link RubricJudge} applies it to every
 * reason it writes.
 *
 * <pre>{@code
 * String safe = Secrets.mask(reply, List.of(System.getenv("OPENAI_API_KEY")));
 * }</pre>
 */
public final class Secrets {

    /** What a secret is replaced with: {@value}. */
    public static final String MASK = Redactor.MASK;

    private Secrets() {
    }

    /**
     * {@code text} with every secret and secret-shaped pattern replaced by {@value #MASK}.
     *
     * @param text    the text, may be {@code null}
     * @param secrets exact strings to mask; null and blank entries are ignored
     * @return the masked text ({@code null} for {@code null})
     */
    public static String mask(String text, Collection<String> secrets) {
        return Redactor.of(secrets).mask(text);
    }

    /**
     * The secrets an endpoint URL carries in its userinfo (the whole userinfo, and its password
     * part, raw and percent-decoded), to pass to {@link #mask} or {@link RubricJudge.Builder#secrets}.
     *
     * @param url the URL, may be {@code null}
     * @return the secrets, empty without userinfo
     */
    public static List<String> ofUrl(String url) {
        return Redactor.secretsOf(url);
    }
}
