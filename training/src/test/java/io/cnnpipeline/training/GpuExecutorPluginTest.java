package io.cnnpipeline.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import org.apache.spark.resource.ResourceInformation;
import org.junit.jupiter.api.Test;

class GpuExecutorPluginTest {
    @Test
    void theExecutorsFirstGpuAddressIsTheDeviceAndTheCpuBuildLeavesNd4jAlone() {
        assertEquals(Optional.of(3), GpuExecutorPlugin.device(Map.of("gpu",
                new ResourceInformation("gpu", new String[] {"3", "4"}))));
        assertEquals(Optional.empty(), GpuExecutorPlugin.device(Map.of()));
        assertEquals(Optional.empty(), GpuExecutorPlugin.device(Map.of("fpga",
                new ResourceInformation("fpga", new String[] {"0"}))));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> GpuExecutorPlugin.device(
                Map.of("gpu", new ResourceInformation("gpu", new String[] {"GPU-8f2a"}))));
        assertTrue(bad.getMessage().contains("discovery script"), bad.getMessage());
        // this build is nd4j-native: nothing to bind, and it says why
        assertTrue(GpuExecutorPlugin.bind(0).contains("not on the classpath"), GpuExecutorPlugin.bind(0));
    }
}
