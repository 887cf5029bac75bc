package dev.keel.core.data;

import dev.keel.core.Preconditions;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A small RFC 4180 reader: comma-separated fields; a field in double quotes may hold commas, line
 * breaks and doubled quotes ({@code ""}); CRLF or LF ends a record; a final line break is optional.
 * Malformed input (an unterminated quote, text after a closing quote) is an error naming the line.
 */
public final class Csv {

    private Csv() {
    }

    /** Parses {@code text} into records of fields, the header included. */
    public static List<List<String>> parse(String text, String sourceName) throws IOException {
        Preconditions.notNull(text, "text");
        List<List<String>> records = new ArrayList<>();
        List<String> record = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        int n = text.length();
        int i = (n > 0 && text.charAt(0) == '\uFEFF') ? 1 : 0;
        long line = 1;
        boolean atRecordStart = true;
        while (i < n) {
            char c = text.charAt(i);
            if (c == '"' && field.length() == 0) {
                long startLine = line;
                i++;
                while (true) {
                    if (i >= n) {
                        throw new IOException(sourceName + ":" + startLine + ": quoted field is not closed");
                    }
                    char q = text.charAt(i);
                    if (q == '"') {
                        if (i + 1 < n && text.charAt(i + 1) == '"') {
                            field.append('"');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    if (q == '\n') {
                        line++;
                    }
                    field.append(q);
                    i++;
                }
                if (i < n && text.charAt(i) != ',' && text.charAt(i) != '\n' && text.charAt(i) != '\r') {
                    throw new IOException(sourceName + ":" + line + ": unexpected character '" + text.charAt(i) + "' after a closing quote");
                }
                atRecordStart = false;
                continue;
            }
            if (c == ',') {
                record.add(field.toString());
                field.setLength(0);
                atRecordStart = false;
                i++;
            } else if (c == '\r' || c == '\n') {
                record.add(field.toString());
                field.setLength(0);
                records.add(record);
                record = new ArrayList<>();
                atRecordStart = true;
                i += (c == '\r' && i + 1 < n && text.charAt(i + 1) == '\n') ? 2 : 1;
                line++;
            } else {
                field.append(c);
                atRecordStart = false;
                i++;
            }
        }
        if (!atRecordStart) {
            record.add(field.toString());
            records.add(record);
        }
        return records;
    }
}
