package io.cnnpipeline.training.zoo;

import io.cnnpipeline.core.config.ConfigEnum;
import java.util.ArrayList;
import java.util.List;

/**
 * The network zoo ({@code train.network}): every network this project builds, with what the rest of the code needs to
 * know about it. Sequential networks are DL4J {@code MultiLayerNetwork}s built by {@link Networks}; graphs are
 * {@code ComputationGraph}s built by {@link GraphNetworks}. {@code cnn-pipeline network} prints layers, output shapes,
 * parameters and FLOPs.
 */
public enum Network implements ConfigEnum {
    /** LeCun et al. 1998, with ReLU and max pooling. */
    LENET(false, true),
    /** VGG-style 3×3 stacks with batch norm, for 28–32 px inputs. */
    SMALL_CNN(false, true),
    /** Krizhevsky et al. 2012 (one-tower, with batch norm in place of local response normalization). */
    ALEXNET(false, false),
    /** Simonyan and Zisserman 2015, configuration A, with batch norm. */
    VGG11(false, true),
    /** Simonyan and Zisserman 2015, configuration D, with batch norm. */
    VGG16(false, true),
    /** He et al. 2016, the CIFAR ResNet (3 stages × 3 basic blocks); width multiplier = WRN-20-k's k. */
    RESNET20(true, true),
    /** He et al. 2016, basic blocks {2, 2, 2, 2}. */
    RESNET18(true, false),
    /** He et al. 2016, basic blocks {3, 4, 6, 3}. */
    RESNET34(true, false),
    /** He et al. 2016, bottleneck blocks {3, 4, 6, 3}. */
    RESNET50(true, false),
    /** Szegedy et al. 2016 style: factorized 1×N / N×1 convolutions. */
    INCEPTION_SMALL(true, false);

    private final boolean graph;
    private final boolean widthScalable;

    Network(boolean graph, boolean widthScalable) {
        this.graph = graph;
        this.widthScalable = widthScalable;
    }

    /** Whether it is a {@code ComputationGraph} (else a {@code MultiLayerNetwork}). */
    public boolean graph() {
        return graph;
    }

    /** Whether {@code train.width-multiplier} may scale its convolution widths. */
    public boolean widthScalable() {
        return widthScalable;
    }

    /** The identifiers of the networks whose {@link #widthScalable()} is {@code scalable}. */
    public static List<String> widthScalable(boolean scalable) {
        List<String> out = new ArrayList<>();
        for (Network n : values()) {
            if (n.widthScalable == scalable) {
                out.add(n.id());
            }
        }
        return out;
    }
}
