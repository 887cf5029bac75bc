package dev.keel.core.lm.search;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.internal.AtomicFiles;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.Preconditions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The search tree as a state × action table: one row per edge of every expanded node (prefix, action
 * token, its prior P, visit count N and mean value Q = W / N), breadth first, and within a node by
 * visits (most first), then prior. Exported as CSV or JSON.
 *
 * @param rows the rows, breadth first
 */
public record QTable(List<Row> rows) {

    /**
     * One state-action pair.
     *
     * @param depth      the prefix's number of generated tokens
     * @param prefix     the prefix's text (generated part)
     * @param prefixIds  the prefix's generated token ids
     * @param token      the action's token id
     * @param tokenText  the text the action appends to the prefix: the decoding of prefix + token
     *                   less the prefix's text (so a word-boundary token such as SentencePiece's
     *                   {@code ▁} shows as the space it adds), or the token decoded alone where the
     *                   prefix's text is not a prefix of it (a split UTF-8 sequence)
     * @param prior      P(s, a), the temperature-adjusted prior renormalised over the top-k
     * @param visits     N(s, a)
     * @param q          Q(s, a) = W / N, NaN while N = 0
     */
    public record Row(int depth, String prefix, long[] prefixIds, long token, String tokenText, double prior,
                      int visits, double q) {

        /**
         * A row.
         *
         * @param depth     the prefix's depth
         * @param prefix    its text
         * @param prefixIds its ids
         * @param token     the action
         * @param tokenText its text
         * @param prior     P
         * @param visits    N
         * @param q         Q
         */
        public Row {
            Preconditions.notNull(prefix, "prefix");
            Preconditions.notNull(prefixIds, "prefixIds");
            Preconditions.notNull(tokenText, "tokenText");
            prefixIds = prefixIds.clone();
        }

        /**
         * The prefix's token ids.
         *
         * @return a copy
         */
        @Override
        public long[] prefixIds() {
            return prefixIds.clone();
        }
    }

    /**
     * A table of {@code rows}.
     *
     * @param rows the rows
     */
    public QTable {
        rows = List.copyOf(Preconditions.noNulls(rows, "rows"));
    }

    /**
     * The first {@code n} rows of the root (depth 0).
     *
     * @param n how many at most
     * @return the root's rows, most visited first
     */
    public List<Row> top(int n) {
        return rows.stream().filter(r -> r.depth() == 0).limit(Math.max(0, n)).toList();
    }

    /**
     * CSV with a header: {@code depth,prefix,prefix_ids,token,token_text,prior,visits,q}.
     *
     * @return the table as CSV text
     */
    public String toCsv() {
        StringBuilder sb = new StringBuilder("depth,prefix,prefix_ids,token,token_text,prior,visits,q\n");
        for (Row r : rows) {
            sb.append(r.depth()).append(',').append(csv(r.prefix())).append(',').append(ids(r.prefixIds)).append(',')
                    .append(r.token()).append(',').append(csv(r.tokenText())).append(',')
                    .append(String.format(Locale.ROOT, "%.6g", r.prior())).append(',').append(r.visits()).append(',')
                    .append(Double.isNaN(r.q()) ? "" : String.format(Locale.ROOT, "%.6g", r.q())).append('\n');
        }
        return sb.toString();
    }

    /**
     * JSON: {@code {"rows": [{"depth", "prefix", "prefix_ids", "token", "token_text", "prior", "visits", "q"}]}}
     * ({@code q} is null while unvisited).
     *
     * @return the table as pretty-printed JSON
     */
    public String toJson() {
        ObjectNode root = Json.mapper().createObjectNode();
        ArrayNode arr = root.putArray("rows");
        for (Row r : rows) {
            ObjectNode o = arr.addObject();
            o.put("depth", r.depth());
            o.put("prefix", r.prefix());
            ArrayNode ids = o.putArray("prefix_ids");
            for (long id : r.prefixIds) {
                ids.add(id);
            }
            o.put("token", r.token());
            o.put("token_text", r.tokenText());
            o.put("prior", r.prior());
            o.put("visits", r.visits());
            if (Double.isNaN(r.q())) {
                o.putNull("q");
            } else {
                o.put("q", r.q());
            }
        }
        return root.toPrettyString() + "\n";
    }

    /**
     * Writes the table atomically, as JSON when the file name ends in {@code .json}, else as CSV.
     *
     * @param file the target file
     * @throws IOException if it cannot be written
     */
    public void write(Path file) throws IOException {
        Preconditions.notNull(file, "file");
        String text = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json") ? toJson() : toCsv();
        AtomicFiles.write(file, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static String ids(long[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ids.length; i++) {
            sb.append(i == 0 ? "" : " ").append(ids[i]);
        }
        return sb.toString();
    }

    private static String csv(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }
}
