package dev.keel.core.lm.generate;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.keel.core.chat.ChatMessage;
import dev.keel.core.internal.Preconditions;
import jinjava.javax.el.CompositeELResolver;

import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model's own Jinja chat template (from {@code tokenizer_config.json} or {@code chat_template.jinja}),
 * rendered with HubSpot's jinjava the way transformers renders it: {@code trim_blocks} and
 * {@code lstrip_blocks} on, {@code {%-}/{@code -%}} and {@code {{-}/{@code -}}} whitespace control,
 * one trailing newline of the template dropped (Jinja's {@code keep_trailing_newline=False}), and
 * message text never interpreted as a template.
 *
 * <p>The template sees {@code messages} (a list of {@code {"role", "content"}} maps),
 * {@code add_generation_prompt}, {@code bos_token}, {@code eos_token} and any extra variables given;
 * it can call {@code raise_exception(message)} (rendering then fails with an
 * {@link IllegalArgumentException} naming the template and the message), use the {@code tojson}
 * filter (Python's {@code json.dumps} output: {@code ", "} and {@code ": "} separators, or
 * {@code indent=n}; non-ASCII kept), and Python's string methods ({@code strip}, {@code split},
 * {@code startswith}, ...). Python's reversing slice {@code name[::-1]} is rewritten to
 * {@code (name|reverse|list)}; any other stepped slice is refused when the template is built, since
 * jinjava cannot parse it.
 *
 * <p>Lists and maps print as Python prints them ({@code [1, 'a']}, {@code {'k': 'v'}}). Known
 * departures from Python's Jinja2, none of which the Qwen3, Llama 3.1 or Gemma 3 templates reach:
 * a boolean printed directly gives {@code true}/{@code false} (Python: {@code True}/{@code False}),
 * {@code none} prints as the empty string (Python: {@code None}), and {@code 'a' + none} concatenates
 * where Python raises.
 */
public final class JinjaChatTemplate implements ChatTemplate {

    private static final Pattern REVERSE_SLICE = Pattern.compile("([A-Za-z_][A-Za-z0-9_.]*)\\[\\s*:\\s*:\\s*-1\\s*]");
    private static final Pattern STEPPED_SLICE = Pattern.compile("\\[[^\\]\\[]*:[^\\]\\[]*:[^\\]\\[]*]");

    private final String name;
    private final String source;
    private final String prepared;
    private final Map<String, Object> variables;
    private final Jinjava jinjava;
    private volatile Boolean endsTurnWithEos;

    private JinjaChatTemplate(String name, String source, Map<String, ?> variables) {
        this.name = Preconditions.notBlank(name, "name");
        this.source = Preconditions.notNull(source, "source");
        this.variables = new HashMap<>(Preconditions.notNull(variables, "variables"));
        this.prepared = prepare(name, source);
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withNestedInterpretationEnabled(false)
                .withElResolver(resolver)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withUsePyishObjectMapper(true)
                        .withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withKeepNullableLoopValues(true)
                        .build())
                .build();
        this.jinjava = new Jinjava(config);
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                JinjaChatTemplate.class, "raiseException", String.class));
        jinjava.getGlobalContext().registerFilter(new ToJson());
    }

    /**
     * A template from its source text.
     *
     * @param name      a name for messages and provenance, e.g. the model directory
     * @param source    the Jinja source as the model ships it
     * @param variables extra variables the template reads, e.g. {@code bos_token} and {@code eos_token}
     * @return the template
     * @throws IllegalArgumentException if {@code name} is blank, or the template uses a slice jinjava cannot parse
     */
    public static JinjaChatTemplate of(String name, String source, Map<String, ?> variables) {
        return new JinjaChatTemplate(name, source, variables);
    }

    /**
     * The template a model directory ships, with its {@code bos_token} and {@code eos_token}.
     *
     * @param files what the directory says (see {@link HubModelFiles#read})
     * @return the template, named after the directory and the file it came from
     * @throws IllegalArgumentException if the directory has no chat template
     */
    public static JinjaChatTemplate of(HubModelFiles files) {
        Preconditions.notNull(files, "files");
        String src = files.chatTemplate().orElseThrow(() -> new IllegalArgumentException("model directory "
                + files.directory() + " has no chat template (neither " + HubModelFiles.CHAT_TEMPLATE_FILE + " nor a chat_template in "
                + HubModelFiles.TOKENIZER_CONFIG + ")"));
        return new JinjaChatTemplate(files.directory().resolve(files.chatTemplateSource().orElseThrow()).toString(), src,
                files.specialTokenVariables());
    }

    private static String prepare(String name, String source) {
        String s = source.endsWith("\n") ? source.substring(0, source.length() - 1) : source;
        s = REVERSE_SLICE.matcher(s).replaceAll("($1|reverse|list)");
        s = parenthesiseNamespaceArguments(s);
        Matcher stepped = STEPPED_SLICE.matcher(s);
        if (stepped.find()) {
            throw new IllegalArgumentException("chat template " + name + " uses the stepped slice " + stepped.group()
                    + ", which jinjava cannot parse (only name[::-1] is supported)");
        }
        return s;
    }

    /**
     * Wraps each keyword argument of {@code namespace(...)} in parentheses: jinjava binds
     * {@code name=value} tighter than the operators in the value ({@code last_query_index=messages|length - 1}
     * would subtract from the named parameter), where Jinja takes the whole expression.
     */
    static String parenthesiseNamespaceArguments(String s) {
        StringBuilder out = new StringBuilder(s.length() + 16);
        int from = 0;
        Matcher m = NAMESPACE_CALL.matcher(s);
        while (m.find(from)) {
            int open = m.end() - 1;
            int close = matchingParen(s, open);
            if (close < 0) {
                break;
            }
            out.append(s, from, open + 1);
            List<String> args = splitTopLevel(s.substring(open + 1, close));
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                Matcher kw = KEYWORD_ARGUMENT.matcher(a);
                out.append(i == 0 ? "" : ",");
                out.append(kw.matches() ? kw.group(1) + "=(" + kw.group(2) + ")" : a);
            }
            out.append(')');
            from = close + 1;
        }
        out.append(s.substring(from));
        return out.toString();
    }

    private static final Pattern NAMESPACE_CALL = Pattern.compile("\\bnamespace\\s*\\(");
    private static final Pattern KEYWORD_ARGUMENT = Pattern.compile("(?s)(\\s*[A-Za-z_][A-Za-z0-9_]*\\s*)=(?!=)(.*)");

    /** What {@link #walk} calls for each character outside quotes. */
    @FunctionalInterface
    private interface Visitor {
        /** Sees {@code c} at {@code index}, {@code depth} brackets deep after it; true stops the walk there. */
        boolean visit(int index, char c, int depth);
    }

    /**
     * Walks {@code s} from {@code from} as a Jinja expression: quoted strings (with backslash escapes)
     * are skipped, round, square and curly brackets counted.
     *
     * @return the index where {@code visitor} stopped the walk, or -1 if it never did
     */
    private static int walk(String s, int from, Visitor visitor) {
        int depth = 0;
        char quote = 0;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
                continue;
            }
            if (c == '\'' || c == '"') {
                quote = c;
                continue;
            }
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            }
            if (visitor.visit(i, c, depth)) {
                return i;
            }
        }
        return -1;
    }

    private static int matchingParen(String s, int open) {
        int close = walk(s, open, (i, c, depth) -> depth == 0 && (c == ')' || c == ']' || c == '}'));
        return close >= 0 && s.charAt(close) == ')' ? close : -1;
    }

    private static List<String> splitTopLevel(String s) {
        List<String> parts = new ArrayList<>();
        int[] start = {0};
        walk(s, 0, (i, c, depth) -> {
            if (c == ',' && depth == 0) {
                parts.add(s.substring(start[0], i));
                start[0] = i + 1;
            }
            return false;
        });
        parts.add(s.substring(start[0]));
        return parts;
    }

    /**
     * Called by templates as {@code raise_exception(message)}.
     *
     * @param message the template's message
     * @return never returns
     * @throws TemplateRaised always
     */
    public static Object raiseException(String message) {
        throw new TemplateRaised(message);
    }

    /** What {@code raise_exception} throws inside jinjava; rendering turns it into an {@link IllegalArgumentException}. */
    public static final class TemplateRaised extends RuntimeException {
        private static final long serialVersionUID = 1L;

        /**
         * Creates the exception.
         *
         * @param message the template's message
         */
        public TemplateRaised(String message) {
            super(message);
        }
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        Preconditions.notEmpty(messages, "messages");
        List<Map<String, Object>> maps = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role().wireName());
            map.put("content", m.content());
            maps.add(map);
        }
        return renderMessages(maps, addGenerationPrompt, Map.of());
    }

    /**
     * Renders messages given as maps, so that any role or field a template reads (e.g. {@code tool}
     * turns, {@code reasoning_content}) can be passed.
     *
     * @param messages            the conversation: maps with at least {@code role} and {@code content}
     * @param addGenerationPrompt whether to end with the opening of the assistant's next turn
     * @param extra               further variables (e.g. {@code enable_thinking}), overriding the template's own
     * @return the rendered text
     * @throws IllegalArgumentException if the template raises or fails (the message names the template)
     */
    public String renderMessages(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt, Map<String, ?> extra) {
        Preconditions.notNull(messages, "messages");
        Preconditions.notNull(extra, "extra");
        Map<String, Object> context = new HashMap<>(variables);
        context.put("messages", messages);
        context.put("add_generation_prompt", addGenerationPrompt);
        context.putAll(extra);
        RenderResult result = jinjava.renderForResult(prepared, context);
        List<String> problems = new ArrayList<>();
        for (TemplateError e : result.getErrors()) {
            if (e.getSeverity() != TemplateError.ErrorType.FATAL) {
                continue;
            }
            Throwable cause = e.getException();
            while (cause != null && !(cause instanceof TemplateRaised)) {
                cause = cause.getCause();
            }
            if (cause != null) {
                throw new IllegalArgumentException("chat template " + name + " raised: " + cause.getMessage());
            }
            problems.add((e.getLineno() > 0 ? "line " + e.getLineno() + ": " : "") + e.getMessage());
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("chat template " + name + " failed: " + String.join("; ", problems));
        }
        return result.getOutput();
    }

    /**
     * The template's source as the model ships it.
     *
     * @return the Jinja source
     */
    public String source() {
        return source;
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * Whether a rendered assistant turn is followed by the {@code eos_token} inside the template
     * (found by rendering a two-turn probe conversation).
     *
     * @return {@code true} if the template closes assistant turns with the eos token itself
     */
    @Override
    public boolean endsTurnWithEos() {
        Boolean known = endsTurnWithEos;
        if (known == null) {
            Object eos = variables.get("eos_token");
            boolean ends = false;
            if (eos instanceof String && !((String) eos).isEmpty()) {
                String reply = "Keel probe reply";
                try {
                    String text = renderMessages(List.of(Map.of("role", "user", "content", "Keel probe"),
                            Map.of("role", "assistant", "content", reply)), false, Map.of());
                    int at = text.lastIndexOf(reply);
                    ends = at >= 0 && text.indexOf((String) eos, at + reply.length()) >= 0;
                } catch (IllegalArgumentException e) {
                    ends = false;
                }
            }
            endsTurnWithEos = ends;
            known = ends;
        }
        return known;
    }

    /** Python's {@code json.dumps} as transformers' {@code tojson} filter calls it. */
    private static final class ToJson implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, args, Map.of());
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indentArg = kwargs.get("indent");
            if (indentArg == null && args != null && args.length > 0) {
                indentArg = args[0];
            }
            int indent = indentArg == null ? 0 : Integer.parseInt(indentArg.toString());
            StringBuilder sb = new StringBuilder();
            write(sb, var, indent, 0);
            return sb.toString();
        }

        private static void write(StringBuilder sb, Object v, int indent, int depth) {
            if (v == null) {
                sb.append("null");
            } else if (v instanceof String || v instanceof Character) {
                string(sb, v.toString());
            } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
                sb.append(v);
            } else if (v instanceof Number) {
                double d = ((Number) v).doubleValue();
                sb.append(d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d));
            } else if (v instanceof Map) {
                List<String> parts = new ArrayList<>();
                for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                    StringBuilder p = new StringBuilder();
                    string(p, String.valueOf(e.getKey()));
                    p.append(": ");
                    write(p, e.getValue(), indent, depth + 1);
                    parts.add(p.toString());
                }
                container(sb, '{', '}', parts, indent, depth);
            } else if (v instanceof Iterable || v.getClass().isArray()) {
                List<String> parts = new ArrayList<>();
                if (v instanceof Iterable) {
                    for (Object o : (Iterable<?>) v) {
                        StringBuilder p = new StringBuilder();
                        write(p, o, indent, depth + 1);
                        parts.add(p.toString());
                    }
                } else {
                    for (int i = 0; i < Array.getLength(v); i++) {
                        StringBuilder p = new StringBuilder();
                        write(p, Array.get(v, i), indent, depth + 1);
                        parts.add(p.toString());
                    }
                }
                container(sb, '[', ']', parts, indent, depth);
            } else {
                string(sb, v.toString());
            }
        }

        private static void container(StringBuilder sb, char open, char close, List<String> parts, int indent, int depth) {
            if (indent <= 0 || parts.isEmpty()) {
                sb.append(open).append(String.join(", ", parts)).append(close);
                return;
            }
            String base = "\n" + " ".repeat(indent * depth);
            String child = base + " ".repeat(indent);
            sb.append(open);
            for (int i = 0; i < parts.size(); i++) {
                sb.append(i == 0 ? "" : ",").append(child).append(parts.get(i));
            }
            sb.append(base).append(close);
        }

        private static void string(StringBuilder sb, String s) {
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"': sb.append("\\\""); break;
                    case '\\': sb.append("\\\\"); break;
                    case '\n': sb.append("\\n"); break;
                    case '\r': sb.append("\\r"); break;
                    case '\t': sb.append("\\t"); break;
                    case '\b': sb.append("\\b"); break;
                    case '\f': sb.append("\\f"); break;
                    default:
                        if (c < 0x20) {
                            sb.append(String.format("\\u%04x", (int) c));
                        } else {
                            sb.append(c);
                        }
                }
            }
            sb.append('"');
        }
    }
}
