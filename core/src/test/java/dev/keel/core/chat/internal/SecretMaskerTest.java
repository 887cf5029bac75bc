package dev.keel.core.chat.internal;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SecretMaskerTest {

    @Test
    void masksEverySecretAndUrlUserInfo() {
        SecretMasker m = SecretMasker.of("sk-abc123", "pw", null, "");
        assertThat(m.mask("key sk-abc123 and pw at http://u:pw@h:80/v1 and https://tok@x/")).isEqualTo(
                "key *** and *** at http://***@h:80/v1 and https://***@x/");
        assertThat(m.maskSecrets("mail me@example.com")).isEqualTo("mail me@example.com");
        assertThat(SecretMasker.redactUserInfo("see http://a:b@host/p, ftp://c@d")).isEqualTo("see http://***@host/p, ftp://***@d");
        assertThat(SecretMasker.redactUserInfo("user@example.com")).isEqualTo("user@example.com");
        assertThat(SecretMasker.none().mask("sk-abc123")).isEqualTo("sk-abc123");
        assertThat(SecretMasker.of("ab", "abcd").mask("xabcdx abx")).as("longest first").isEqualTo("x***x ***x");
    }

    @Test
    void aStreamMaskedPieceByPieceEqualsTheWholeMasked() {
        Random random = new Random(42);
        String alphabet = "ab k-";
        for (int round = 0; round < 5000; round++) {
            List<String> secrets = new ArrayList<>();
            for (int s = 0; s < 1 + random.nextInt(3); s++) {
                secrets.add(randomText(random, alphabet, 1 + random.nextInt(5)));
            }
            SecretMasker m = SecretMasker.of(secrets.toArray(String[]::new));
            String text = randomText(random, alphabet, random.nextInt(40));
            SecretMasker.Stream stream = m.stream();
            StringBuilder out = new StringBuilder();
            int i = 0;
            while (i < text.length()) {
                int j = Math.min(text.length(), i + random.nextInt(6));
                out.append(stream.push(text.substring(i, j)));
                i = j;
            }
            out.append(stream.flush());
            assertThat(out.toString()).as("secrets %s, text \"%s\"", secrets, text).isEqualTo(m.maskSecrets(text));
        }
    }

    private static String randomText(Random random, String alphabet, int length) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < length; i++) {
            b.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return b.toString();
    }

    @Test
    void sseDecoderSplitsEventsWhateverTheChunking() throws Exception {
        String stream = ": hi\r\ndata: a\r\ndata: b\r\n\r\nevent: x\ndata: Grüße\n\ndata:c\r\rdata: [DONE]\r\r";
        byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
        Random random = new Random(7);
        for (int round = 0; round < 200; round++) {
            List<String> events = new ArrayList<>();
            SseDecoder d = new SseDecoder(events::add);
            int i = 0;
            while (i < bytes.length) {
                int j = Math.min(bytes.length, i + 1 + random.nextInt(5));
                d.feed(ByteBuffer.wrap(bytes, i, j - i));
                i = j;
            }
            d.finish();
            assertThat(events).containsExactly("a\nb", "Grüße", "c", "[DONE]");
        }
        SseDecoder bad = new SseDecoder(e -> { });
        assertThatThrownBy(() -> bad.feed(ByteBuffer.wrap(new byte[] {'d', (byte) 0xC3, '\n'})))
                .isInstanceOf(SseDecoder.InvalidTextException.class).hasMessageContaining("line 1");
    }
}
