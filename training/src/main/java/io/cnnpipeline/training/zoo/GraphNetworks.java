package io.cnnpipeline.training.zoo;

import io.cnnpipeline.training.TrainingConfig;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The networks with branches, as DL4J {@code ComputationGraph}s: residual networks (He et al. 2016, "Deep Residual
 * Learning for Image Recognition") and an Inception-style network with factorized convolutions (Szegedy et al. 2016,
 * "Rethinking the Inception Architecture", Fig. 6). Inputs are NCHW float32, outputs softmax probabilities; every
 * layer and vertex is named ({@code input}, {@code stem_conv}, {@code res3a_conv1}, …, {@code avgpool}, {@code output}).
 *
 * <p>Stems follow the input size: inputs of at least {@value #IMAGENET_STEM_MIN_SIZE} pixels get the ImageNet stem
 * (7×7/2 convolution, 3×3/2 max pooling: 224 → 56), smaller ones (CIFAR, Fashion-MNIST) a 3×3/1 convolution without
 * pooling, as in the paper's CIFAR-10 experiments (§4.2). Convolutions are bias-free and followed by batch
 * normalization; shortcuts are identities, or 1×1 projections with batch normalization where the shape changes
 * (option B). DL4J's zoo ({@code deeplearning4j-zoo}) is not used: it has ResNet-50 only (no 18/34), with fixed
 * ImageNet input shapes and no small-input stem.
 */
final class GraphNetworks {
    /** Input side from which the ImageNet stem (7×7/2 conv + 3×3/2 max pool) is used, in pixels. */
    static final int IMAGENET_STEM_MIN_SIZE = 128;

    private GraphNetworks() {
    }

    static ComputationGraphConfiguration build(NeuralNetConfiguration.Builder base, TrainingConfig config, int height,
                                               int width, int channels, int classes) {
        String network = config.network().id();
        ComputationGraphConfiguration.GraphBuilder g = base.convolutionMode(ConvolutionMode.Same).graphBuilder()
                .addInputs("input").setInputTypes(InputType.convolutional(height, width, channels));
        boolean imagenet = Math.min(height, width) >= IMAGENET_STEM_MIN_SIZE;
        String last = switch (network) {
            // CIFAR ResNet-20 (§4.2): 3 stages of 3 basic blocks, 16/32/64 filters, no pooling stem.
            // train.width-multiplier k widens every convolution: WRN-20-k (Zagoruyko & Komodakis 2016).
            case "resnet20" -> resnet(g, stem(g, config.width(16), false), new int[] {3, 3, 3},
                    new int[] {config.width(16), config.width(32), config.width(64)}, false);
            case "resnet18" -> resnet(g, stem(g, 64, imagenet), new int[] {2, 2, 2, 2}, new int[] {64, 128, 256, 512},
                    false);
            case "resnet34" -> resnet(g, stem(g, 64, imagenet), new int[] {3, 4, 6, 3}, new int[] {64, 128, 256, 512},
                    false);
            case "resnet50" -> resnet(g, stem(g, 64, imagenet), new int[] {3, 4, 6, 3}, new int[] {64, 128, 256, 512},
                    true);
            case "inception-small" -> inception(g, stem(g, 32, imagenet), Math.min(height, width));
            default -> throw new IllegalArgumentException("Cannot build network: unknown name " + network);
        };
        g.addLayer("avgpool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), last);
        g.addLayer("output", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(classes)
                .activation(Activation.SOFTMAX).weightInit(WeightInit.XAVIER).build(), "avgpool");
        return g.setOutputs("output").build();
    }

    private static String stem(ComputationGraphConfiguration.GraphBuilder g, int filters, boolean imagenet) {
        if (imagenet) {
            String x = convBn(g, "stem", "input", filters, 7, 7, 2, true);
            g.addLayer("stem_pool", new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(3, 3)
                    .stride(2, 2).build(), x);
            return "stem_pool";
        }
        return convBn(g, "stem", "input", filters, 3, 3, 1, true);
    }

    /**
     * Stages of residual blocks; the first block of every stage but the first halves the spatial size (stride 2).
     * Basic blocks are two 3×3 convolutions; bottleneck blocks 1×1 (width), 3×3 (width), 1×1 (4 × width).
     */
    private static String resnet(ComputationGraphConfiguration.GraphBuilder g, String in, int[] blocks, int[] widths,
                                 boolean bottleneck) {
        String x = in;
        int channels = widths[0];   // the stem's output channels
        for (int s = 0; s < blocks.length; s++) {
            for (int b = 0; b < blocks[s]; b++) {
                String name = "res" + (s + 2) + (char) ('a' + b);
                int stride = s > 0 && b == 0 ? 2 : 1;
                int out = bottleneck ? 4 * widths[s] : widths[s];
                String body;
                if (bottleneck) {
                    body = convBn(g, name + "_1", x, widths[s], 1, 1, 1, true);
                    body = convBn(g, name + "_2", body, widths[s], 3, 3, stride, true);
                    body = convBn(g, name + "_3", body, out, 1, 1, 1, false);
                } else {
                    body = convBn(g, name + "_1", x, widths[s], 3, 3, stride, true);
                    body = convBn(g, name + "_2", body, out, 3, 3, 1, false);
                }
                String shortcut = stride != 1 || channels != out
                        ? convBn(g, name + "_proj", x, out, 1, 1, stride, false) : x;
                g.addVertex(name + "_add", new ElementWiseVertex(ElementWiseVertex.Op.Add), body, shortcut);
                g.addLayer(name + "_relu", new ActivationLayer.Builder().activation(Activation.RELU).build(),
                        name + "_add");
                x = name + "_relu";
                channels = out;
            }
        }
        return x;
    }

    /**
     * Two Inception-style stages with factorized n×1 / 1×n convolutions (n = 3 below 64 pixels, else 7), each a
     * concatenation of four branches (1×1; 1×1 → 1×n → n×1; 1×1 → 1×n → n×1 → 1×n → n×1; 3×3 average pool → 1×1),
     * separated by a 2×2 max pooling.
     */
    private static String inception(ComputationGraphConfiguration.GraphBuilder g, String in, int size) {
        int n = size < 64 ? 3 : 7;
        String x = inceptionBlock(g, "mixed1", in, 32, n);
        g.addLayer("pool1", new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2)
                .stride(2, 2).build(), x);
        x = inceptionBlock(g, "mixed2", "pool1", 64, n);
        g.addLayer("pool2", new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2)
                .stride(2, 2).build(), x);
        return inceptionBlock(g, "mixed3", "pool2", 96, n);
    }

    private static String inceptionBlock(ComputationGraphConfiguration.GraphBuilder g, String name, String in,
                                         int width, int n) {
        List<String> branches = new ArrayList<>();
        branches.add(convBn(g, name + "_b1", in, width, 1, 1, 1, true));
        String b2 = convBn(g, name + "_b2_1x1", in, width, 1, 1, 1, true);
        b2 = convBn(g, name + "_b2_1x" + n, b2, width, 1, n, 1, true);
        branches.add(convBn(g, name + "_b2_" + n + "x1", b2, width, n, 1, 1, true));
        String b3 = convBn(g, name + "_b3_1x1", in, width, 1, 1, 1, true);
        b3 = convBn(g, name + "_b3_1x" + n + "a", b3, width, 1, n, 1, true);
        b3 = convBn(g, name + "_b3_" + n + "x1a", b3, width, n, 1, 1, true);
        b3 = convBn(g, name + "_b3_1x" + n + "b", b3, width, 1, n, 1, true);
        branches.add(convBn(g, name + "_b3_" + n + "x1b", b3, width, n, 1, 1, true));
        g.addLayer(name + "_b4_pool", new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.AVG).kernelSize(3, 3)
                .stride(1, 1).build(), in);
        branches.add(convBn(g, name + "_b4", name + "_b4_pool", width, 1, 1, 1, true));
        g.addVertex(name, new MergeVertex(), branches.toArray(new String[0]));
        return name;
    }

    /**
     * A bias-free convolution named {@code <name>_conv}, its batch normalization {@code <name>_bn} and, with
     * {@code relu}, a ReLU {@code <name>_relu} as a layer of its own: DL4J 1.0.0-M2's BatchNormalization does not
     * apply the activation it is configured with (BatchNormActivationTest), so a ReLU there would silently be none.
     */
    private static String convBn(ComputationGraphConfiguration.GraphBuilder g, String name, String in, int filters,
                                 int kh, int kw, int stride, boolean relu) {
        g.addLayer(name + "_conv", new ConvolutionLayer.Builder(kh, kw).nOut(filters).stride(stride, stride)
                .hasBias(false).activation(Activation.IDENTITY).build(), in);
        g.addLayer(name + "_bn", new BatchNormalization.Builder().activation(Activation.IDENTITY).build(),
                name + "_conv");
        if (!relu) {
            return name + "_bn";
        }
        g.addLayer(name + "_relu", new ActivationLayer.Builder().activation(Activation.RELU).build(), name + "_bn");
        return name + "_relu";
    }
}
