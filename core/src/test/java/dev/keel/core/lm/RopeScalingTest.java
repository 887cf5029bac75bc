package dev.keel.core.lm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.core.internal.Json;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** {@link RopeScaling}'s dynamic NTK and YaRN frequencies, and what it reads from config.json and refuses. */
class RopeScalingTest {

    private static JsonNode json(String text) throws IOException {
        return Json.mapper().readTree(text);
    }

    /**
     * transformers 5.17's {@code _compute_yarn_parameters} for head_dim 64, rope_theta 1e7, factor 1.5625,
     * original_max_position_embeddings 262144 and the defaults (beta 32/1, truncate): the attention factor and
     * the first 25 inverse frequencies, as that function printed them (a third party's recorded output; Keel's
     * float32 values agree to float32 precision).
     */
    @Test
    void yarnMatchesTransformersOutput() {
        double[] want = {1.000000000e+00, 6.042963862e-01, 3.651741445e-01, 2.206733972e-01, 1.333521456e-01,
                8.058421314e-02, 4.869675264e-02, 2.942727320e-02, 1.778279431e-02, 1.074607857e-02, 6.493816618e-03,
                3.924189601e-03, 2.371373819e-03, 1.433012658e-03, 8.659643354e-04, 4.997506621e-04, 2.877672960e-04,
                1.652974315e-04, 9.469212091e-05, 5.408186553e-05, 3.078384179e-05, 1.745583177e-05, 9.855529242e-06,
                5.955661436e-06, 3.598984449e-06};
        RopeScaling yarn = RopeScaling.yarn(1.5625, 262144);
        assertThat(yarn.attentionFactor()).isCloseTo(1.044628710262842, within(1e-15));
        float[] got = yarn.inverseFrequencies(1e7, 64);
        assertThat(got).hasSize(32);
        for (int i = 0; i < want.length; i++) {
            assertThat((double) got[i]).as("inv_freq[%d]", i).isCloseTo(want[i], within(want[i] * 3e-7));
        }
    }

    @Test
    void yarnKeepsFastDimensionsAndInterpolatesSlowOnes() {
        // head_dim 16, theta 1e4, original 32: beta_fast 32 -> dimension -1.6 (floor 0 after the clamp), beta_slow 1
        // -> 1.41 (ceil 2): pair 0 kept, pair 1 half way, pairs 2.. divided by the factor
        RopeScaling yarn = RopeScaling.yarn(4, 32);
        float[] plain = RopeScaling.NONE.inverseFrequencies(1e4, 16);
        float[] got = yarn.inverseFrequencies(1e4, 16);
        assertThat(got[0]).isEqualTo(plain[0]);
        assertThat((double) got[1]).isCloseTo((plain[1] + plain[1] / 4.0) / 2, within(1e-7));
        for (int i = 2; i < 8; i++) {
            assertThat((double) got[i]).isCloseTo(plain[i] / 4.0, within(plain[i] * 1e-6));
        }
        assertThat(yarn.attentionFactor()).isCloseTo(0.1 * Math.log(4) + 1, within(1e-15));
        // truncate false keeps the fractional range: pair 1 is then (1 - 0) / (1.41 - 0) of the way
        RopeScaling untruncated = RopeScaling.yarn(4, 32, 1.0, 32, 1, false);
        double high = 16 * Math.log(32 / (2 * Math.PI)) / (2 * Math.log(1e4));
        double ramp = 1 / high;
        assertThat((double) untruncated.inverseFrequencies(1e4, 16)[1])
                .isCloseTo(plain[1] / 4.0 * ramp + plain[1] * (1 - ramp), within(1e-7));
    }

    @Test
    void dynamicIsPlainUpToMaxPositionsAndGrowsTheBaseBeyond() {
        RopeScaling dyn = RopeScaling.dynamic(2);
        float[] plain = RopeScaling.NONE.inverseFrequencies(1e4, 16);
        assertThat(dyn.inverseFrequencies(1e4, 16, 16, 16)).containsExactly(plain);
        assertThat(dyn.inverseFrequencies(1e4, 16)).containsExactly(plain);
        // L = 40, max 16, factor 2: base = 1e4 * (2 * 40 / 16 - 1)^(16 / 14) = 1e4 * 4^(8/7)
        float[] grown = dyn.inverseFrequencies(1e4, 16, 16, 40);
        double base = 1e4 * Math.pow(4, 16.0 / 14);
        for (int i = 0; i < 8; i++) {
            double want = 1 / Math.pow(base, 2.0 * i / 16);
            assertThat((double) grown[i]).isCloseTo(want, within(want * 1e-6));
        }
        assertThat(dyn.attentionFactor()).isEqualTo(1.0);
        assertThat(dyn.contextLength(16)).isEqualTo(Integer.MAX_VALUE);
        assertThat(RopeScaling.yarn(4, 32768).contextLength(32768)).isEqualTo(131072);
        assertThat(RopeScaling.linear(4).contextLength(4096)).isEqualTo(4096);
    }

    @Test
    void readsBothSpellingsWithTransformersDefaults() throws IOException {
        JsonNode scaling = json("{\"type\": \"yarn\", \"factor\": 4.0, \"original_max_position_embeddings\": 32768}");
        JsonNode params = json("{\"rope_type\": \"yarn\", \"rope_theta\": 1e6, \"factor\": 4.0, "
                + "\"original_max_position_embeddings\": 32768, \"beta_fast\": 0, \"truncate\": true}");
        RopeScaling a = RopeScaling.fromJson("rope_scaling", scaling, 32768, 0);
        assertThat(a).isEqualTo(RopeScaling.yarn(4, 32768));
        assertThat(RopeScaling.fromJson("rope_parameters", params, 32768, 0)).isEqualTo(a);
        // original_max_position_embeddings: the top-level field, else max_position_embeddings
        JsonNode bare = json("{\"rope_type\": \"yarn\", \"factor\": 2.0}");
        assertThat(RopeScaling.fromJson("rope_scaling", bare, 4096, 1024).originalMaxPositionEmbeddings()).isEqualTo(1024);
        assertThat(RopeScaling.fromJson("rope_scaling", bare, 4096, 0).originalMaxPositionEmbeddings()).isEqualTo(4096);
        // mscale / mscale_all_dim (DeepSeek style), and an explicit attention_factor wins over both
        JsonNode ds = json("{\"rope_type\": \"yarn\", \"factor\": 40, \"original_max_position_embeddings\": 4096, "
                + "\"mscale\": 1.0, \"mscale_all_dim\": 0.707}");
        double m = 0.1 * Math.log(40) + 1;
        double mAll = 0.1 * 0.707 * Math.log(40) + 1;
        assertThat(RopeScaling.fromJson("rope_scaling", ds, 163840, 0).attentionFactor()).isCloseTo(m / mAll, within(1e-15));
        JsonNode explicit = json("{\"rope_type\": \"yarn\", \"factor\": 40, \"attention_factor\": 1.25, "
                + "\"original_max_position_embeddings\": 4096, \"mscale\": 1.0, \"mscale_all_dim\": 0.707}");
        assertThat(RopeScaling.fromJson("rope_scaling", explicit, 163840, 0).attentionFactor()).isEqualTo(1.25);
        assertThat(RopeScaling.fromJson("rope_scaling", json("{\"type\": \"dynamic\", \"factor\": 2}")))
                .isEqualTo(RopeScaling.dynamic(2));
    }

    @Test
    void refusesWhatItDoesNotComputeNamingFieldAndValue() throws IOException {
        assertThatThrownBy(() -> RopeScaling.fromJson("rope_scaling", json("{\"rope_type\": \"yarn\", \"factor\": 4, "
                + "\"original_max_position_embeddings\": 64, \"extrapolation_factor\": 1}"), 64, 0))
                .hasMessageContaining("rope_scaling.extrapolation_factor (1) is not supported for rope_type yarn");
        assertThatThrownBy(() -> RopeScaling.fromJson("rope_parameters", json("{\"rope_type\": \"yarn\", \"factor\": 4, "
                + "\"truncate\": \"no\"}"), 64, 0)).hasMessageContaining("rope_parameters.truncate must be true or false, was \"no\"");
        assertThatThrownBy(() -> RopeScaling.fromJson("rope_scaling", json("{\"rope_type\": \"yarn\", \"factor\": 0.5}"),
                64, 0)).hasMessageContaining("factor must be >= 1, was 0.5");
        assertThatThrownBy(() -> RopeScaling.fromJson("rope_scaling", json("{\"type\": \"dynamic\", \"factor\": \"2\"}"),
                64, 0)).hasMessageContaining("rope_scaling.factor must be a number, was \"2\"");
        assertThatThrownBy(() -> RopeScaling.fromJson("rope_scaling", json("{\"type\": \"dynamic\"}"), 64, 0))
                .hasMessageContaining("rope_scaling.factor is missing");
        assertThatThrownBy(() -> RopeScaling.fromJson("rope_scaling", json("{\"rope_type\": \"yarn\", \"factor\": 4, "
                + "\"beta_fast\": 1, \"beta_slow\": 2}"), 64, 0)).hasMessageContaining("beta_fast (1.0) must not be below beta_slow (2.0)");
        assertThatThrownBy(() -> RopeScaling.fromJson("rope_scaling", json("{\"rope_type\": \"yarn\", \"factor\": 4, "
                + "\"attention_factor\": -1}"), 64, 0)).hasMessageContaining("attention_factor must be > 0, was -1.0");
        assertThatThrownBy(() -> RopeScaling.fromJson("rope_scaling", json("{\"rope_type\": \"yarn\", \"factor\": 4, "
                + "\"original_max_position_embeddings\": 64}"), 256, 128))
                .hasMessageContaining("original_max_position_embeddings (64) and the top-level original_max_position_embeddings (128) disagree");
        assertThatThrownBy(() -> RopeScaling.fromJson("rope_scaling", json("{\"rope_type\": \"yarn\", \"factor\": 4, "
                + "\"original_max_position_embeddings\": 12.5}"), 64, 0))
                .hasMessageContaining("original_max_position_embeddings must be a positive integer, was 12.5");
        assertThatThrownBy(() -> RopeScaling.fromJson("rope_scaling", json("{\"rope_type\": \"yarn\", \"factor\": 4}")))
                .hasMessageContaining("rope_scaling.original_max_position_embeddings is missing");
        assertThatThrownBy(() -> RopeScaling.fromJson("rope_scaling", json("{\"rope_type\": \"longrope\", \"factor\": 4}")))
                .hasMessageContaining("rope_scaling.rope_type \"longrope\" is not supported");
        assertThatThrownBy(() -> RopeScaling.dynamic(2).inverseFrequencies(1e4, 2, 16, 40))
                .hasMessageContaining("head_dim > 2, was 2");
    }
}
