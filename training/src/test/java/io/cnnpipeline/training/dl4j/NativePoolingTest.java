package io.cnnpipeline.training.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.cpu.nativecpu.ops.NativeOpExecutioner;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Pooling through {@link NativePooling} (libnd4j's kernels) gives oneDNN's results: the same forward outputs and
 * gradients for max and average pooling, NCHW, with and without padding, on random (tie-free) inputs.
 */
class NativePoolingTest {
    @BeforeAll
    static void install() {
        LayerHelpers.enable();
    }

    @Test
    void layerHelpersInstallItOnTheCpuBackend() {
        assertTrue(NativePooling.installed());
        NativePooling.install();   // idempotent
        assertTrue(NativePooling.installed());
    }

    @Test
    void maxAndAveragePoolingMatchOneDnn() {
        Nd4j.getRandom().setSeed(7);
        // {kernel, stride, padding, same mode}: LeNet's 2x2/2, ResNet's 3x3/2 stem pooling with padding 1
        int[][] settings = {{2, 2, 0, 0}, {3, 2, 1, 0}, {3, 2, 0, 1}};
        NativeOpExecutioner oneDnn = new NativeOpExecutioner();
        for (String pool : new String[] {"maxpool2d", "avgpool2d"}) {
            for (int[] s : settings) {
                INDArray x = Nd4j.rand(new long[] {4, 6, 13, 13});
                int[] args = {s[0], s[0], s[1], s[1], s[2], s[2], 1, 1, s[3], 0, 0};
                INDArray ours = Nd4j.exec(DynamicCustomOp.builder(pool).addInputs(x).addIntegerArguments(args)
                        .build())[0];
                INDArray theirs = oneDnn.exec(DynamicCustomOp.builder(pool).addInputs(x).addIntegerArguments(args)
                        .build())[0];
                assertEquals(theirs, ours, pool + " " + java.util.Arrays.toString(s));
                INDArray eps = Nd4j.rand(ours.shape());
                INDArray gradOurs = Nd4j.exec(DynamicCustomOp.builder(pool + "_bp").addInputs(x, eps)
                        .addIntegerArguments(args).build())[0];
                INDArray gradTheirs = oneDnn.exec(DynamicCustomOp.builder(pool + "_bp").addInputs(x, eps)
                        .addIntegerArguments(args).build())[0];
                assertTrue(gradTheirs.equalsWithEps(gradOurs, 1e-6), pool + "_bp " + java.util.Arrays.toString(s));
                assertTrue(gradOurs.sumNumber().doubleValue() > 0, "a gradient flowed");
            }
        }
    }
}
