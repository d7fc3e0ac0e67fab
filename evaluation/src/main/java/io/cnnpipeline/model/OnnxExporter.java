package io.cnnpipeline.model;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import io.cnnpipeline.core.BuildInfo;
import io.cnnpipeline.core.Json;
import io.cnnpipeline.training.ModelMeta;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LocalResponseNormalization;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Exports a trained DL4J network (a {@code MultiLayerNetwork} or a single-input, single-output
 * {@code ComputationGraph} of this project's zoo) to an ONNX model (opset {@value #OPSET}, IR version
 * {@value #IR_VERSION}) that ONNX Runtime and the {@code onnx} Python package load.
 *
 * <p>The model takes the raw image, not the normalized one: graph input {@value #INPUT} is float32
 * {@code [N, C, H, W]} (N symbolic, {@code "N"}; C, H, W the model's channels and input size) of pixel values in
 * [0, 1], RGB channel order (or one luma channel), and the training normalization {@code (x - mean) / std} (per channel,
 * from {@code model-meta.json}) is the graph's first two nodes ({@code Sub}, {@code Div} with {@code [1, C, 1, 1]}
 * initializers). Graph output {@value #OUTPUT} is float32 {@code [N, classes]}: the network's output layer, softmax
 * probabilities for every network of the zoo. Images are resized and cropped as for DL4J
 * ({@link TrainedModel}'s centre crop) by the caller. The model's {@code metadata_props} record the normalization
 * ({@code mean}, {@code std} as JSON arrays of [0, 1] pixel values), {@code layout} ({@code NCHW}),
 * {@code channel_order} ({@code RGB} or {@code L}), {@code input_height}, {@code input_width}, {@code input_channels}
 * (pixels, channels), {@code pixel_range} ({@code [0, 1]}), {@code classes} (JSON array, index = output unit) and
 * {@code network}; {@code producer_name} is {@value #PRODUCER}.
 *
 * <p>Layer by layer, with the DL4J conventions the export follows (every one checked numerically against DL4J by
 * {@code OnnxExportTest}):
 * <ul>
 *   <li>{@code ConvolutionLayer} → {@code Conv} (weights {@code [out, in, kH, kW]} as DL4J stores them). Truncate and
 *       Strict modes pad symmetrically by the configured padding; {@code ConvolutionMode.Same} pads like TensorFlow,
 *       total {@code (ceil(in / s) - 1) * s + k_eff - in}, half (rounded down) at the top/left and the rest at the
 *       bottom/right — written as explicit {@code pads}, computed from the tracked input size.</li>
 *   <li>{@code BatchNormalization} → {@code BatchNormalization} with the layer's epsilon; when the layer stores
 *       {@code log10stdev} instead of the variance ({@code useLogStd}, DL4J's default) the variance exported is
 *       {@code (10^log10stdev)^2}; locked gamma/beta become constants. The layer's configured activation is
 *       <em>not</em> exported: DL4J 1.0.0-M2's {@code BatchNormalization.activate} returns the normalized input
 *       without applying it (a {@code .activation(RELU)} on a batch-norm layer is a no-op in DL4J), and the export
 *       computes what the network computes.</li>
 *   <li>{@code SubsamplingLayer} MAX/AVG → {@code MaxPool}/{@code AveragePool}, padded as convolutions are;
 *       {@code count_include_pad} is the layer's {@code avgPoolIncludePadInDivisor} (DL4J's default: padding is not
 *       counted).</li>
 *   <li>{@code LocalResponseNormalization} → {@code LRN}. DL4J divides by {@code (k + alpha * Σ x²)^beta} over the
 *       {@code n / 2} (rounded down) channels either side, ONNX by {@code (bias + alpha / size * Σ x²)^beta} over
 *       {@code size} channels: size = {@code 2 * floor(n / 2) + 1}, ONNX alpha = DL4J alpha × size.</li>
 *   <li>{@code DenseLayer}, {@code OutputLayer} → {@code Gemm} (W is {@code [nIn, nOut]}, transB = 0; the
 *       {@code [1, nOut]} bias as a 1-D tensor); {@code CnnToFeedForwardPreProcessor} → {@code Flatten} (NCHW in C
 *       order, as DL4J flattens).</li>
 *   <li>{@code GlobalPoolingLayer} AVG/MAX → {@code GlobalAveragePool}/{@code GlobalMaxPool} + {@code Flatten};
 *       {@code ActivationLayer} → its activation; {@code DropoutLayer} and layers' dropout → nothing (identity at
 *       inference); {@code ElementWiseVertex} → {@code Add}/{@code Sum}, {@code Sub}, {@code Mul}, {@code Mean},
 *       {@code Max}; {@code MergeVertex} → {@code Concat} on its merge axis.</li>
 *   <li>Activations: ReLU (plain), identity, softmax (on {@code [N, features]}, axis 1), tanh, sigmoid.</li>
 * </ul>
 * Anything else — another layer type, a subclass of one of the above (e.g. {@code Deconvolution2D}), NHWC layers,
 * another activation or preprocessor, more than one input or output — is rejected with an
 * {@link IllegalArgumentException} naming the layer and its type, before any bytes are written.
 *
 * <p>The ONNX messages are built with the protobuf classes generated from {@code onnx.proto} that Tribuo bundles
 * ({@code ai.onnx.proto.OnnxMl} in {@code org.tribuo:tribuo-util-onnx}, whose only dependency is
 * {@code protobuf-java}), rather than generated in this build from {@code onnx.proto}: one small dependency and no
 * {@code protoc} step (a native tool the build would have to fetch per platform). Tribuo's own operator helpers are
 * not used (they lack {@code Conv} and the pooling operators); nodes are written with the protobuf builders.
 *
 * <p>Stateless and thread-safe; reads the network's parameters without changing them.
 */
public final class OnnxExporter {
    /** The ONNX operator set the models are written for. */
    public static final int OPSET = 13;
    /** ONNX IR version of the models: 7, the version of opset 13 (ONNX 1.8), read by ONNX Runtime and onnx ≥ 1.8. */
    public static final int IR_VERSION = 7;
    /** Name of the graph input: float32 [N, C, H, W], pixel values in [0, 1]. */
    public static final String INPUT = "input";
    /** Name of the graph output: float32 [N, classes], softmax probabilities. */
    public static final String OUTPUT = "probabilities";
    /** {@code producer_name} of the models. */
    public static final String PRODUCER = "cnn-pipeline";

    private OnnxExporter() {
    }

    /** {@link #export(Model, ModelMeta)} of a loaded model. */
    public static byte[] export(TrainedModel model) {
        return export(model.network().model(), model.meta());
    }

    /**
     * The ONNX model ({@code ModelProto} bytes) of a network and its metadata.
     *
     * @param network a DL4J {@code MultiLayerNetwork} or {@code ComputationGraph} with one input and one output
     * @param meta    the network's {@code model-meta.json}: input size and channels, per-channel mean and std of [0, 1]
     *                pixel values, classes
     * @throws IllegalArgumentException if a layer, vertex, activation or preprocessor cannot be exported (the message
     *                                  names it and its type), or the metadata does not fit the network (channels,
     *                                  mean/std lengths, classes)
     */
    public static byte[] export(Model network, ModelMeta meta) {
        return toProto(network, meta).toByteArray();
    }

    /** The ONNX model of {@link #export(Model, ModelMeta)} as its protobuf message. */
    public static OnnxMl.ModelProto toProto(Model network, ModelMeta meta) {
        int c = meta.channels();
        if (meta.mean() == null || meta.std() == null || meta.mean().length != c || meta.std().length != c) {
            throw new IllegalArgumentException("model metadata must have one mean and one std per channel (" + c
                    + "), got mean " + Arrays.toString(meta.mean()) + " and std " + Arrays.toString(meta.std()));
        }
        Graph g = new Graph();
        float[] mean = new float[c];
        float[] std = new float[c];
        for (int i = 0; i < c; i++) {
            mean[i] = (float) meta.mean()[i];
            std[i] = (float) meta.std()[i];
        }
        long[] perChannel = {1, c, 1, 1};
        String x = g.node("Sub", "normalize/sub", List.of(INPUT, g.init("normalize/mean", mean, perChannel)));
        x = g.node("Div", "normalize/div", List.of(x, g.init("normalize/std", std, perChannel)));
        Tensor in = new Tensor(x, new long[] {c, meta.inputHeight(), meta.inputWidth()});

        Tensor out;
        if (network instanceof MultiLayerNetwork net) {
            out = in;
            for (int i = 0; i < net.getnLayers(); i++) {
                Layer layer = net.getLayerWiseConfigurations().getConf(i).getLayer();
                String name = layer.getLayerName() != null ? layer.getLayerName() : "layer" + i;
                out = preprocess(g, name, net.getLayerWiseConfigurations().getInputPreProcess(i), out);
                out = layer(g, name, layer, net.getLayer(i), out);
            }
        } else if (network instanceof ComputationGraph graph) {
            out = graph(g, graph, in);
        } else {
            throw new IllegalArgumentException("Cannot export a " + (network == null ? "null model"
                    : network.getClass().getName()) + " to ONNX: only MultiLayerNetwork and ComputationGraph");
        }
        if (out.shape().length != 1) {
            throw new IllegalArgumentException("Cannot export: the network's output is " + Arrays.toString(out.shape())
                    + " per image, not a vector of class scores");
        }
        if (meta.classes() != null && out.shape()[0] != meta.classes().size()) {
            throw new IllegalArgumentException("Cannot export: the network has " + out.shape()[0] + " outputs, the "
                    + "metadata " + meta.classes().size() + " classes");
        }
        g.rename(out.name(), OUTPUT);

        OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder()
                .setName(meta.network() == null ? "network" : meta.network())
                .addAllNode(g.nodes).addAllInitializer(g.initializers)
                .addInput(valueInfo(INPUT, "N", c, meta.inputHeight(), meta.inputWidth()))
                .addOutput(valueInfo(OUTPUT, "N", out.shape()[0]));
        String order = c == 1 ? "L" : c == 3 ? "RGB" : "unknown";
        OnnxMl.ModelProto.Builder model = OnnxMl.ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setProducerName(PRODUCER)
                .setProducerVersion(BuildInfo.version())
                .setModelVersion(1)
                .setDocString(meta.network() + " image classifier exported from DL4J: input " + INPUT + " float32 [N, "
                        + c + ", " + meta.inputHeight() + ", " + meta.inputWidth() + "] (NCHW, " + order
                        + ", pixel values in [0, 1]; normalized inside the graph), output " + OUTPUT + " float32 [N, "
                        + out.shape()[0] + "] softmax probabilities, index = class of metadata 'classes'")
                .setGraph(graph);
        Map<String, String> props = new java.util.LinkedHashMap<>();
        props.put("network", String.valueOf(meta.network()));
        props.put("classes", new String(Json.toBytes(meta.classes() == null ? List.of() : meta.classes()),
                java.nio.charset.StandardCharsets.UTF_8));
        props.put("mean", Arrays.toString(meta.mean()));
        props.put("std", Arrays.toString(meta.std()));
        props.put("layout", "NCHW");
        props.put("channel_order", order);
        props.put("input_height", Integer.toString(meta.inputHeight()));
        props.put("input_width", Integer.toString(meta.inputWidth()));
        props.put("input_channels", Integer.toString(c));
        props.put("pixel_range", "[0, 1]");
        props.put("normalization", "(x - mean) / std per channel, inside the graph");
        if (meta.dataset() != null) {
            props.put("dataset", meta.dataset());
        }
        if (meta.datasetSha256() != null) {
            props.put("dataset_sha256", meta.datasetSha256());
        }
        props.forEach((k, v) -> model.addMetadataProps(
                OnnxMl.StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
        return model.build();
    }

    /** A tensor of the graph and its shape per image: [C, H, W] (feature maps) or [features]. */
    private record Tensor(String name, long[] shape) {
        boolean maps() {
            return shape.length == 3;
        }
    }

    private static Tensor graph(Graph g, ComputationGraph graph, Tensor in) {
        ComputationGraphConfiguration conf = graph.getConfiguration();
        if (conf.getNetworkInputs().size() != 1 || conf.getNetworkOutputs().size() != 1) {
            throw new IllegalArgumentException("Cannot export a ComputationGraph with " + conf.getNetworkInputs().size()
                    + " inputs and " + conf.getNetworkOutputs().size() + " outputs to ONNX: one of each is supported");
        }
        Map<String, Tensor> tensors = new HashMap<>();
        tensors.put(conf.getNetworkInputs().get(0), in);
        for (String name : conf.getTopologicalOrderStr()) {
            if (tensors.containsKey(name)) {
                continue;
            }
            GraphVertex vertex = conf.getVertices().get(name);
            List<Tensor> inputs = new ArrayList<>();
            for (String input : conf.getVertexInputs().get(name)) {
                inputs.add(tensors.get(input));
            }
            Tensor out;
            if (vertex instanceof LayerVertex lv && lv.getClass() == LayerVertex.class) {
                if (inputs.size() != 1) {
                    throw new IllegalArgumentException("Cannot export layer '" + name + "': " + inputs.size()
                            + " inputs");
                }
                Tensor x = preprocess(g, name, lv.getPreProcessor(), inputs.get(0));
                out = layer(g, name, lv.getLayerConf().getLayer(), graph.getLayer(name), x);
            } else if (vertex instanceof ElementWiseVertex ew && ew.getClass() == ElementWiseVertex.class) {
                out = elementWise(g, name, ew.getOp(), inputs);
            } else if (vertex instanceof MergeVertex mv && mv.getClass() == MergeVertex.class) {
                out = merge(g, name, mv.getMergeAxis(), inputs);
            } else {
                throw unsupported(name, vertex, "vertex");
            }
            tensors.put(name, out);
        }
        return tensors.get(conf.getNetworkOutputs().get(0));
    }

    private static Tensor preprocess(Graph g, String name, InputPreProcessor pre, Tensor x) {
        if (pre == null) {
            return x;
        }
        if (pre.getClass() == CnnToFeedForwardPreProcessor.class
                && ((CnnToFeedForwardPreProcessor) pre).getFormat() == CNN2DFormat.NCHW && x.maps()) {
            return flatten(g, name + "/flatten", x);
        }
        throw new IllegalArgumentException("Cannot export the input preprocessor of layer '" + name + "' to ONNX: "
                + pre.getClass().getSimpleName() + " (" + pre + ") is not supported; supported: "
                + "CnnToFeedForwardPreProcessor (NCHW)");
    }

    private static Tensor flatten(Graph g, String name, Tensor x) {
        long n = 1;
        for (long d : x.shape()) {
            n *= d;
        }
        return new Tensor(g.node("Flatten", name, List.of(x.name()), Graph.attr("axis", 1)), new long[] {n});
    }

    private static Tensor layer(Graph g, String name, Layer conf, org.deeplearning4j.nn.api.Layer impl, Tensor x) {
        Class<?> type = conf.getClass();
        if (type == ConvolutionLayer.class) {
            return activation(g, name, ((ConvolutionLayer) conf).getActivationFn(),
                    conv(g, name, (ConvolutionLayer) conf, impl, x));
        } else if (type == BatchNormalization.class) {
            // No activation: DL4J 1.0.0-M2's BatchNormalization layer ignores the one it is configured with.
            return batchNorm(g, name, (BatchNormalization) conf, impl, x);
        } else if (type == SubsamplingLayer.class) {
            return pool(g, name, (SubsamplingLayer) conf, x);
        } else if (type == LocalResponseNormalization.class) {
            return lrn(g, name, (LocalResponseNormalization) conf, x);
        } else if (type == GlobalPoolingLayer.class) {
            return globalPool(g, name, (GlobalPoolingLayer) conf, x);
        } else if (type == DenseLayer.class || type == OutputLayer.class) {
            org.deeplearning4j.nn.conf.layers.FeedForwardLayer ff =
                    (org.deeplearning4j.nn.conf.layers.FeedForwardLayer) conf;
            boolean bias = type == DenseLayer.class ? ((DenseLayer) conf).hasBias() : ((OutputLayer) conf).hasBias();
            return activation(g, name, ff.getActivationFn(), dense(g, name, ff, bias, impl, x));
        } else if (type == ActivationLayer.class) {
            return activation(g, name, ((ActivationLayer) conf).getActivationFn(), x);
        } else if (type == DropoutLayer.class) {
            return x;
        }
        throw unsupported(name, conf, "layer");
    }

    private static IllegalArgumentException unsupported(String name, Object conf, String what) {
        return new IllegalArgumentException("Cannot export " + what + " '" + name + "' to ONNX: its type "
                + conf.getClass().getName() + " is not supported; supported layers: ConvolutionLayer, "
                + "BatchNormalization, SubsamplingLayer (MAX, AVG), LocalResponseNormalization, GlobalPoolingLayer "
                + "(AVG, MAX), DenseLayer, OutputLayer, ActivationLayer, DropoutLayer; vertices: ElementWiseVertex, "
                + "MergeVertex");
    }

    private static Tensor conv(Graph g, String name, ConvolutionLayer conf, org.deeplearning4j.nn.api.Layer impl,
                               Tensor x) {
        requireMaps(name, conf, x, conf.getCnn2dDataFormat());
        if (conf.getNIn() != x.shape()[0]) {
            throw new IllegalArgumentException("Cannot export layer '" + name + "': it takes " + conf.getNIn()
                    + " channels, its input has " + x.shape()[0] + " (model metadata and network disagree?)");
        }
        int[] k = conf.getKernelSize();
        int[] s = conf.getStride();
        int[] d = conf.getDilation() == null ? new int[] {1, 1} : conf.getDilation();
        Window w = window(name, conf, conf.getConvolutionMode(), x, k, s, d, conf.getPadding());
        List<String> inputs = new ArrayList<>(List.of(x.name(), g.init(name + "/W", impl.getParam("W"))));
        if (conf.hasBias()) {
            inputs.add(g.init(name + "/b", impl.getParam("b"), conf.getNOut()));
        }
        String y = g.node("Conv", name, inputs, Graph.attr("kernel_shape", k[0], k[1]),
                Graph.attr("strides", s[0], s[1]), Graph.attr("dilations", d[0], d[1]), Graph.attr("pads", w.pads()),
                Graph.attr("group", 1));
        return new Tensor(y, new long[] {conf.getNOut(), w.outH(), w.outW()});
    }

    /** Output size and ONNX pads [top, left, bottom, right] of a convolution or pooling window. */
    private record Window(long outH, long outW, long[] pads) {
    }

    private static Window window(String name, Object conf, ConvolutionMode mode, Tensor x, int[] k, int[] s, int[] d,
                                 int[] padding) {
        long[] in = {x.shape()[1], x.shape()[2]};
        long[] out = new long[2];
        long[] pads = new long[4];
        for (int i = 0; i < 2; i++) {
            long eff = k[i] + (long) (k[i] - 1) * (d[i] - 1);
            if (mode == ConvolutionMode.Same) {
                out[i] = (in[i] + s[i] - 1) / s[i];
                long total = Math.max(0, (out[i] - 1) * s[i] + eff - in[i]);
                pads[i] = total / 2;
                pads[i + 2] = total - total / 2;
            } else if (mode == ConvolutionMode.Truncate || mode == ConvolutionMode.Strict) {
                int p = padding == null ? 0 : padding[i];
                out[i] = (in[i] + 2L * p - eff) / s[i] + 1;
                pads[i] = p;
                pads[i + 2] = p;
            } else {
                throw new IllegalArgumentException("Cannot export layer '" + name + "' (" + conf.getClass().getName()
                        + ") to ONNX: convolution mode " + mode + " is not supported (Same, Truncate, Strict)");
            }
            if (out[i] < 1) {
                throw new IllegalArgumentException("Cannot export layer '" + name + "': its input "
                        + Arrays.toString(x.shape()) + " is smaller than its kernel");
            }
        }
        return new Window(out[0], out[1], pads);
    }

    private static void requireMaps(String name, Object conf, Tensor x, CNN2DFormat format) {
        if (format != null && format != CNN2DFormat.NCHW) {
            throw new IllegalArgumentException("Cannot export layer '" + name + "' (" + conf.getClass().getName()
                    + ") to ONNX: data format " + format + " is not supported (NCHW)");
        }
        if (!x.maps()) {
            throw new IllegalArgumentException("Cannot export layer '" + name + "' (" + conf.getClass().getName()
                    + "): it needs feature maps, its input is " + Arrays.toString(x.shape()));
        }
    }

    private static Tensor batchNorm(Graph g, String name, BatchNormalization conf,
                                    org.deeplearning4j.nn.api.Layer impl, Tensor x) {
        if (conf.getCnn2DFormat() != null && conf.getCnn2DFormat() != CNN2DFormat.NCHW && x.maps()) {
            requireMaps(name, conf, x, conf.getCnn2DFormat());
        }
        long c = x.shape()[0];
        if (conf.getNOut() != c) {
            throw new IllegalArgumentException("Cannot export layer '" + name + "': it normalizes " + conf.getNOut()
                    + " channels, its input has " + c);
        }
        String gamma;
        String beta;
        if (conf.isLockGammaBeta()) {
            float[] gv = new float[(int) c];
            float[] bv = new float[(int) c];
            Arrays.fill(gv, (float) conf.getGamma());
            Arrays.fill(bv, (float) conf.getBeta());
            gamma = g.init(name + "/gamma", gv, new long[] {c});
            beta = g.init(name + "/beta", bv, new long[] {c});
        } else {
            gamma = g.init(name + "/gamma", impl.getParam("gamma"), c);
            beta = g.init(name + "/beta", impl.getParam("beta"), c);
        }
        INDArray var;
        if (conf.isUseLogStd()) {
            // DL4J keeps log10 of the running standard deviation: var = (10^log10stdev)^2.
            double[] log10 = impl.getParam("log10stdev").castTo(DataType.DOUBLE).dup().data().asDouble();
            double[] v = new double[log10.length];
            for (int i = 0; i < v.length; i++) {
                double sd = Math.pow(10, log10[i]);
                v[i] = sd * sd;
            }
            var = org.nd4j.linalg.factory.Nd4j.createFromArray(v);
        } else {
            var = impl.getParam("var");
        }
        String y = g.node("BatchNormalization", name, List.of(x.name(), gamma, beta,
                        g.init(name + "/mean", impl.getParam("mean"), c), g.init(name + "/var", var, c)),
                Graph.attr("epsilon", (float) conf.getEps()));
        return new Tensor(y, x.shape());
    }

    private static Tensor pool(Graph g, String name, SubsamplingLayer conf, Tensor x) {
        requireMaps(name, conf, x, conf.getCnn2dDataFormat());
        int[] k = conf.getKernelSize();
        int[] s = conf.getStride();
        int[] d = conf.getDilation() == null ? new int[] {1, 1} : conf.getDilation();
        if (d[0] != 1 || d[1] != 1) {
            throw new IllegalArgumentException("Cannot export layer '" + name + "' (" + conf.getClass().getName()
                    + ") to ONNX: dilated pooling is not supported");
        }
        Window w = window(name, conf, conf.getConvolutionMode(), x, k, s, d, conf.getPadding());
        String y;
        if (conf.getPoolingType() == PoolingType.MAX) {
            y = g.node("MaxPool", name, List.of(x.name()), Graph.attr("kernel_shape", k[0], k[1]),
                    Graph.attr("strides", s[0], s[1]), Graph.attr("pads", w.pads()));
        } else if (conf.getPoolingType() == PoolingType.AVG) {
            y = g.node("AveragePool", name, List.of(x.name()), Graph.attr("kernel_shape", k[0], k[1]),
                    Graph.attr("strides", s[0], s[1]), Graph.attr("pads", w.pads()),
                    Graph.attr("count_include_pad", conf.isAvgPoolIncludePadInDivisor() ? 1 : 0));
        } else {
            throw new IllegalArgumentException("Cannot export layer '" + name + "' (" + conf.getClass().getName()
                    + ") to ONNX: pooling type " + conf.getPoolingType() + " is not supported (MAX, AVG)");
        }
        return new Tensor(y, new long[] {x.shape()[0], w.outH(), w.outW()});
    }

    private static Tensor lrn(Graph g, String name, LocalResponseNormalization conf, Tensor x) {
        requireMaps(name, conf, x, conf.getDataFormat());
        int half = (int) conf.getN() / 2;
        int size = 2 * half + 1;
        String y = g.node("LRN", name, List.of(x.name()), Graph.attr("size", size),
                Graph.attr("alpha", (float) (conf.getAlpha() * size)), Graph.attr("beta", (float) conf.getBeta()),
                Graph.attr("bias", (float) conf.getK()));
        return new Tensor(y, x.shape());
    }

    private static Tensor globalPool(Graph g, String name, GlobalPoolingLayer conf, Tensor x) {
        requireMaps(name, conf, x, null);
        int[] dims = conf.getPoolingDimensions();
        if (dims != null && !(dims.length == 2 && dims[0] == 2 && dims[1] == 3)) {
            throw new IllegalArgumentException("Cannot export layer '" + name + "' (" + conf.getClass().getName()
                    + ") to ONNX: pooling dimensions " + Arrays.toString(dims) + " are not supported ([2, 3])");
        }
        String op = switch (conf.getPoolingType()) {
            case AVG -> "GlobalAveragePool";
            case MAX -> "GlobalMaxPool";
            default -> throw new IllegalArgumentException("Cannot export layer '" + name + "' ("
                    + conf.getClass().getName() + ") to ONNX: pooling type " + conf.getPoolingType()
                    + " is not supported (AVG, MAX)");
        };
        Tensor pooled = new Tensor(g.node(op, name, List.of(x.name())), new long[] {x.shape()[0], 1, 1});
        return conf.isCollapseDimensions() ? flatten(g, name + "/flatten", pooled) : pooled;
    }

    private static Tensor dense(Graph g, String name, org.deeplearning4j.nn.conf.layers.FeedForwardLayer conf,
                                boolean bias, org.deeplearning4j.nn.api.Layer impl, Tensor x) {
        if (x.maps()) {
            throw new IllegalArgumentException("Cannot export layer '" + name + "' (" + conf.getClass().getName()
                    + "): its input is feature maps " + Arrays.toString(x.shape()) + " without a preprocessor");
        }
        if (conf.getNIn() != x.shape()[0]) {
            throw new IllegalArgumentException("Cannot export layer '" + name + "': it takes " + conf.getNIn()
                    + " inputs, its input has " + x.shape()[0] + " (model metadata and network disagree?)");
        }
        List<String> inputs = new ArrayList<>(List.of(x.name(), g.init(name + "/W", impl.getParam("W"))));
        if (bias) {
            inputs.add(g.init(name + "/b", impl.getParam("b"), conf.getNOut()));
        }
        String y = g.node("Gemm", name, inputs, Graph.attr("transB", 0));
        return new Tensor(y, new long[] {conf.getNOut()});
    }

    private static Tensor activation(Graph g, String name, IActivation fn, Tensor x) {
        if (fn == null || fn instanceof ActivationIdentity) {
            return x;
        }
        String op;
        if (fn.getClass() == ActivationReLU.class && fn.equals(new ActivationReLU())) {
            op = "Relu";
        } else if (fn.getClass() == ActivationTanH.class) {
            op = "Tanh";
        } else if (fn.getClass() == ActivationSigmoid.class) {
            op = "Sigmoid";
        } else if (fn.getClass() == ActivationSoftmax.class && !x.maps()) {
            return new Tensor(g.node("Softmax", name + "/softmax", List.of(x.name()), Graph.attr("axis", 1)),
                    x.shape());
        } else {
            throw new IllegalArgumentException("Cannot export the activation of layer '" + name + "' to ONNX: " + fn
                    + " (" + fn.getClass().getName() + ") on " + Arrays.toString(x.shape())
                    + " is not supported (plain ReLU, identity, tanh, sigmoid, softmax on vectors)");
        }
        return new Tensor(g.node(op, name + "/" + op.toLowerCase(Locale.ROOT), List.of(x.name())), x.shape());
    }

    private static Tensor elementWise(Graph g, String name, ElementWiseVertex.Op op, List<Tensor> inputs) {
        for (Tensor t : inputs) {
            if (!Arrays.equals(t.shape(), inputs.get(0).shape())) {
                throw new IllegalArgumentException("Cannot export vertex '" + name + "': inputs of shapes "
                        + inputs.stream().map(i -> Arrays.toString(i.shape())).toList());
            }
        }
        String onnx = switch (op) {
            case Add -> inputs.size() == 2 ? "Add" : "Sum";
            case Subtract -> "Sub";
            case Product -> inputs.size() == 2 ? "Mul" : null;
            case Average -> "Mean";
            case Max -> "Max";
        };
        if (onnx == null || (op == ElementWiseVertex.Op.Subtract && inputs.size() != 2)) {
            throw new IllegalArgumentException("Cannot export vertex '" + name + "' (ElementWiseVertex " + op + ") of "
                    + inputs.size() + " inputs to ONNX");
        }
        return new Tensor(g.node(onnx, name, inputs.stream().map(Tensor::name).toList()), inputs.get(0).shape());
    }

    private static Tensor merge(Graph g, String name, int axis, List<Tensor> inputs) {
        long[] shape = inputs.get(0).shape().clone();
        if (axis != 1) {
            throw new IllegalArgumentException("Cannot export vertex '" + name + "' (MergeVertex on axis " + axis
                    + ") to ONNX: only the channel/feature axis 1 is supported");
        }
        shape[0] = 0;
        for (Tensor t : inputs) {
            if (t.shape().length != shape.length
                    || !Arrays.equals(Arrays.copyOfRange(t.shape(), 1, shape.length),
                    Arrays.copyOfRange(shape, 1, shape.length))) {
                throw new IllegalArgumentException("Cannot export vertex '" + name + "': inputs of shapes "
                        + inputs.stream().map(i -> Arrays.toString(i.shape())).toList() + " do not concatenate");
            }
            shape[0] += t.shape()[0];
        }
        return new Tensor(g.node("Concat", name, inputs.stream().map(Tensor::name).toList(), Graph.attr("axis", 1)),
                shape);
    }

    private static OnnxMl.ValueInfoProto valueInfo(String name, String batch, long... dims) {
        OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder()
                .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam(batch));
        for (long d : dims) {
            shape.addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return OnnxMl.ValueInfoProto.newBuilder().setName(name).setType(OnnxMl.TypeProto.newBuilder()
                .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
                        .setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()).setShape(shape))).build();
    }

    /** Nodes and initializers under construction; tensor names are unique. */
    private static final class Graph {
        final List<OnnxMl.NodeProto> nodes = new ArrayList<>();
        final List<OnnxMl.TensorProto> initializers = new ArrayList<>();

        /** Adds a node with one output, named after the node; returns the output's name. */
        String node(String op, String name, List<String> inputs, OnnxMl.AttributeProto... attributes) {
            String output = name + ":0";
            nodes.add(OnnxMl.NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(inputs).addOutput(output)
                    .addAllAttribute(List.of(attributes)).build());
            return output;
        }

        /** Renames a node output (the graph's last) everywhere. */
        void rename(String from, String to) {
            for (int i = 0; i < nodes.size(); i++) {
                OnnxMl.NodeProto n = nodes.get(i);
                OnnxMl.NodeProto.Builder b = n.toBuilder().clearInput().clearOutput();
                n.getInputList().forEach(s -> b.addInput(s.equals(from) ? to : s));
                n.getOutputList().forEach(s -> b.addOutput(s.equals(from) ? to : s));
                nodes.set(i, b.build());
            }
        }

        /** A float32 initializer of an array as it is shaped. */
        String init(String name, INDArray array) {
            return init(name, array, array.shape());
        }

        /** A 1-D float32 initializer of an array of {@code n} elements (e.g. a [1, n] bias). */
        String init(String name, INDArray array, long n) {
            if (array.length() != n) {
                throw new IllegalStateException(name + " has " + array.length() + " elements, expected " + n);
            }
            return init(name, array, new long[] {n});
        }

        private String init(String name, INDArray array, long[] dims) {
            return init(name, array.castTo(DataType.FLOAT).dup('c').data().asFloat(), dims);
        }

        String init(String name, float[] values, long[] dims) {
            ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            bytes.asFloatBuffer().put(values);
            OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder().setName(name)
                    .setDataType(OnnxMl.TensorProto.DataType.FLOAT.getNumber())
                    .setRawData(ByteString.copyFrom(bytes.array()));
            for (long d : dims) {
                t.addDims(d);
            }
            initializers.add(t.build());
            return name;
        }

        static OnnxMl.AttributeProto attr(String name, long... ints) {
            return OnnxMl.AttributeProto.newBuilder().setName(name)
                    .setType(OnnxMl.AttributeProto.AttributeType.INTS)
                    .addAllInts(Arrays.stream(ints).boxed().toList()).build();
        }

        static OnnxMl.AttributeProto attr(String name, int value) {
            return OnnxMl.AttributeProto.newBuilder().setName(name)
                    .setType(OnnxMl.AttributeProto.AttributeType.INT).setI(value).build();
        }

        static OnnxMl.AttributeProto attr(String name, float value) {
            return OnnxMl.AttributeProto.newBuilder().setName(name)
                    .setType(OnnxMl.AttributeProto.AttributeType.FLOAT).setF(value).build();
        }
    }
}
