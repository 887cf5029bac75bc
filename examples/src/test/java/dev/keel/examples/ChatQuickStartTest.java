package dev.keel.examples;

import dev.keel.core.testkit.OpenAiTestServer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChatQuickStartTest {

    @Test
    void asksTheEndpointOnceAndReturnsItsReply() throws Exception {
        try (OpenAiTestServer server = OpenAiTestServer.judge()) {
            String reply = ChatQuickStart.ask(server.baseUrl(), "loopback");
            assertThat(reply).isEqualTo("#reason: default.\n#score: 4");
            assertThat(server.count()).isEqualTo(1);
        }
    }

    @Test
    void aBlankModelNameIsRefused() {
        assertThatThrownBy(() -> ChatQuickStart.ask("http://127.0.0.1:1/v1", " "))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("model");
    }

    @Test
    void aBaseUrlThatIsNotHttpIsRefused() {
        assertThatThrownBy(() -> ChatQuickStart.ask("ftp://example.org/v1", "m"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ftp://example.org/v1");
    }
}
