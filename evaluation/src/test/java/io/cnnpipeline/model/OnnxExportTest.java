package io.cnnpipeline.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.cnnpipeline.image.Crops;
import io.cnnpipeline.image.ImageDecoder;
import io.cnnpipeline.image.Resize;
import io.cnnpipeline.image.UInt8Image;
import io.cnnpipeline.training.ModelMeta;
import io.cnnpipeline.training.TrainableNetwork;
import io.cnnpipeline.training.TrainingConfig;
import io.cnnpipeline.training.zoo.Network;
import io.cnnpipeline.training.zoo.Networks;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Deconvolution2D;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * ONNX export of every zoo network against DL4J on real images — Fashion-MNIST test images (Debian's
 * {@code dataset-fashion-mnist}) and photographs (Debian's {@code hugin-data}, centre-cropped) — through ONNX Runtime:
 * softmax outputs within {@value #TOLERANCE}, same top-1 class. Batch-norm statistics are not the initial ones
 * (random, or from training), and each DL4J convention the exporter translates (Same padding, batch-norm epsilon and
 * log std, LRN's alpha, average pooling's divisor) is shown to matter: the export with it undone fails the comparison.
 */
class OnnxExportTest {
    private static final double TOLERANCE = 1e-4;
    private static final int CLASSES = 10;
    private static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz");
    private static final Path PHOTOS = Path.of("/usr/share/hugin/xrc/data/help_en_EN");
    private static final Map<String, INDArray> IMAGES = new HashMap<>();
    /** Debian's interpreter, which python3-onnx installs into (a python3 earlier on PATH, e.g. pyenv's, lacks it). */
    private static final String DEBIAN_PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3"
            : "python3";

    /** Network, input side, channels, images, batch size. */
    static Stream<Arguments> networks() {
        return Stream.of(
                Arguments.of(Network.LENET, 28, 1, 100, 64),
                Arguments.of(Network.SMALL_CNN, 28, 1, 100, 64),
                Arguments.of(Network.RESNET20, 28, 1, 100, 64),
                Arguments.of(Network.INCEPTION_SMALL, 28, 1, 100, 64),
                Arguments.of(Network.SMALL_CNN, 32, 3, 24, 16),
                Arguments.of(Network.ALEXNET, 128, 3, 24, 16),     // ImageNet layout: 11×11/4, LRN
                Arguments.of(Network.ALEXNET, 32, 3, 24, 16),
                Arguments.of(Network.VGG11, 32, 3, 24, 16),
                Arguments.of(Network.VGG16, 32, 3, 24, 16),
                Arguments.of(Network.RESNET18, 224, 3, 20, 16),    // ImageNet stem: 7×7/2 Same, 3×3/2 max pool
                Arguments.of(Network.RESNET34, 32, 3, 24, 16),
                Arguments.of(Network.RESNET50, 32, 3, 24, 16),
                Arguments.of(Network.INCEPTION_SMALL, 64, 3, 24, 16));  // 7×1 / 1×7 factorized convolutions
    }

    @ParameterizedTest(name = "{0} {1}x{1}x{2}")
    @MethodSource("networks")
    void exportMatchesDl4jOnRealImages(Network network, int size, int channels, int count, int batch) {
        TrainableNetwork net = zooNetwork(network, size, channels, 7);
        ModelMeta meta = meta(network, size, channels);
        INDArray images = images(size, channels, count);
        unsaturate(net, meta, images);
        byte[] onnx = OnnxExporter.export(net.model(), meta);
        OnnxParity.Result r = OnnxParity.compare(onnx, net, meta, images, batch);
        System.out.printf("ONNX parity %s %dx%dx%d: %d images, max |dp| %.3g, top-1 agree %d%n", network.id(), size,
                size, channels, r.images(), r.maxAbsDifference(), r.top1Agreements());
        assertEquals(count, r.images());
        assertTrue(r.maxAbsDifference() <= TOLERANCE, network + ": max abs difference " + r.maxAbsDifference());
        assertEquals(count, r.top1Agreements(), network + ": top-1 agreement");
    }

    @Test
    void batchNormStatisticsFromTrainingAreExported() throws Exception {
        // small-cnn trained on a few Fashion-MNIST minibatches: DL4J itself moves the running mean and log10 std.
        TrainableNetwork net = zooNetwork(Network.SMALL_CNN, 28, 1, 3);
        MultiLayerNetwork mln = net.multiLayer();
        BatchNormalization bn = (BatchNormalization) mln.getLayer(1).conf().getLayer();
        assertTrue(bn.isUseLogStd(), "DL4J keeps log10 std by default: the case the exporter converts");
        INDArray before = mln.getLayer(1).getParam("log10stdev").dup();
        INDArray images = images(28, 1, 160);
        double[] mean = {0.286};
        double[] std = {0.353};
        INDArray normalized = images.sub(mean[0]).div(std[0]);
        Random random = new Random(5);
        for (int step = 0; step < 5; step++) {
            INDArray labels = Nd4j.zeros(32, CLASSES);
            for (int i = 0; i < 32; i++) {
                labels.putScalar(i, random.nextInt(CLASSES), 1);
            }
            net.fit(new DataSet(normalized.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(step * 32,
                    step * 32 + 32)), labels));
        }
        assertTrue(mln.getLayer(1).getParam("log10stdev").sub(before).amaxNumber().doubleValue() > 1e-3,
                "training moved the running statistics");
        ModelMeta meta = new ModelMeta("small-cnn", classes(), 28, 28, 1, mean, std, "fashion-mnist", "0");
        OnnxParity.Result r = OnnxParity.compare(OnnxExporter.export(net.model(), meta), net, meta, images, 64);
        System.out.printf("ONNX parity small-cnn trained: max |dp| %.3g%n", r.maxAbsDifference());
        assertTrue(r.within(TOLERANCE), r.toString());
    }

    @Test
    void exportOfTrainedModelRoundTripsThroughItsZip(@TempDir Path dir) throws Exception {
        TrainableNetwork net = zooNetwork(Network.LENET, 28, 1, 5);
        TrainableNetwork restored = TrainableNetwork.restore(net.bytes(), false);
        ModelMeta meta = meta(Network.LENET, 28, 1);
        TrainedModel model = TrainedModel.of(restored, meta);
        OnnxParity.Result r = OnnxParity.compare(OnnxExporter.export(model), model, images(28, 1, 70));
        assertTrue(r.within(TOLERANCE), r.toString());
    }

    @Test
    void comparisonHasTeeth() {
        TrainableNetwork net = zooNetwork(Network.RESNET20, 28, 1, 7);
        ModelMeta meta = meta(Network.RESNET20, 28, 1);
        INDArray images = images(28, 1, 64);
        unsaturate(net, meta, images);
        byte[] exact = OnnxExporter.export(net.model(), meta);
        assertTrue(OnnxParity.compare(exact, net, meta, images, 64).within(TOLERANCE));

        // The normalization of other metadata (mean off by 0.02 of the pixel range).
        ModelMeta wrong = new ModelMeta(meta.network(), meta.classes(), 28, 28, 1, new double[] {meta.mean()[0] + 0.02},
                meta.std(), meta.dataset(), meta.datasetSha256());
        assertFails(OnnxExporter.export(net.model(), wrong), net, meta, images, "mean off by 0.02");

        // One weight of the first convolution perturbed by 0.01 after the export.
        ComputationGraph graph = (ComputationGraph) net.model();
        INDArray w = graph.getLayer("stem_conv").getParam("W");
        w.putScalar(new long[] {0, 0, 1, 1}, w.getDouble(0, 0, 1, 1) + 0.01);
        assertFails(exact, net, meta, images, "one weight perturbed");
    }

    @Test
    void sameModePaddingGoesBottomRight() {
        // ResNet-34's stride-2 3×3 Same convolutions on 32 px pad 0 at the top/left, 1 at the bottom/right.
        checkQuirk(Network.RESNET34, 32, 3, "Conv", n -> n.getName().equals("res3a_1_conv"),
                n -> withInts(n, "pads", 1, 1, 0, 0), "symmetric-on-top Same padding");
    }

    @Test
    void batchNormEpsilonCounts() {
        checkQuirk(Network.SMALL_CNN, 28, 1, "BatchNormalization", n -> true,
                n -> withFloat(n, "epsilon", 0f), "batch norm without epsilon");
    }

    @Test
    void lrnAlphaIsScaledBySize() {
        checkQuirk(Network.ALEXNET, 128, 3, "LRN", n -> true,
                n -> withFloat(n, "alpha", n.getAttributeList().stream().filter(a -> a.getName().equals("alpha"))
                        .findFirst().orElseThrow().getF() / 5), "LRN alpha as DL4J's");
    }

    @Test
    void averagePoolingDivisorExcludesPadding() {
        checkQuirk(Network.INCEPTION_SMALL, 28, 1, "AveragePool", n -> true,
                n -> withInt(n, "count_include_pad", 1), "average pooling counting padding");
    }

    @Test
    void metadataDescribesTheInput() throws Exception {
        TrainableNetwork net = zooNetwork(Network.SMALL_CNN, 32, 3, 1);
        ModelMeta meta = meta(Network.SMALL_CNN, 32, 3);
        byte[] bytes = OnnxExporter.export(net.model(), meta);
        OnnxMl.ModelProto proto = OnnxMl.ModelProto.parseFrom(bytes);
        assertEquals(OnnxExporter.IR_VERSION, proto.getIrVersion());
        assertEquals(13, proto.getOpsetImport(0).getVersion());
        assertEquals("cnn-pipeline", proto.getProducerName());
        assertEquals("Sub", proto.getGraph().getNode(0).getOpType());
        assertEquals("Div", proto.getGraph().getNode(1).getOpType());
        try (OrtSession session = OrtEnvironment.getEnvironment().createSession(bytes)) {
            Map<String, String> props = session.getMetadata().getCustomMetadata();
            assertEquals("[0.485, 0.456, 0.406]", props.get("mean"));
            assertEquals("[0.229, 0.224, 0.225]", props.get("std"));
            assertEquals("NCHW", props.get("layout"));
            assertEquals("RGB", props.get("channel_order"));
            assertEquals("32", props.get("input_height"));
            assertEquals("32", props.get("input_width"));
            assertEquals("3", props.get("input_channels"));
            assertEquals("[0, 1]", props.get("pixel_range"));
            assertEquals("small-cnn", props.get("network"));
            assertEquals(classes(), io.cnnpipeline.core.Json.fromBytes(props.get("classes").getBytes(
                    java.nio.charset.StandardCharsets.UTF_8), List.class));
            assertEquals("cnn-pipeline", session.getMetadata().getProducerName());
            NodeInfo in = session.getInputInfo().get("input");
            assertEquals(List.of(-1L, 3L, 32L, 32L), toList(((TensorInfo) in.getInfo()).getShape()));
            NodeInfo out = session.getOutputInfo().get("probabilities");
            assertEquals(List.of(-1L, 10L), toList(((TensorInfo) out.getInfo()).getShape()));
        }
    }

    @Test
    void unsupportedLayerIsNamed() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1).list()
                .layer(new ConvolutionLayer.Builder(3, 3).name("conv").nOut(4).activation(Activation.RELU).build())
                .layer(new Deconvolution2D.Builder(2, 2).name("upsample").stride(2, 2).nOut(4).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("output").nOut(CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(16, 16, 1)).build());
        net.init();
        ModelMeta meta = new ModelMeta("test", classes(), 16, 16, 1, new double[] {0.5}, new double[] {0.25}, "d",
                "0");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OnnxExporter.export(net, meta));
        assertTrue(e.getMessage().contains("'upsample'") && e.getMessage().contains("Deconvolution2D"),
                e.getMessage());

        IllegalArgumentException channels = assertThrows(IllegalArgumentException.class,
                () -> OnnxExporter.export(zooNetwork(Network.LENET, 28, 1, 1).model(), meta(Network.LENET, 28, 3)));
        assertTrue(channels.getMessage().contains("conv1"), channels.getMessage());
    }

    @Test
    void onnxCheckerAcceptsTheExports(@TempDir Path dir) throws Exception {
        for (Object[] c : new Object[][] {{Network.LENET, 28, 1}, {Network.INCEPTION_SMALL, 28, 1},
                {Network.ALEXNET, 128, 3}, {Network.RESNET50, 32, 3}}) {
            Network network = (Network) c[0];
            Path file = dir.resolve(network.id() + ".onnx");
            Files.write(file, OnnxExporter.export(zooNetwork(network, (int) c[1], (int) c[2], 1).model(),
                    meta(network, (int) c[1], (int) c[2])));
            Process p = new ProcessBuilder(DEBIAN_PYTHON, "-c", "import onnx,sys; m=onnx.load(sys.argv[1]); "
                    + "onnx.checker.check_model(m, full_check=True)", file.toString()).redirectErrorStream(true)
                    .start();
            String output = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(120, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), network + ": onnx.checker (Debian's python3-onnx) says: " + output);
        }
    }

    // --- helpers ---------------------------------------------------------------------------------------------

    /**
     * Scales the output layer's weights and bias down until DL4J's softmax on the first images is not saturated (mean
     * top probability ≤ 0.9). Random deep networks have logits in the hundreds, whose softmax is one-hot in float32 and
     * would hide differences; logits are linear in the output layer's parameters, so this is a softmax temperature.
     */
    private static void unsaturate(TrainableNetwork net, ModelMeta meta, INDArray images) {
        Model model = net.model();
        org.deeplearning4j.nn.api.Layer out = model instanceof MultiLayerNetwork m ? m.getOutputLayer()
                : ((ComputationGraph) model).getOutputLayer(0);
        INDArray sample = images.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, Math.min(16, images.size(0))));
        INDArray normalized = sample.dup();
        for (int c = 0; c < meta.channels(); c++) {
            INDArray plane = normalized.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                    org.nd4j.linalg.indexing.NDArrayIndex.point(c));
            plane.subi(meta.mean()[c]).divi(meta.std()[c]);
        }
        for (int i = 0; i < 40 && net.output(normalized).max(1).meanNumber().doubleValue() > 0.9; i++) {
            out.getParam("W").muli(0.3);
            out.getParam("b").muli(0.3);
        }
    }

    /** Exports a zoo network, applies {@code change} to the matching nodes, and shows the comparison then fails. */
    private void checkQuirk(Network network, int size, int channels, String op,
                            java.util.function.Predicate<OnnxMl.NodeProto> which,
                            UnaryOperator<OnnxMl.NodeProto> change, String what) {
        TrainableNetwork net = zooNetwork(network, size, channels, 7);
        ModelMeta meta = meta(network, size, channels);
        INDArray images = images(size, channels, channels == 1 ? 64 : 16);
        unsaturate(net, meta, images);
        OnnxMl.ModelProto proto = OnnxExporter.toProto(net.model(), meta);
        assertTrue(OnnxParity.compare(proto.toByteArray(), net, meta, images, 64).within(TOLERANCE));
        OnnxMl.GraphProto.Builder g = proto.getGraph().toBuilder();
        int changed = 0;
        for (int i = 0; i < g.getNodeCount(); i++) {
            if (g.getNode(i).getOpType().equals(op) && which.test(g.getNode(i))) {
                g.setNode(i, change.apply(g.getNode(i)));
                changed++;
            }
        }
        assertTrue(changed > 0, "no " + op + " node to change");
        assertFails(proto.toBuilder().setGraph(g).build().toByteArray(), net, meta, images, what);
    }

    private static void assertFails(byte[] onnx, TrainableNetwork net, ModelMeta meta, INDArray images, String what) {
        OnnxParity.Result r = OnnxParity.compare(onnx, net, meta, images, 64);
        System.out.printf("ONNX parity with %s: max |dp| %.3g%n", what, r.maxAbsDifference());
        assertTrue(r.maxAbsDifference() > TOLERANCE, what + " went unnoticed: " + r);
    }

    private static OnnxMl.NodeProto withAttribute(OnnxMl.NodeProto n, OnnxMl.AttributeProto a) {
        OnnxMl.NodeProto.Builder b = n.toBuilder().clearAttribute();
        n.getAttributeList().stream().filter(x -> !x.getName().equals(a.getName())).forEach(b::addAttribute);
        return b.addAttribute(a).build();
    }

    private static OnnxMl.NodeProto withInts(OnnxMl.NodeProto n, String name, long... values) {
        return withAttribute(n, OnnxMl.AttributeProto.newBuilder().setName(name)
                .setType(OnnxMl.AttributeProto.AttributeType.INTS)
                .addAllInts(java.util.Arrays.stream(values).boxed().toList()).build());
    }

    private static OnnxMl.NodeProto withInt(OnnxMl.NodeProto n, String name, long value) {
        return withAttribute(n, OnnxMl.AttributeProto.newBuilder().setName(name)
                .setType(OnnxMl.AttributeProto.AttributeType.INT).setI(value).build());
    }

    private static OnnxMl.NodeProto withFloat(OnnxMl.NodeProto n, String name, float value) {
        return withAttribute(n, OnnxMl.AttributeProto.newBuilder().setName(name)
                .setType(OnnxMl.AttributeProto.AttributeType.FLOAT).setF(value).build());
    }

    private static List<Long> toList(long[] a) {
        return java.util.Arrays.stream(a).boxed().toList();
    }

    private static List<String> classes() {
        return IntStream.range(0, CLASSES).mapToObj(i -> "class-" + i).toList();
    }

    private static ModelMeta meta(Network network, int size, int channels) {
        return channels == 1
                ? new ModelMeta(network.id(), classes(), size, size, 1, new double[] {0.286}, new double[] {0.353},
                "fashion-mnist", "0")
                : new ModelMeta(network.id(), classes(), size, size, 3, new double[] {0.485, 0.456, 0.406},
                new double[] {0.229, 0.224, 0.225}, "photos", "0");
    }

    /**
     * A zoo network with seeded random weights and batch-norm layers given random, non-initial gamma, beta, running
     * mean and running variance (stored as DL4J stores it: log10 std, or variance); a few variances are near epsilon,
     * their gamma scaled to keep the activations' scale.
     */
    private static TrainableNetwork zooNetwork(Network network, int size, int channels, long seed) {
        TrainingConfig config = TrainingConfig.builder().set(TrainingConfig.DATASET, "unused")
                .set(TrainingConfig.NETWORK, network).build();
        Nd4j.getRandom().setSeed(seed);
        Model model = Networks.create(config, size, size, channels, CLASSES);
        org.deeplearning4j.nn.api.Layer[] layers = model instanceof MultiLayerNetwork m ? m.getLayers()
                : ((ComputationGraph) model).getLayers();
        Random random = new Random(seed);
        for (org.deeplearning4j.nn.api.Layer layer : layers) {
            if (layer.conf().getLayer() instanceof BatchNormalization bn) {
                long c = layer.getParam("mean").length();
                INDArray var = Nd4j.create(c);
                for (int i = 0; i < c; i++) {
                    // Every 16th channel has a variance of the order of epsilon (1e-5), with gamma scaled to match,
                    // so that gamma / sqrt(var + eps) stays near 1 and epsilon changes that channel's output.
                    double v = i % 16 == 3 ? 2e-5 * random.nextDouble() : 0.5 + 1.5 * random.nextDouble();
                    var.putScalar(i, v);
                    layer.getParam("gamma").putScalar(i,
                            (0.6 + 0.8 * random.nextDouble()) * Math.sqrt(v + bn.getEps()));
                    layer.getParam("beta").putScalar(i, 0.4 * random.nextDouble() - 0.2);
                    layer.getParam("mean").putScalar(i, 0.6 * random.nextDouble() - 0.3);
                }
                if (bn.isUseLogStd()) {
                    for (int i = 0; i < c; i++) {
                        layer.getParam("log10stdev").putScalar(i, Math.log10(Math.sqrt(var.getDouble(i))));
                    }
                } else {
                    layer.getParam("var").assign(var.reshape(layer.getParam("var").shape()));
                }
            }
        }
        return TrainableNetwork.of(model);
    }

    /** [n, channels, size, size] images with [0, 1] pixels: Fashion-MNIST (28 px, luma) or centre-cropped photos. */
    private static synchronized INDArray images(int size, int channels, int n) {
        return IMAGES.computeIfAbsent(size + "x" + channels + "x" + n, k -> {
            try {
                List<UInt8Image> list = channels == 1 && size == 28 ? fashionMnist(n) : photos(size, channels, n);
                float[] data = new float[n * channels * size * size];
                int plane = size * size;
                for (int i = 0; i < n; i++) {
                    UInt8Image im = list.get(i);
                    byte[] px = im.pixels();
                    for (int y = 0; y < size; y++) {
                        for (int x = 0; x < size; x++) {
                            for (int c = 0; c < channels; c++) {
                                data[(i * channels + c) * plane + y * size + x] =
                                        (px[(y * size + x) * channels + c] & 0xff) / 255f;
                            }
                        }
                    }
                }
                return Nd4j.create(data, new long[] {n, channels, size, size}, 'c');
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    private static List<UInt8Image> fashionMnist(int n) throws IOException {
        try (InputStream raw = Files.newInputStream(FASHION);
             DataInputStream in = new DataInputStream(new GZIPInputStream(raw))) {
            assertEquals(0x803, in.readInt(), "IDX magic of " + FASHION);
            in.readInt();
            int rows = in.readInt();
            int cols = in.readInt();
            List<UInt8Image> images = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                byte[] px = new byte[rows * cols];
                in.readFully(px);
                images.add(new UInt8Image(cols, rows, 1, px));
            }
            return images;
        }
    }

    private static List<UInt8Image> photos(int size, int channels, int n) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(PHOTOS)) {
            files = s.filter(p -> p.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".jpg"))
                    .sorted().toList();
        }
        ImageDecoder decoder = new ImageDecoder(channels, 1L << 28);
        List<UInt8Image> images = new ArrayList<>();
        for (int i = 0; images.size() < n; i++) {
            try {
                UInt8Image im = Resize.shortSide(decoder.decode(Files.readAllBytes(files.get(i % files.size()))),
                        size);
                images.add(Crops.apply(im, Crops.centre(im.width(), im.height(), size)));
            } catch (io.cnnpipeline.image.ImageDecodeException e) {
                throw new IllegalStateException(files.get(i % files.size()) + ": " + e.getMessage(), e);
            }
        }
        return images;
    }
}
