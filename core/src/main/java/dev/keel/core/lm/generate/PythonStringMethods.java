package dev.keel.core.lm.generate;

import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * Gives strings in a Jinja template the Python {@code str} methods that Hugging Face chat templates
 * call ({@code strip}, {@code lstrip}, {@code rstrip}, {@code split}, {@code startswith},
 * {@code endswith}, {@code upper}, {@code lower}, {@code title}, {@code capitalize}, {@code replace},
 * {@code find}, {@code count}, {@code join}), with Python's semantics rather than Java's (Java's
 * {@code split} takes a regular expression and drops trailing empty parts, its {@code strip} takes no
 * characters). Only method calls on strings are answered; everything else is left to the next resolver.
 */
final class PythonStringMethods extends ELResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(base instanceof String) || !(method instanceof String)) {
            return null;
        }
        String s = (String) base;
        Object[] a = params == null ? new Object[0] : params;
        Object result;
        switch ((String) method) {
            case "strip":
                result = rstrip(lstrip(s, chars(a, 0)), chars(a, 0));
                break;
            case "lstrip":
                result = lstrip(s, chars(a, 0));
                break;
            case "rstrip":
                result = rstrip(s, chars(a, 0));
                break;
            case "split":
                result = split(s, a.length > 0 && a[0] != null ? a[0].toString() : null,
                        a.length > 1 ? ((Number) a[1]).intValue() : -1);
                break;
            case "startswith":
                result = affix(s, a, true);
                break;
            case "endswith":
                result = affix(s, a, false);
                break;
            case "upper":
                result = s.toUpperCase(Locale.ROOT);
                break;
            case "lower":
                result = s.toLowerCase(Locale.ROOT);
                break;
            case "capitalize":
                result = s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
                break;
            case "title":
                result = title(s);
                break;
            case "replace":
                result = s.replace(arg(a, 0, "replace"), arg(a, 1, "replace"));
                break;
            case "find":
                result = (long) s.indexOf(arg(a, 0, "find"));
                break;
            case "count":
                result = (long) count(s, arg(a, 0, "count"));
                break;
            case "join":
                result = join(s, a.length > 0 ? a[0] : null);
                break;
            default:
                return null;
        }
        context.setPropertyResolved(true);
        return result;
    }

    private static String arg(Object[] a, int i, String method) {
        if (a.length <= i || a[i] == null) {
            throw new IllegalArgumentException("str." + method + " needs a string argument " + (i + 1));
        }
        return a[i].toString();
    }

    private static String chars(Object[] a, int i) {
        return a.length > i && a[i] != null ? a[i].toString() : null;
    }

    private static boolean strippable(int cp, String chars) {
        return chars == null ? Character.isWhitespace(cp) || Character.isSpaceChar(cp) : chars.indexOf(cp) >= 0;
    }

    static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            if (!strippable(cp, chars)) {
                break;
            }
            i += Character.charCount(cp);
        }
        return s.substring(i);
    }

    static String rstrip(String s, String chars) {
        int end = s.length();
        while (end > 0) {
            int cp = s.codePointBefore(end);
            if (!strippable(cp, chars)) {
                break;
            }
            end -= Character.charCount(cp);
        }
        return s.substring(0, end);
    }

    static List<String> split(String s, String sep, int maxSplit) {
        List<String> parts = new ArrayList<>();
        if (sep == null) {
            String rest = lstrip(s, null);
            while (!rest.isEmpty()) {
                if (maxSplit >= 0 && parts.size() == maxSplit) {
                    parts.add(rest);
                    return parts;
                }
                int i = 0;
                while (i < rest.length() && !strippable(rest.codePointAt(i), null)) {
                    i += Character.charCount(rest.codePointAt(i));
                }
                parts.add(rest.substring(0, i));
                rest = lstrip(rest.substring(i), null);
            }
            return parts;
        }
        if (sep.isEmpty()) {
            throw new IllegalArgumentException("str.split: empty separator");
        }
        int from = 0;
        while (maxSplit < 0 || parts.size() < maxSplit) {
            int at = s.indexOf(sep, from);
            if (at < 0) {
                break;
            }
            parts.add(s.substring(from, at));
            from = at + sep.length();
        }
        parts.add(s.substring(from));
        return parts;
    }

    private static boolean affix(String s, Object[] a, boolean prefix) {
        if (a.length == 0 || a[0] == null) {
            throw new IllegalArgumentException("str." + (prefix ? "startswith" : "endswith") + " needs a string or a list of strings");
        }
        if (a[0] instanceof Collection) {
            for (Object o : (Collection<?>) a[0]) {
                String x = String.valueOf(o);
                if (prefix ? s.startsWith(x) : s.endsWith(x)) {
                    return true;
                }
            }
            return false;
        }
        String x = a[0].toString();
        return prefix ? s.startsWith(x) : s.endsWith(x);
    }

    private static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            boolean cased = Character.isLetter(cp);
            sb.appendCodePoint(cased ? (previousCased ? Character.toLowerCase(cp) : Character.toTitleCase(cp)) : cp);
            previousCased = cased;
            i += Character.charCount(cp);
        }
        return sb.toString();
    }

    private static int count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.codePointCount(0, s.length()) + 1;
        }
        int n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            n++;
        }
        return n;
    }

    private static String join(String sep, Object items) {
        if (!(items instanceof Iterable)) {
            throw new IllegalArgumentException("str.join needs a list, got " + items);
        }
        StringBuilder sb = new StringBuilder();
        for (Iterator<?> it = ((Iterable<?>) items).iterator(); it.hasNext(); ) {
            sb.append(it.next());
            if (it.hasNext()) {
                sb.append(sep);
            }
        }
        return sb.toString();
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
        // not a property resolver: left to the next one
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
