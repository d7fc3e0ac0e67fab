package io.cnnpipeline.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.cnnpipeline.augment.AugmentationPipeline;
import io.cnnpipeline.core.TestSpark;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transfer learning with frozen layers and no learning-rate multipliers: the frozen layers keep their pretrained
 * parameters, the others train (found failing in DL4J's updater rebuild when multipliers were absent).
 */
class TransferFreezeTest {
    @Test
    void freezingWithoutMultipliersTrainsTheRest(@TempDir Path runs) throws Exception {
        AugmentationPipeline aug = new AugmentationPipeline(16, List.of());
        TrainingConfig pretrain = TrainingFixtures.config(runs.toString(), "pretrain", "nesterov", 0.01, 1, 2, 8, 2,
                "direct", aug);
        TrainResult first = TrainingJob.run(TestSpark.get(), pretrain, "");
        String model = Path.of(java.net.URI.create(first.model())).toString();
        for (String freeze : List.of("pool2", "conv2")) {
            TrainingConfig fineTune = TrainingFixtures.with(TrainingFixtures.config(runs.toString(), "freeze-" + freeze,
                    "nesterov", 0.01, 1, 2, 8, 2, "direct", aug), Map.of("transfer",
                    new TrainingConfig.Transfer(model, freeze, true, Map.of())));
            TrainResult tuned = TrainingJob.run(TestSpark.get(), fineTune, "");
            MultiLayerNetwork before = ModelSerializer.restoreMultiLayerNetwork(Path.of(model).toFile(), false);
            MultiLayerNetwork after = ModelSerializer.restoreMultiLayerNetwork(
                    Path.of(java.net.URI.create(tuned.model())).toFile(), false);
            assertEquals(before.getLayer(2).params(), after.getLayer(2).params(), freeze + ": conv2 is frozen");
            assertNotEquals(before.getLayer(4).params(), after.getLayer(4).params(), freeze + ": fc1 trains");
        }
    }
}
