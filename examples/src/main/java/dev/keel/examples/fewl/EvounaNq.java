package dev.keel.examples.fewl;

import dev.keel.core.data.DatasetException;
import dev.keel.fewl.MultiModelRecord;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * The bundled EVOUNA-NQ benchmark (Apache-2.0; Wang, Cheng, et al., "Evaluating Open-QA
 * Evaluation", NeurIPS 2023 Datasets and Benchmarks, arXiv 2305.12421): 3,014 Natural Questions,
 * each answered by five systems ({@link #MODELS}) with a human judgement per answer, in the
 * multi-model benchmark format ({@link MultiModelRecord}). The resource
 * {@code dev/keel/examples/fewl/evouna/nq.jsonl.gz} sits next to its licence, its notice and the
 * script that converted it.
 */
public final class EvounaNq {

    /** The five systems, in file order: DPR+FiD, GPT-3.5, ChatGPT, GPT-4, Bing Chat. */
    public static final List<String> MODELS = List.of("fid", "gpt35", "chatgpt", "gpt4", "newbing");
    /** The resource's path on the class path. */
    public static final String RESOURCE = "/dev/keel/examples/fewl/evouna/nq.jsonl.gz";

    private EvounaNq() {
    }

    /**
     * Loads the bundled questions.
     *
     * @return the 3,014 records, in file order
     * @throws UncheckedIOException if the resource is missing or cannot be read
     * @throws DatasetException     if a line is bad (naming it)
     */
    public static List<MultiModelRecord> load() {
        InputStream raw = EvounaNq.class.getResourceAsStream(RESOURCE);
        if (raw == null) {
            throw new UncheckedIOException(new IOException("resource " + RESOURCE + " is missing from the class path"));
        }
        Path name = Path.of("nq.jsonl.gz");
        List<MultiModelRecord> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(raw), StandardCharsets.UTF_8))) {
            String line;
            long n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                try {
                    out.add(MultiModelRecord.parse(line));
                } catch (IllegalArgumentException e) {
                    throw new DatasetException(name, n, e.getMessage(), e);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
        return out;
    }
}
