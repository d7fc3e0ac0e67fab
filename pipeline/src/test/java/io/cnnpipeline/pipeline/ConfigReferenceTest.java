package io.cnnpipeline.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.core.config.ConfigKey;
import io.cnnpipeline.evaluation.EvaluationConfig;
import io.cnnpipeline.ingest.IngestConfig;
import io.cnnpipeline.core.InvalidConfigException;
import io.cnnpipeline.training.zoo.Network;
import io.cnnpipeline.training.TrainingConfig;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Keys are declared once: docs/configuration.md is what {@code cnn-pipeline config --reference} prints from the
 * declarations, every declared key is documented and listed, and the stage builders' defaults are exactly what
 * loading the configuration with nothing set gives.
 */
class ConfigReferenceTest {
    @Test
    void committedReferenceIsCurrent() throws Exception {
        String generated = ConfigReference.markdown();
        String committed = Files.readString(Path.of("../docs/configuration.md"));
        assertEquals(generated, committed, "docs/configuration.md is stale: regenerate it with "
                + "bin/cnn-pipeline config --reference > docs/configuration.md");
    }

    @Test
    void everyDeclaredKeyIsDocumentedAndHasARow() {
        String md = ConfigReference.markdown();
        List<ConfigKey<?>> keys = PipelineConfig.keys();
        assertTrue(keys.size() > 90, keys.toString());
        Set<String> names = new HashSet<>();
        for (ConfigKey<?> k : keys) {
            assertTrue(names.add(k.name()), k.name() + " is declared twice");
            assertFalse(k.doc().isBlank(), k.name() + " has no documentation");
            assertTrue(md.contains("| `" + k.name() + "` |"), k.name() + " has no row");
        }
        assertTrue(md.contains("| `train.epochs` | integer | `2` | Passes over the training split. Valid: must be &gt;= 1. |"),
                "type, default, doc and rule are shown");
        assertTrue(md.contains("| `train.network` | lenet \\| small-cnn"), "enumerated values are listed");
    }

    @Test
    void buildersDefaultsAreTheLoadedDefaults() throws Exception {
        PipelineConfig loaded = PipelineConfig.defaults(null);
        IngestConfig ingest = IngestConfig.builder().build();
        assertEquals(loaded.preprocess(), ingest);

        TrainingConfig train = TrainingConfig.builder().set(TrainingConfig.DATASET, ingest.output())
                .set(TrainingConfig.RUN_ID, loaded.train().runId()).build();
        for (RecordComponent c : TrainingConfig.class.getRecordComponents()) {
            Object a = c.getAccessor().invoke(loaded.train());
            Object b = c.getAccessor().invoke(train);
            if (c.getName().equals("augmentation")) {
                assertEquals(loaded.train().augmentation().steps(), train.augmentation().steps());
                assertEquals(loaded.train().inputSize(), train.inputSize());
            } else {
                assertEquals(a, b, c.getName());
            }
        }
        EvaluationConfig evaluate = EvaluationConfig.builder().set(EvaluationConfig.DATASET, ingest.output())
                .set(EvaluationConfig.RUN_DIR, loaded.evaluate().runDir())
                .set(EvaluationConfig.OUTPUT, loaded.evaluate().output()).build();
        assertEquals(loaded.evaluate(), evaluate);
    }

    @Test
    void buildersValidateWithTheKeysRules() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> TrainingConfig.builder()
                .set(TrainingConfig.DATASET, "d").set(TrainingConfig.EPOCHS, 0).build());
        assertEquals("train.epochs", e.key());
        InvalidConfigException width = assertThrows(InvalidConfigException.class, () -> TrainingConfig.builder()
                .set(TrainingConfig.DATASET, "d").set(TrainingConfig.NETWORK, io.cnnpipeline.training.zoo.Network.ALEXNET)
                .set(TrainingConfig.WIDTH_MULTIPLIER, 2.0).build());
        assertEquals("train.width-multiplier", width.key());
        TrainingConfig wide = TrainingConfig.builder().set(TrainingConfig.DATASET, "d")
                .set(TrainingConfig.NETWORK, Network.RESNET20).set(TrainingConfig.WIDTH_MULTIPLIER, 2.0)
                .set(io.cnnpipeline.augment.AugmentationConfig.INPUT_SIZE, 32).build();
        assertEquals(32, wide.inputSize(), "the default augmentation follows the input size set");
        assertEquals(32, wide.width(16));
    }
}
