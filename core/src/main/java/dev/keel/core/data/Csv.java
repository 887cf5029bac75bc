package dev.keel.core.data;

import dev.keel.core.internal.Preconditions;

import java.util.ArrayList;
import java.util.List;

/**
 * A small RFC 4180 CSV reader and writer: comma-separated fields, records ended by CRLF or LF,
 * fields in double quotes may hold commas, quotes (doubled: {@code ""}) and line breaks. A final
 * line break is optional, and blank lines after the last record are ignored (an editor's trailing
 * newline); a blank line between records is a record of one empty field, which
 * {@link #parseWithHeader(String, List)} refuses (naming the line) wherever the header has more
 * than one field. Malformed input (a quote inside an unquoted field, text after a closing
 * quote, an unterminated quote) is an {@link IllegalArgumentException} naming the line.
 */
public final class Csv {

    private Csv() {
    }

    /**
     * Parses {@code text} into records of fields. A leading byte-order mark is ignored.
     *
     * @param text the CSV text
     * @return the records, each a list of its fields
     */
    public static List<List<String>> parse(String text) {
        return parse(text, new ArrayList<>());
    }

    /** {@link #parse(String)}, adding to {@code lines} the line each record starts on (1-based). */
    private static List<List<String>> parse(String text, List<Integer> lines) {
        Preconditions.notNull(text, "text");
        List<List<String>> records = new ArrayList<>();
        int n = text.length();
        int i = text.startsWith("\uFEFF") ? 1 : 0;
        int line = 1;
        if (i >= n) {
            return records;
        }
        List<String> record = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        int recordLine = line;
        while (true) {
            // At the start of a field.
            if (i < n && text.charAt(i) == '"') {
                int openLine = line;
                i++;
                while (true) {
                    if (i >= n) {
                        throw new IllegalArgumentException("line " + openLine + ": unterminated quoted field");
                    }
                    char c = text.charAt(i);
                    if (c == '"') {
                        if (i + 1 < n && text.charAt(i + 1) == '"') {
                            field.append('"');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    if (c == '\n') {
                        line++;
                    }
                    field.append(c);
                    i++;
                }
                if (i < n && !isDelimiter(text, i)) {
                    throw new IllegalArgumentException("line " + line + ": unexpected character '" + text.charAt(i)
                            + "' after a closing quote");
                }
            } else {
                while (i < n && !isDelimiter(text, i)) {
                    char c = text.charAt(i);
                    if (c == '"') {
                        throw new IllegalArgumentException("line " + line + ": quote inside an unquoted field");
                    }
                    field.append(c);
                    i++;
                }
            }
            record.add(field.toString());
            field.setLength(0);
            if (i >= n) {
                records.add(record);
                lines.add(recordLine);
                return records;
            }
            char c = text.charAt(i);
            if (c == ',') {
                i++;
                continue;
            }
            // End of record: CRLF or LF (or a lone CR).
            i += (c == '\r' && i + 1 < n && text.charAt(i + 1) == '\n') ? 2 : 1;
            line++;
            records.add(record);
            lines.add(recordLine);
            record = new ArrayList<>();
            recordLine = line;
            if (onlyLineBreaks(text, i)) {
                return records;    // the end, or blank lines after the last record (an editor's final newline)
            }
        }
    }

    private static boolean onlyLineBreaks(String text, int from) {
        for (int k = from; k < text.length(); k++) {
            char c = text.charAt(k);
            if (c != '\n' && c != '\r') {
                return false;
            }
        }
        return true;
    }

    private static boolean isDelimiter(String text, int i) {
        char c = text.charAt(i);
        return c == ',' || c == '\n' || c == '\r';
    }

    /**
     * Parses {@code text}, checks its header row and each record's width, and returns the records after the header.
     *
     * @param expectedHeader the header row the text must start with, field for field
     * @param text the CSV text, header row first
     * @return the records after the header row
     */
    public static List<List<String>> parseWithHeader(String text, List<String> expectedHeader) {
        List<Integer> lines = new ArrayList<>();
        List<List<String>> all = parse(text, lines);
        if (all.isEmpty()) {
            throw new IllegalArgumentException("empty CSV, expected header " + expectedHeader);
        }
        if (!all.get(0).equals(expectedHeader)) {
            throw new IllegalArgumentException("CSV header must be " + expectedHeader + ", was " + all.get(0));
        }
        List<List<String>> rows = all.subList(1, all.size());
        for (int r = 0; r < rows.size(); r++) {
            List<String> row = rows.get(r);
            if (row.size() != expectedHeader.size()) {
                boolean blank = row.size() == 1 && row.get(0).isEmpty();
                throw new IllegalArgumentException("CSV line " + lines.get(r + 1) + (blank ? " is blank" : " has " + row.size()
                        + " fields") + ", expected " + expectedHeader.size() + " fields");
            }
        }
        return List.copyOf(rows);
    }

    /**
     * Quotes {@code field} if it holds a comma, quote, line break, leading/trailing space, or starts with a byte-order mark.
     *
     * @param field the field to write
     * @return the field as it is, or in double quotes with inner quotes doubled
     */
    public static String quote(String field) {
        Preconditions.notNull(field, "field");
        boolean needs = !field.isEmpty() && (field.charAt(0) == '\uFEFF' || field.indexOf(',') >= 0 || field.indexOf('"') >= 0 || field.indexOf('\n') >= 0
                || field.indexOf('\r') >= 0 || Character.isWhitespace(field.charAt(0))
                || Character.isWhitespace(field.charAt(field.length() - 1)));
        return needs ? '"' + field.replace("\"", "\"\"") + '"' : field;
    }

    /**
     * One record as a CSV line ending in LF (the reader accepts LF and CRLF alike). A record of one
     * empty field is written {@code ""}, never as a blank line (which the reader ignores after the last record).
     *
     * @param fields the record's fields, in order
     * @return one record as a CSV line ending in LF (the reader accepts LF and CRLF alike)
     */
    public static String line(List<String> fields) {
        StringBuilder b = new StringBuilder();
        if (fields.size() == 1 && fields.get(0).isEmpty()) {
            // a lone empty field is written quoted: a blank line would read as no record at the end of a file
            return "\"\"\n";
        }
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) {
                b.append(',');
            }
            b.append(quote(fields.get(i)));
        }
        return b.append('\n').toString();
    }
}
