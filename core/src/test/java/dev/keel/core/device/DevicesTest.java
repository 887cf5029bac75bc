package dev.keel.core.device;

import ai.djl.Device;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DevicesTest {

    @Test
    void cpuIsAlwaysAvailable() {
        assertThat(Devices.choose("cpu")).isEqualTo(Device.cpu());
        assertThat(Devices.choose(" CPU ")).isEqualTo(Device.cpu());
    }

    @Test
    void badSpecificationsAreNamed() {
        assertThatThrownBy(() -> Devices.choose("tpu")).hasMessageContaining("keel.device must be auto, cpu, gpu or gpu:N, was \"tpu\"");
        assertThatThrownBy(() -> Devices.choose("gpu:x")).hasMessageContaining("\"gpu:x\"");
    }

    @Test
    void autoPicksAGpuOnlyWhenOneIsVisible() {
        Device d = Devices.choose("auto");
        assertThat(d).isEqualTo(Devices.gpuCount() > 0 ? Device.gpu(0) : Device.cpu());
        if (Devices.gpuCount() == 0) {
            assertThatThrownBy(() -> Devices.choose("gpu:0")).hasMessageContaining("0 GPU(s) are visible");
        }
    }

    @Test
    void theLanguageModelWithoutPyTorchNativeNamesTheArtifactToAdd() {
        assertThat(Devices.pyTorchNativePresent()).isTrue();   // the tests bring the CPU jar
        Devices.requirePyTorch("LlamaModel");                    // so this passes
        assertThatThrownBy(() -> Devices.requirePyTorch("LlamaModel", false))
                .isInstanceOf(EngineMissingException.class)
                .isInstanceOf(dev.keel.core.KeelException.class)
                .hasMessageContaining("LlamaModel")
                .hasMessageContaining("ai.djl.pytorch:pytorch-native-cpu:2.7.1:linux-x86_64")
                .hasMessageContaining("PYTORCH_LIBRARY_PATH");
    }
}
