package io.cnnpipeline.training.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import org.junit.jupiter.api.Test;

/** The JVM-wide settings are installed once, and the DL4J on the class path is the one the workarounds target. */
class JvmSettingsTest {
    @Test
    void installsEverySettingForTheDl4jReleaseItTargets() {
        JvmSettings.install();
        for (String property : JvmSettings.properties()) {
            assertNotNull(System.getProperty(property), property);
        }
        assertEquals(JvmSettings.DL4J_VERSION, JvmSettings.dl4jVersion(),
                "the build's DL4J is the release the workarounds were written for");
    }
}
