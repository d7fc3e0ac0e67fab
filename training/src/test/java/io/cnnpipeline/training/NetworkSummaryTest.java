package io.cnnpipeline.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class NetworkSummaryTest {
    @Test
    void leNetOnFashionMnistHasItsKnownParametersShapesAndFlops() {
        TrainingConfig config = TrainingFixtures.config("/tmp/unused", "r", "nesterov", 0.01, 1, 2, 8, 2, "direct",
                new io.cnnpipeline.preprocessing.augment.AugmentationPipeline(28, List.of()));
        NetworkSummary s = NetworkSummary.of(Networks.build(config, 28, 28, 1, 10), 28, 28, 1);
        assertEquals(431_080, s.parameters());
        assertEquals(List.of("20x24x24", "20x12x12", "50x8x8", "50x4x4", "500", "10"),
                s.rows().stream().map(NetworkSummary.Row::outputShape).toList());
        assertEquals(List.of(520L, 0L, 25_050L, 0L, 400_500L, 5_010L),
                s.rows().stream().map(NetworkSummary.Row::parameters).toList());
        // conv1: 2 x 5x5x1 x 20x24x24 multiply-adds + 20x24x24 biases; conv2: 2 x 5x5x20 x 50x8x8 + 50x8x8
        assertEquals(2L * 25 * 20 * 576 + 20 * 576, s.rows().get(0).flops());
        assertEquals(2L * 25 * 20 * 50 * 64 + 50 * 64, s.rows().get(2).flops());
        assertEquals(2L * 800 * 500 + 500, s.rows().get(4).flops());
        assertEquals(4 * 20 * 144, s.rows().get(1).flops(), "2x2 max pooling: 4 comparisons per output");
        assertTrue(s.render().contains("431,080 parameters"), s.render());
    }
}
