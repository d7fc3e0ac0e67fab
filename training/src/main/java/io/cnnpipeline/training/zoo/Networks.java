package io.cnnpipeline.training.zoo;

import io.cnnpipeline.training.dl4j.JvmSettings;
import io.cnnpipeline.training.dl4j.LayerHelpers;
import io.cnnpipeline.training.LearningRateSchedule;
import io.cnnpipeline.training.dl4j.OmpThreads;
import io.cnnpipeline.training.TrainingConfig;
import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Network definitions built for a dataset's input size, channels and classes. Inputs are NCHW float32
 * (normalized per channel); outputs are softmax class probabilities trained with multi-class cross-entropy.
 * Layers are named.
 *
 * <ul>
 *   <li>{@code lenet} — LeNet-5 as in DL4J's examples (LeCun et al. 1998, with ReLU and max pooling): conv 5×5×20,
 *       max-pool 2, conv 5×5×50, max-pool 2, dense 500, softmax. 431,080 parameters on 28×28×1 with 10 classes.</li>
 *   <li>{@code small-cnn} — VGG-style stacks of 3×3 convolutions with batch norm (Simonyan &amp; Zisserman 2014,
 *       Ioffe &amp; Szegedy 2015): [conv3×3×32, BN, ReLU]×2, max-pool, [conv3×3×64, BN, ReLU]×2, max-pool, dense 256
 *       with dropout 0.5, softmax.</li>
 * </ul>
 */
public final class Networks {
    private Networks() {
    }

    /**
     * Builds the configuration of a named network.
     *
     * @param config   training settings (network name, updater, learning rate, weight decay, seed)
     * @param height   input height in pixels
     * @param width    input width in pixels
     * @param channels input channels (1 or 3)
     * @param classes  number of output classes
     * @throws IllegalArgumentException for an unknown network name
     */
    public static MultiLayerConfiguration build(TrainingConfig config, int height, int width, int channels,
                                                int classes) {
        JvmSettings.install();
        NeuralNetConfiguration.Builder base = base(config);
        switch (config.network().id()) {
            case "lenet":
                return base.list()
                        .layer(new ConvolutionLayer.Builder(5, 5).name("conv1").nOut(config.width(20)).stride(1, 1)
                                .activation(Activation.RELU).build())
                        .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).name("pool1")
                                .kernelSize(2, 2).stride(2, 2).build())
                        .layer(new ConvolutionLayer.Builder(5, 5).name("conv2").nOut(config.width(50)).stride(1, 1)
                                .activation(Activation.RELU).build())
                        .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).name("pool2")
                                .kernelSize(2, 2).stride(2, 2).build())
                        .layer(new DenseLayer.Builder().name("fc1").nOut(500).activation(Activation.RELU).build())
                        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("output")
                                .nOut(classes).activation(Activation.SOFTMAX).weightInit(WeightInit.XAVIER).build())
                        .setInputType(InputType.convolutional(height, width, channels))
                        .build();
            case "small-cnn":
                return base.convolutionMode(ConvolutionMode.Same).list()
                        .layer(conv("conv1_1", config.width(32))).layer(bn("bn1_1")).layer(relu("relu1_1"))
                        .layer(conv("conv1_2", config.width(32))).layer(bn("bn1_2")).layer(relu("relu1_2"))
                        .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).name("pool1")
                                .kernelSize(2, 2).stride(2, 2).build())
                        .layer(conv("conv2_1", config.width(64))).layer(bn("bn2_1")).layer(relu("relu2_1"))
                        .layer(conv("conv2_2", config.width(64))).layer(bn("bn2_2")).layer(relu("relu2_2"))
                        .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).name("pool2")
                                .kernelSize(2, 2).stride(2, 2).build())
                        .layer(new DenseLayer.Builder().name("fc1").nOut(256).activation(Activation.RELU)
                                .dropOut(0.5).build())
                        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("output")
                                .nOut(classes).activation(Activation.SOFTMAX).weightInit(WeightInit.XAVIER).build())
                        .setInputType(InputType.convolutional(height, width, channels))
                        .build();
            case "alexnet":
                return alexnet(base, height, width, channels, classes);
            case "vgg11":
                return vgg(base, config, new int[][] {{64}, {128}, {256, 256}, {512, 512}, {512, 512}}, height, width, channels,
                        classes);
            case "vgg16":
                return vgg(base, config, new int[][] {{64, 64}, {128, 128}, {256, 256, 256}, {512, 512, 512},
                        {512, 512, 512}}, height, width, channels, classes);
            default:
                if (config.network().graph()) {
                    throw new IllegalArgumentException("Cannot build " + config.network().id() + " as a sequential network: "
                            + "it is a ComputationGraph (use Networks.create)");
                }
                throw new IllegalArgumentException("Cannot build network: unknown name " + config.network().id());
        }
    }

    /** The settings every network shares: seed, updater, weight init, gradient clipping, L2 weight decay. */
    private static NeuralNetConfiguration.Builder base(TrainingConfig config) {
        NeuralNetConfiguration.Builder base = new NeuralNetConfiguration.Builder()
                .seed(config.seed())
                .updater(updater(config))
                .weightInit(weightInit(config.weightInit().id()))
                .cacheMode(config.cacheMode() == TrainingConfig.CacheMode.DEVICE ? CacheMode.DEVICE : CacheMode.NONE);
        if (config.gradientClipping() != TrainingConfig.GradientClipping.NONE) {
            base.gradientNormalization(gradientNormalization(config.gradientClipping().id()))
                    .gradientNormalizationThreshold(config.gradientClippingThreshold());
        }
        if (config.weightDecay() > 0 && !config.lars()) {
            base.l2(config.weightDecay());
        }
        return base;
    }

    /** Whether a network name is one of the {@code ComputationGraph}s of {@link GraphNetworks}. */
    public static boolean isGraph(Network network) {
        return network.graph();
    }

    /**
     * Builds the graph configuration of a branched network ({@link GraphNetworks}: resnet20, resnet18, resnet34,
     * resnet50, inception-small) with the same updater, init, clipping and weight decay as {@link #build}.
     *
     * @throws IllegalArgumentException for a name that is not a graph network
     */
    public static org.deeplearning4j.nn.conf.ComputationGraphConfiguration buildGraph(TrainingConfig config,
                                                                                      int height, int width,
                                                                                      int channels, int classes) {
        JvmSettings.install();
        if (!isGraph(config.network())) {
            throw new IllegalArgumentException("Cannot build " + config.network().id() + " as a ComputationGraph");
        }
        return GraphNetworks.build(base(config), config, height, width, channels, classes);
    }

    /**
     * A new, initialized network of the configured name: a {@code MultiLayerNetwork} for the sequential networks, a
     * {@code ComputationGraph} for the branched ones. Makes {@code OMP_NUM_THREADS} hold for the calling thread
     * ({@link OmpThreads}), which is the thread a notebook or single JVM trains in. The network's first convolution
     * layer skips its input gradient in training ({@link LayerHelpers#skipInputGradient}): such a network answers
     * {@code backpropGradient} with a {@code null} input gradient; build it with {@link #build} for input gradients.
     */
    public static org.deeplearning4j.nn.api.Model create(TrainingConfig config, int height, int width, int channels,
                                                         int classes) {
        OmpThreads.honourEnvironment();
        if (isGraph(config.network())) {
            org.deeplearning4j.nn.graph.ComputationGraph graph = new org.deeplearning4j.nn.graph.ComputationGraph(
                    buildGraph(config, height, width, channels, classes));
            graph.init();
            LayerHelpers.skipInputGradient(graph);
            return graph;
        }
        org.deeplearning4j.nn.multilayer.MultiLayerNetwork net =
                new org.deeplearning4j.nn.multilayer.MultiLayerNetwork(build(config, height, width, channels, classes));
        net.init();
        LayerHelpers.skipInputGradient(net);
        return net;
    }

    /**
     * AlexNet-style (Krizhevsky et al. 2012, single tower): five convolutions, three max poolings, two dropout-0.5
     * dense layers. From {@value GraphNetworks#IMAGENET_STEM_MIN_SIZE} pixels up the ImageNet layout (11×11/4 × 96,
     * local response normalization, 4096-unit dense layers); below it a small-input variant (5×5/1 × 64 first
     * convolution, 1024-unit dense layers).
     */
    private static MultiLayerConfiguration alexnet(NeuralNetConfiguration.Builder base, int height, int width,
                                                   int channels, int classes) {
        boolean imagenet = Math.min(height, width) >= GraphNetworks.IMAGENET_STEM_MIN_SIZE;
        int dense = imagenet ? 4096 : 1024;
        NeuralNetConfiguration.ListBuilder l = base.convolutionMode(ConvolutionMode.Same).list();
        l.layer(new ConvolutionLayer.Builder(imagenet ? 11 : 5, imagenet ? 11 : 5).name("conv1")
                .nOut(imagenet ? 96 : 64).stride(imagenet ? 4 : 1, imagenet ? 4 : 1).activation(Activation.RELU)
                .build());
        if (imagenet) {
            l.layer(new org.deeplearning4j.nn.conf.layers.LocalResponseNormalization.Builder().name("norm1").build());
        }
        l.layer(maxPool("pool1", 3, 2));
        l.layer(new ConvolutionLayer.Builder(5, 5).name("conv2").nOut(imagenet ? 256 : 192)
                .activation(Activation.RELU).build());
        if (imagenet) {
            l.layer(new org.deeplearning4j.nn.conf.layers.LocalResponseNormalization.Builder().name("norm2").build());
        }
        l.layer(maxPool("pool2", 3, 2));
        l.layer(new ConvolutionLayer.Builder(3, 3).name("conv3").nOut(384).activation(Activation.RELU).build());
        l.layer(new ConvolutionLayer.Builder(3, 3).name("conv4").nOut(imagenet ? 384 : 256)
                .activation(Activation.RELU).build());
        l.layer(new ConvolutionLayer.Builder(3, 3).name("conv5").nOut(256).activation(Activation.RELU).build());
        l.layer(maxPool("pool5", 3, 2));
        l.layer(new DenseLayer.Builder().name("fc6").nOut(dense).activation(Activation.RELU).dropOut(0.5).build());
        l.layer(new DenseLayer.Builder().name("fc7").nOut(dense).activation(Activation.RELU).dropOut(0.5).build());
        l.layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("output").nOut(classes)
                .activation(Activation.SOFTMAX).weightInit(WeightInit.XAVIER).build());
        return l.setInputType(InputType.convolutional(height, width, channels)).build();
    }

    /**
     * VGG-style (Simonyan &amp; Zisserman 2014, configurations A and D, with batch normalization): stages of 3×3
     * convolutions, each stage followed by a 2×2 max pooling while the feature map is at least 4 pixels (small inputs
     * skip the last poolings), then two dropout-0.5 dense layers (4096 units from
     * {@value GraphNetworks#IMAGENET_STEM_MIN_SIZE} pixels up, else 512).
     */
    private static MultiLayerConfiguration vgg(NeuralNetConfiguration.Builder base, TrainingConfig config,
                                               int[][] stages, int height,
                                               int width, int channels, int classes) {
        boolean imagenet = Math.min(height, width) >= GraphNetworks.IMAGENET_STEM_MIN_SIZE;
        int dense = imagenet ? 4096 : 512;
        NeuralNetConfiguration.ListBuilder l = base.convolutionMode(ConvolutionMode.Same).list();
        int side = Math.min(height, width);
        for (int s = 0; s < stages.length; s++) {
            for (int c = 0; c < stages[s].length; c++) {
                String name = "conv" + (s + 1) + "_" + (c + 1);
                l.layer(conv(name, config.width(stages[s][c])));
                l.layer(bn("bn" + (s + 1) + "_" + (c + 1)));
                l.layer(relu("relu" + (s + 1) + "_" + (c + 1)));
            }
            if (side >= 4) {
                l.layer(maxPool("pool" + (s + 1), 2, 2));
                side /= 2;
            }
        }
        l.layer(new DenseLayer.Builder().name("fc1").nOut(dense).activation(Activation.RELU).dropOut(0.5).build());
        l.layer(new DenseLayer.Builder().name("fc2").nOut(dense).activation(Activation.RELU).dropOut(0.5).build());
        l.layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("output").nOut(classes)
                .activation(Activation.SOFTMAX).weightInit(WeightInit.XAVIER).build());
        return l.setInputType(InputType.convolutional(height, width, channels)).build();
    }

    private static SubsamplingLayer maxPool(String name, int kernel, int stride) {
        return new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).name(name).kernelSize(kernel, kernel)
                .stride(stride, stride).build();
    }

    private static ConvolutionLayer conv(String name, int filters) {
        return new ConvolutionLayer.Builder(3, 3).name(name).nOut(filters).stride(1, 1)
                .activation(Activation.IDENTITY).hasBias(false).build();
    }

    /** Batch normalization without an activation: DL4J 1.0.0-M2 ignores one configured here ({@link #relu}). */
    private static BatchNormalization bn(String name) {
        return new BatchNormalization.Builder().name(name).activation(Activation.IDENTITY).build();
    }

    /**
     * A ReLU as a layer of its own, after a batch normalization: DL4J 1.0.0-M2's BatchNormalization does not apply the
     * activation it is configured with (BatchNormActivationTest), so {@code bn(..).activation(RELU)} would be none.
     */
    private static org.deeplearning4j.nn.conf.layers.ActivationLayer relu(String name) {
        return new org.deeplearning4j.nn.conf.layers.ActivationLayer.Builder().name(name)
                .activation(Activation.RELU).build();
    }

    static org.deeplearning4j.nn.weights.IWeightInit weightInit(String name) {
        switch (name) {
            case "xavier":
                return WeightInit.XAVIER.getWeightInitFunction();
            case "lecun":
                return WeightInit.LECUN_NORMAL.getWeightInitFunction();
            case "orthogonal":
                return new OrthogonalInit(Math.sqrt(2));    // gain for ReLU layers
            default:
                return WeightInit.RELU.getWeightInitFunction();
        }
    }

    static org.deeplearning4j.nn.conf.GradientNormalization gradientNormalization(String name) {
        switch (name) {
            case "l2-per-layer":
                return org.deeplearning4j.nn.conf.GradientNormalization.ClipL2PerLayer;
            case "l2-per-param-type":
                return org.deeplearning4j.nn.conf.GradientNormalization.ClipL2PerParamType;
            case "element-wise":
                return org.deeplearning4j.nn.conf.GradientNormalization.ClipElementWiseAbsoluteValue;
            default:
                return org.deeplearning4j.nn.conf.GradientNormalization.None;
        }
    }

    /**
     * The updater at the base learning rate; the training job replaces the rate with the epoch's schedule
     * ({@link LearningRateSchedule.EpochRates}) before every epoch.
     */
    public static IUpdater updater(TrainingConfig config) {
        switch (config.updater().id()) {
            case "adagrad":
                return new org.nd4j.linalg.learning.config.AdaGrad(config.learningRate());
            case "adadelta":
                return new org.nd4j.linalg.learning.config.AdaDelta();
            case "rmsprop":
                return new org.nd4j.linalg.learning.config.RmsProp(config.learningRate());
            case "adamax":
                return new org.nd4j.linalg.learning.config.AdaMax(config.learningRate());
            case "nadam":
                return new org.nd4j.linalg.learning.config.Nadam(config.learningRate());
            case "amsgrad":
                return new org.nd4j.linalg.learning.config.AMSGrad(config.learningRate());
            case "sgd":
                return new Sgd(config.learningRate());
            case "nesterov":
                return new Nesterovs(config.learningRate(), config.momentum());
            case "adam":
                return new Adam(config.learningRate());
            default:
                throw new IllegalArgumentException("Cannot build updater: unknown name " + config.updater().id());
        }
    }
}
