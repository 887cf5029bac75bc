package dev.keel.core.lm.generate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.core.internal.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Compares {@link LmTokenizer} with reference ids of the strings in {@code tokenizer-ids/strings.jsonl}, as
 * {@code tokenizer-ids/tokenizer-ids.mjs ids} writes them (see that folder's README.md).
 */
final class TokenizerIdsCheck {

    /**
     * Where transformers.js is known to depart from the tokenizer's definition, so that a difference there is
     * not Keel's: ECMAScript's {@code \s} matches U+FEFF (ZERO WIDTH NO-BREAK SPACE, in ECMAScript's WhiteSpace),
     * Unicode's White_Space property, which the Rust tokenizers (Oniguruma) and Python's {@code re} use for the
     * pre-tokenizer's {@code \s}, does not: {@code " \uFEFFbom"} is {@code [" \uFEFF", "bom"]} for them and
     * {@code [" ", "\uFEFFbom"]} for transformers.js.
     */
    static final java.util.function.Predicate<String> REFERENCE_DEPARTS = t -> t.indexOf('\uFEFF') >= 0;

    /** Match counts per check, the strings where the reference is known to depart, and the first mismatches. */
    record Result(int strings, int ids, int idsSpecial, int decodedWithSpecial, int decodedSkipping, int roundTrips,
                  int roundTripsExpected, int departing, int departingIdsDiffer, List<String> mismatches) {

        String summary(String name) {
            return String.format("%s: %d strings; ids %d/%d, ids with special tokens %d/%d, decode keeping special "
                            + "tokens %d/%d, decode skipping them %d/%d, round trips %d/%d (of those the reference "
                            + "round-trips); %d strings where transformers.js departs (U+FEFF), ids differ on %d of them",
                    name, strings, ids, strings, idsSpecial, strings, decodedWithSpecial, strings, decodedSkipping,
                    strings, roundTrips, roundTripsExpected, departing, departingIdsDiffer);
        }
    }

    private TokenizerIdsCheck() {
    }

    static List<String> strings(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!line.isEmpty()) {
                out.add(Json.mapper().readTree(line).get("text").asText());
            }
        }
        return out;
    }

    static Result check(Path tokenizerDir, Path stringsFile, Path expectedFile) throws IOException {
        List<String> texts = strings(stringsFile);
        List<String> lines = Files.readAllLines(expectedFile, StandardCharsets.UTF_8).stream()
                .filter(l -> !l.isEmpty()).toList();
        if (lines.size() != texts.size()) {
            throw new AssertionError(expectedFile + " has " + lines.size() + " lines for " + texts.size() + " strings");
        }
        int ids = 0;
        int special = 0;
        int decoded = 0;
        int skipping = 0;
        int roundTrips = 0;
        int roundTripsExpected = 0;
        int departing = 0;
        int departingIdsDiffer = 0;
        List<String> mismatches = new ArrayList<>();
        try (LmTokenizer tok = LmTokenizer.load(tokenizerDir)) {
            for (int i = 0; i < texts.size(); i++) {
                String text = texts.get(i);
                JsonNode e = Json.mapper().readTree(lines.get(i));
                long[] want = longs(e.get("ids"));
                long[] wantSpecial = e.has("ids_special") ? longs(e.get("ids_special")) : want;
                String wantDecoded = e.has("decoded") ? e.get("decoded").asText() : text;
                String wantSkip = e.has("decoded_skip") ? e.get("decoded_skip").asText() : wantDecoded;
                long[] got = tok.encode(text);
                boolean departs = REFERENCE_DEPARTS.test(text);
                departing += departs ? 1 : 0;
                if (Arrays.equals(got, want)) {
                    ids++;
                } else if (departs) {
                    departingIdsDiffer++;
                } else {
                    note(mismatches, i, text, "ids", Arrays.toString(want), Arrays.toString(got));
                }
                long[] gotSpecial = tok.encodeAddingSpecialTokens(text);
                if (Arrays.equals(gotSpecial, wantSpecial)) {
                    special++;
                } else if (!departs) {
                    note(mismatches, i, text, "ids_special", Arrays.toString(wantSpecial), Arrays.toString(gotSpecial));
                }
                // decode the reference ids, so that a decode difference is not an encode difference counted twice
                String d = tok.decodeWithSpecialTokens(want);
                if (d.equals(wantDecoded)) {
                    decoded++;
                } else {
                    note(mismatches, i, text, "decoded", quote(wantDecoded), quote(d));
                }
                String sk = tok.decode(want);
                if (sk.equals(wantSkip)) {
                    skipping++;
                } else {
                    note(mismatches, i, text, "decoded_skip", quote(wantSkip), quote(sk));
                }
                if (wantDecoded.equals(text)) {
                    roundTripsExpected++;
                    if (tok.decodeWithSpecialTokens(got).equals(text)) {
                        roundTrips++;
                    } else {
                        note(mismatches, i, text, "round trip", quote(text), quote(tok.decodeWithSpecialTokens(got)));
                    }
                }
            }
        }
        return new Result(texts.size(), ids, special, decoded, skipping, roundTrips, roundTripsExpected, departing,
                departingIdsDiffer, mismatches);
    }

    private static void note(List<String> mismatches, int i, String text, String what, String want, String got) {
        if (mismatches.size() < 40) {
            mismatches.add("string " + i + " " + quote(text) + ": " + what + " expected " + want + ", Keel " + got);
        }
    }

    private static String quote(String s) {
        String q = Json.mapper().valueToTree(s).toString();
        return q.length() > 160 ? q.substring(0, 160) + "...\"" : q;
    }

    private static long[] longs(JsonNode a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).longValue();
        }
        return out;
    }
}
