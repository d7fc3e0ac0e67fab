package io.cnnpipeline.training.zoo;

import io.cnnpipeline.training.TrainingFixtures;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.training.TrainingConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class NetworkSummaryTest {
    @Test
    void leNetOnFashionMnistHasItsKnownParametersShapesAndFlops() {
        TrainingConfig config = TrainingFixtures.config("/tmp/unused", "r", "nesterov", 0.01, 1, 2, 8, 2, "direct",
                new io.cnnpipeline.augment.AugmentationPipeline(28, List.of()));
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

    /**
     * ResNet-18/34/50 on ImageNet's 224×224×3 with 1000 classes have torchvision's trainable parameter counts
     * (11,689,512 / 21,797,672 / 25,557,032) plus DL4J's batch-norm running mean and variance (2 per BN channel:
     * 4,800 / 8,512 / 26,560 channels), the ImageNet stem (56×56 after the pooling) and a 7×7 last stage; ResNet-18
     * costs the paper's 1.8 G multiply-adds.
     */
    @Test
    void resNetsHaveThePapersParametersShapesAndCost() {
        TrainingConfig base = TrainingFixtures.config("/tmp/unused", "r", "nesterov", 0.01, 1, 2, 8, 2, "direct",
                new io.cnnpipeline.augment.AugmentationPipeline(224, List.of()));
        long[][] expected = {{11_689_512 + 2 * 4_800}, {21_797_672 + 2 * 8_512}, {25_557_032 + 2 * 26_560}};
        String[] names = {"resnet18", "resnet34", "resnet50"};
        for (int i = 0; i < names.length; i++) {
            TrainingConfig config = TrainingFixtures.with(base, java.util.Map.of("network", names[i]));
            NetworkSummary s = NetworkSummary.of(config, 224, 224, 3, 1000);
            assertEquals(expected[i][0], s.parameters(), names[i]);
            java.util.Map<String, String> shapes = new java.util.HashMap<>();
            s.rows().forEach(r -> shapes.put(r.name(), r.outputShape()));
            assertEquals("64x56x56", shapes.get("stem_pool"), names[i]);
            assertEquals("1000", shapes.get("output"), names[i]);
            String lastStage = names[i].equals("resnet50") ? "2048x7x7" : "512x7x7";
            assertTrue(s.rows().stream().anyMatch(r -> r.name().startsWith("res5") && r.name().endsWith("_relu")
                    && r.outputShape().equals(lastStage)), names[i] + " last stage " + lastStage);
            if (names[i].equals("resnet18")) {
                double gmacs = s.rows().stream().filter(r -> r.type().equals("ConvolutionLayer")
                        || r.type().equals("OutputLayer")).mapToLong(NetworkSummary.Row::flops).sum() / 2e9;
                assertEquals(1.82, gmacs, 0.02, "ResNet-18 multiply-adds (G)");
            }
        }
    }

    /** Small inputs get the CIFAR stem (no pooling): ResNet-20 on 28×28 keeps 28×28 through its first stage. */
    @Test
    void smallInputsGetTheCifarStem() {
        NetworkSummary s = NetworkSummary.of(fashionMnist("resnet20"), 28, 28, 1, 10);
        java.util.Map<String, NetworkSummary.Row> rows = rows(s);
        assertEquals("16x28x28", rows.get("res2c_relu").outputShape());
        assertEquals("32x14x14", rows.get("res3a_relu").outputShape());
        assertEquals("64x7x7", rows.get("res4c_relu").outputShape());
        assertEquals(null, rows.get("stem_pool"));
        // He et al. 2016, Table 6: ResNet-20 has 0.27 M parameters (ours: 1 input channel, projection shortcuts,
        // BN running statistics).
        assertTrue(s.parameters() > 270_000 && s.parameters() < 290_000, "parameters " + s.parameters());
    }

    /**
     * {@code train.width-multiplier} scales every convolution's output channels (MobileNet's α; for resnet20 the
     * Wide ResNet factor k) and leaves dense layers alone: small-cnn's 3×3 convolutions have 9·c_in·c_out weights, so
     * ×2 widths give 4× their parameters, while fc1 keeps 256 units over twice the flattened inputs.
     */
    @Test
    void widthMultiplierScalesConvolutionChannelsOnly() {
        TrainingConfig base = fashionMnist("small-cnn");
        NetworkSummary one = NetworkSummary.of(base, 28, 28, 1, 10);
        NetworkSummary two = NetworkSummary.of(TrainingFixtures.with(base, java.util.Map.of("widthMultiplier", 2.0)),
                28, 28, 1, 10);
        NetworkSummary half = NetworkSummary.of(TrainingFixtures.with(base, java.util.Map.of("widthMultiplier", 1.5)),
                28, 28, 1, 10);
        java.util.Map<String, NetworkSummary.Row> a = rows(one);
        java.util.Map<String, NetworkSummary.Row> b = rows(two);
        assertEquals("32x28x28", a.get("conv1_2").outputShape());
        assertEquals("64x28x28", b.get("conv1_2").outputShape());
        assertEquals("128x7x7", b.get("pool2").outputShape());
        assertEquals("96x14x14", rows(half).get("conv2_2").outputShape(), "1.5 x 64");
        assertEquals(9L * 32 * 32, a.get("conv1_2").parameters(), "bias-free 3x3 convolution");
        assertEquals(4 * a.get("conv1_2").parameters(), b.get("conv1_2").parameters());
        assertEquals(4 * a.get("conv2_2").parameters(), b.get("conv2_2").parameters());
        assertEquals("256", b.get("fc1").outputShape());
        assertEquals(128L * 7 * 7 * 256 + 256, b.get("fc1").parameters());

        java.util.Map<String, NetworkSummary.Row> wrn = rows(NetworkSummary.of(
                TrainingFixtures.with(fashionMnist("resnet20"), java.util.Map.of("widthMultiplier", 4.0)), 28, 28, 1,
                10));
        assertEquals("64x28x28", wrn.get("res2c_relu").outputShape(), "WRN-20-4: 16k");

        java.util.Map<String, NetworkSummary.Row> lenet = rows(NetworkSummary.of(
                TrainingFixtures.with(fashionMnist("lenet"), java.util.Map.of("widthMultiplier", 1.5)), 28, 28, 1, 10));
        assertEquals("30x24x24", lenet.get("conv1").outputShape(), "LeNet's 20 x 1.5");
        assertEquals("75x8x8", lenet.get("conv2").outputShape(), "LeNet's 50 x 1.5");
        assertEquals("500", lenet.get("fc1").outputShape(), "dense layers keep their units");
        assertEquals("256x7x7", wrn.get("res4c_relu").outputShape(), "WRN-20-4: 64k");
    }

    /** A configuration of {@code network} for 28×28 inputs (Fashion-MNIST's size). */
    private static TrainingConfig fashionMnist(String network) {
        return TrainingFixtures.with(TrainingFixtures.config("/tmp/unused", "r", "nesterov", 0.01, 1, 2, 8, 2,
                "direct", new io.cnnpipeline.augment.AugmentationPipeline(28, List.of())),
                java.util.Map.of("network", network));
    }

    /** The summary's rows by layer name. */
    private static java.util.Map<String, NetworkSummary.Row> rows(NetworkSummary s) {
        java.util.Map<String, NetworkSummary.Row> rows = new java.util.HashMap<>();
        s.rows().forEach(r -> rows.put(r.name(), r));
        return rows;
    }
}
