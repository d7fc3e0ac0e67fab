package io.cnnpipeline.core;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The build's versions reach provenance, manifests and model cards (they read "unknown" when the file is lost). */
class BuildInfoTest {
    @Test
    void versionsComeFromTheBuild() {
        assertTrue(BuildInfo.version().matches("\\d+\\.\\d+\\.\\d+.*"), BuildInfo.version());
        assertTrue(BuildInfo.dl4jVersion().startsWith("1.0.0"), BuildInfo.dl4jVersion());
    }
}
