package io.cnnpipeline.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/configuration.md is what {@code cnn-pipeline config --reference} prints today, and lists every key. */
class ConfigReferenceTest {
    @Test
    void committedReferenceIsCurrent() throws Exception {
        String generated = ConfigReference.markdown();
        String committed = Files.readString(Path.of("../docs/configuration.md"));
        assertEquals(generated, committed, "docs/configuration.md is stale: regenerate it with "
                + "bin/cnn-pipeline config --reference > docs/configuration.md");
    }

    @Test
    void everyResolvedKeyHasARow() {
        String md = ConfigReference.markdown();
        java.util.Set<String> keys = new java.util.TreeSet<>();
        PipelineConfig.defaults(null).raw().entrySet().forEach(e -> keys.add(e.getKey()));
        assertTrue(keys.size() > 100, keys.toString());
        for (String key : keys) {
            assertTrue(md.contains("| `" + key + "` |"), key + " has no row");
        }
        assertTrue(md.contains("| `train.epochs` | `2` |"), "defaults are shown");
    }
}
