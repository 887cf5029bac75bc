package dev.keel.core.testkit;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.keel.core.lm.LlamaConfig;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.RopeScaling;
import dev.keel.core.lm.safetensors.DType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Random-weight models in each architecture, small (hidden 64, 2 layers, tied embeddings) but with a
 * real tokenizer's vocabulary, written as a Hub model directory next to that tokenizer's files: the
 * plumbing a real checkpoint goes through (config.json as the architecture has it, BF16
 * model.safetensors, tokenizer.json, tokenizer_config.json with its chat template, and a
 * generation_config.json).
 */
public final class RandomHubModels {

    private RandomHubModels() {
    }

    /**
     * The small configuration of one architecture: {@code llama} (Llama 3.1's {@code llama3} rope
     * scaling), {@code qwen2} (q/k/v biases), {@code qwen3} (q/k norm, head_dim 32 with hidden 64) or
     * {@code mistral} (sliding window 16).
     *
     * @param modelType  the architecture
     * @param vocabSize  the tokenizer's vocabulary size
     * @param bosTokenId the BOS id written to config.json, or -1
     * @param eosTokenId the EOS id written to config.json, or -1
     * @return the configuration
     */
    public static LlamaConfig config(String modelType, int vocabSize, int bosTokenId, int eosTokenId) {
        LlamaConfig.Builder b = LlamaConfig.builder().modelType(modelType).vocabSize(vocabSize).hiddenSize(64)
                .intermediateSize(128).numHiddenLayers(2).numAttentionHeads(4).numKeyValueHeads(2)
                .tieWordEmbeddings(true).maxPositionEmbeddings(4096).bosTokenId(bosTokenId).eosTokenId(eosTokenId);
        switch (modelType) {
            case "llama":
                b.ropeTheta(500000).ropeScaling(RopeScaling.llama3(8, 1, 4, 8192)).maxPositionEmbeddings(131072);
                break;
            case "qwen2":
                b.ropeTheta(1000000).attentionBias(true);
                break;
            case "qwen3":
                b.ropeTheta(1000000).qkNorm(true).headDim(32);
                break;
            case "mistral":
                b.ropeTheta(1000000).slidingWindow(16);
                break;
            default:
                throw new IllegalArgumentException("modelType must be llama, qwen2, qwen3 or mistral, was " + modelType);
        }
        return b.build();
    }

    /**
     * Writes a random model of {@code config} (BF16) into {@code dir} with copies of the tokenizer's
     * files and, if not null, a {@code generation_config.json}.
     *
     * @param dir              the model directory to write (created if needed)
     * @param config           the configuration, e.g. from {@link #config}
     * @param seed             the seed of the weights
     * @param tokenizerJson    the {@code tokenizer.json} to copy
     * @param tokenizerConfig  the {@code tokenizer_config.json} to copy, or null for none
     * @param generationConfig the text of {@code generation_config.json}, or null for none
     * @return {@code dir}
     * @throws IOException if a file cannot be written
     */
    public static Path write(Path dir, LlamaConfig config, long seed, Path tokenizerJson, Path tokenizerConfig,
                             String generationConfig) throws IOException {
        Files.createDirectories(dir);
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
             LlamaModel model = LlamaModel.random(config, seed, m)) {
            model.save(dir, DType.BF16, Long.MAX_VALUE);
        }
        Files.copy(tokenizerJson, dir.resolve("tokenizer.json"));
        if (tokenizerConfig != null) {
            Files.copy(tokenizerConfig, dir.resolve("tokenizer_config.json"));
        }
        if (generationConfig != null) {
            Files.writeString(dir.resolve("generation_config.json"), generationConfig, StandardCharsets.UTF_8);
        }
        return dir;
    }

    /**
     * A random Qwen-family model ({@code qwen2} or {@code qwen3}) with Qwen3's real tokenizer and chat
     * template ({@link TinyFixtures#qwen3TokenizerDir()}; Qwen2.5 ships the same tokenizer) and Qwen3's
     * generation_config.json (eos ids 151645 and 151643, sampling at temperature 0.6, top-p 0.95, top-k 20).
     *
     * @param dir       the model directory to write
     * @param modelType {@code qwen2} or {@code qwen3}
     * @param seed      the seed of the weights
     * @return {@code dir}
     * @throws IOException if a file cannot be written
     */
    public static Path qwen(Path dir, String modelType, long seed) throws IOException {
        Path tok = TinyFixtures.qwen3TokenizerDir();
        return write(dir, config(modelType, 151_936, -1, 151_645), seed, tok.resolve("tokenizer.json"),
                tok.resolve("tokenizer_config.json"), QWEN3_GENERATION_CONFIG);
    }

    /** Qwen3-0.6B's generation_config.json. */
    public static final String QWEN3_GENERATION_CONFIG = "{\n  \"bos_token_id\": 151643,\n  \"do_sample\": true,\n"
            + "  \"eos_token_id\": [151645, 151643],\n  \"pad_token_id\": 151643,\n  \"temperature\": 0.6,\n"
            + "  \"top_k\": 20,\n  \"top_p\": 0.95,\n  \"transformers_version\": \"4.51.0\"\n}\n";
}
