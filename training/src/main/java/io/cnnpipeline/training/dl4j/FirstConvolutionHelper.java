package io.cnnpipeline.training.dl4j;

import java.lang.reflect.Field;
import java.util.Collections;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.layers.convolution.ConvolutionHelper;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.params.ConvolutionParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The convolution helper of a network's first convolution layer during training: the forward pass runs on the layer's
 * own (oneDNN) helper, the backward pass computes only the weight and bias gradients and no gradient with respect to
 * the network's input, which training discards.
 *
 * <p>DL4J 1.0.0-M2's backward pass computes every layer's input gradient, the first layer's included, and oneDNN's
 * {@code conv2d_bp} always produces both the data and the weight gradient; DL4J then throws the first layer's input
 * gradient away ({@code MultiLayerNetwork.calcBackpropGradients} with {@code returnInputActGrad = false}, as in
 * {@code fit}). PyTorch does not compute it for an input that needs no gradient. Here the weight gradient is one
 * forward convolution (oneDNN's, through libnd4j's {@code conv2d}):
 * dW[o, i, kh, kw] = Σ_{n,h,w} x[n, i, s·h + kh − p, s·w + kw − p] · δ[n, o, h, w] is the convolution of the input
 * with minibatch and channels swapped by δ (also swapped) as a kernel dilated by the stride s; the bias gradient is δ
 * summed over minibatch and positions. For LeNet's first layer (5×5, 1 → 20 channels, 28×28, minibatch 32, one
 * thread) that is 5.1 ms against 9.6 ms for oneDNN's {@code conv2d_bp} (data and weights), and for a 3×3, 1 → 32
 * layer on 16×16 0.95 against 1.7 ms (docs/cpu-profile.md). For outputs larger than {@value #MAX_OUTPUT_AREA} pixels
 * the output gradient becomes a kernel too large for this to pay, and oneDNN's full backward pass runs instead.
 *
 * <p>Installed only by {@link #install(Model)} on networks that this project trains, and only where it is exact: a
 * plain {@code ConvolutionLayer} (not frozen, not a subclass) fed by the network input, NCHW, float32, no dilation and
 * no dropout on its input, whose helper is oneDNN's. The layer's input gradient is then {@code null}: such a network
 * must not be asked for input gradients ({@code MultiLayerNetwork.backpropGradient}), which this project never does.
 */
final class FirstConvolutionHelper implements ConvolutionHelper {
    private static final Field HELPER_FIELD;

    static {
        try {
            HELPER_FIELD = ConvolutionLayer.class.getDeclaredField("helper");
            HELPER_FIELD.setAccessible(true);
        } catch (NoSuchFieldException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** {@code -Dcnnpipeline.first-layer-input-gradient=true} keeps DL4J's full backward pass (for comparison). */
    static final String KEEP_PROPERTY = "cnnpipeline.first-layer-input-gradient";

    /**
     * Largest output (out H × out W, pixels) whose weight gradient is computed as one convolution; larger ones use
     * oneDNN's full backward pass. Measured faster up to LeNet's 24×24 and small-cnn's 28×28.
     */
    static final long MAX_OUTPUT_AREA = 32 * 32;

    private final ConvolutionHelper forward;
    /**
     * Whether the layer has a bias. DL4J hands a helper that is not oneDNN's a zero bias and a dummy bias-gradient
     * view for a layer without one; oneDNN's helper must get neither (with a null bias and a bias-gradient view its
     * conv2d_bp leaves oneDNN for libnd4j's slow generic path).
     */
    private final boolean hasBias;

    private FirstConvolutionHelper(ConvolutionHelper forward, boolean hasBias) {
        this.forward = forward;
        this.hasBias = hasBias;
    }

    /**
     * Installs the helper on the first convolution layer(s) of {@code model} (a {@code MultiLayerNetwork}'s layer 0,
     * or a {@code ComputationGraph}'s layers fed directly by a network input) where it applies. Idempotent; a model
     * without such a layer, or on a backend without oneDNN helpers, is left as it is.
     *
     * @return the number of layers it was installed on (0 if already installed, or with {@value #KEEP_PROPERTY})
     */
    static int install(Model model) {
        if (Boolean.getBoolean(KEEP_PROPERTY)) {
            return 0;
        }
        int installed = 0;
        if (model instanceof MultiLayerNetwork net) {
            if (net.getLayers() != null && net.getLayers().length > 0
                    && net.getLayerWiseConfigurations().getInputPreProcess(0) == null) {
                installed += installOn(net.getLayer(0));
            }
        } else if (model instanceof ComputationGraph graph && graph.getVertices() != null) {
            for (GraphVertex vertex : graph.getVertices()) {
                if (!vertex.hasLayer() || vertex.getInputVertices() == null || vertex.getInputVertices().length != 1
                        || vertex.getInputVertices()[0] == null) {
                    continue;
                }
                // Only the input's one consumer, without a preprocessor: the graph adds up the epsilons of an
                // input's consumers, and a preprocessor's backward pass would get a null one.
                GraphVertex in = graph.getVertices()[vertex.getInputVertices()[0].getVertexIndex()];
                if (in.isInputVertex() && in.getOutputVertices() != null && in.getOutputVertices().length == 1
                        && vertex instanceof org.deeplearning4j.nn.graph.vertex.impl.LayerVertex lv
                        && lv.getLayerPreProcessor() == null) {
                    installed += installOn(vertex.getLayer());
                }
            }
        }
        return installed;
    }

    private static int installOn(Layer layer) {
        if (layer.getClass() != ConvolutionLayer.class) {
            return 0;   // frozen layers, subclasses (1-D, depthwise, separable, deconvolution) and other layers
        }
        org.deeplearning4j.nn.conf.layers.ConvolutionLayer conf =
                (org.deeplearning4j.nn.conf.layers.ConvolutionLayer) layer.conf().getLayer();
        if (conf.getCnn2dDataFormat() != CNN2DFormat.NCHW || conf.getIDropout() != null
                || conf.getDilation()[0] != 1 || conf.getDilation()[1] != 1) {
            return 0;
        }
        try {
            Object helper = HELPER_FIELD.get(layer);
            if (!(helper instanceof MKLDNNConvHelper)) {
                return 0;   // already installed, no helper, or another backend's
            }
            HELPER_FIELD.set(layer, new FirstConvolutionHelper((ConvolutionHelper) helper, conf.hasBias()));
            return 1;
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("Cannot install the first-layer convolution helper", e);
        }
    }

    /** Whether {@code layer} runs with this helper (for tests). */
    static boolean isInstalled(Layer layer) {
        try {
            return layer instanceof ConvolutionLayer && HELPER_FIELD.get(layer) instanceof FirstConvolutionHelper;
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public boolean checkSupported() {
        return forward.checkSupported();
    }

    /**
     * Weight and bias gradients only, into DL4J's gradient views; the input gradient returned is {@code null}.
     *
     * @param input          NCHW float32 [minibatch, in channels, H, W]
     * @param delta          NCHW [minibatch, out channels, out H, out W], the gradient at the pre-activation
     * @param pad            top/left padding as the layer computed it (in Same mode, from the output size)
     * @param weightGradView [out channels, in channels, kH, kW], C order
     * @param bias           [1, out channels]; DL4J's zero dummy for a layer without a bias (ignored then)
     * @param biasGradView   [1, out channels]; DL4J's dummy for a layer without a bias (ignored then)
     */
    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray input, INDArray weights, INDArray bias, INDArray delta,
                                                     int[] kernel, int[] strides, int[] pad, INDArray biasGradView,
                                                     INDArray weightGradView, IActivation afn,
                                                     org.deeplearning4j.nn.conf.layers.ConvolutionLayer.AlgoMode mode,
                                                     org.deeplearning4j.nn.conf.layers.ConvolutionLayer.BwdFilterAlgo
                                                             bwdFilterAlgo,
                                                     org.deeplearning4j.nn.conf.layers.ConvolutionLayer.BwdDataAlgo
                                                             bwdDataAlgo,
                                                     ConvolutionMode convolutionMode, int[] dilation,
                                                     CNN2DFormat format, LayerWorkspaceMgr workspaceMgr) {
        if (!hasBias) {
            bias = null;
            biasGradView = null;
        }
        if (input.dataType() != DataType.FLOAT || format != CNN2DFormat.NCHW) {
            return forward.backpropGradient(input, weights, bias, delta, kernel, strides, pad, biasGradView,
                    weightGradView, afn, mode, bwdFilterAlgo, bwdDataAlgo, convolutionMode, dilation, format,
                    workspaceMgr);
        }
        long minibatch = input.size(0);
        long inChannels = input.size(1);
        long outChannels = weights.size(0);
        int kH = (int) weights.size(2);
        int kW = (int) weights.size(3);
        int outH = (int) delta.size(2);
        int outW = (int) delta.size(3);
        // dW[o, i, kh, kw] = sum over n, h, w of x[n, i, s*h + kh - pad, s*w + kw - pad] * delta[n, o, h, w]: a
        // convolution of the input with the channels and the minibatch swapped ([in channels, minibatch, H, W]) by
        // delta as its kernel ([out channels, minibatch, out H, out W]), dilated by the stride, at stride 1 and the
        // layer's top/left padding on both sides; its output [in channels, out channels, rows, cols] holds dW in the
        // first kH x kW positions.
        long rows = input.size(2) + 2L * pad[0] - (long) strides[0] * (outH - 1);
        long cols = input.size(3) + 2L * pad[1] - (long) strides[1] * (outW - 1);
        if (rows < kH || cols < kW || (long) outH * outW > MAX_OUTPUT_AREA) {
            // Same mode with more padding at the bottom/right than at the top/left: the symmetric padding of this
            // formulation cannot reach the last taps. Large outputs: the output gradient becomes a huge kernel, which
            // oneDNN runs slowly and with large scratch memory (ResNet-18's 7x7/2 stem at 224x224, a 112x112 kernel
            // dilated by 2: 1.6x the CPU time and +1 GB resident against conv2d_bp). DL4J's full backward pass instead.
            return forward.backpropGradient(input, weights, bias, delta, kernel, strides, pad, biasGradView,
                    weightGradView, afn, mode, bwdFilterAlgo, bwdDataAlgo, convolutionMode, dilation, format,
                    workspaceMgr);
        }
        INDArray swappedInput = inChannels == 1 ? input.reshape('c', 1, minibatch, input.size(2), input.size(3))
                : input.permute(1, 0, 2, 3);
        INDArray deltaKernel = delta.permute(1, 0, 2, 3);
        INDArray out = workspaceMgr.createUninitialized(ArrayType.BP_WORKING_MEM, DataType.FLOAT,
                new long[] {inChannels, outChannels, rows, cols}, 'c');
        Nd4j.exec(DynamicCustomOp.builder("conv2d").addInputs(swappedInput, deltaKernel).addOutputs(out)
                .addIntegerArguments(outH, outW, 1, 1, pad[0], pad[1], strides[0], strides[1], 0, 0, 1).build());
        INDArray dW = out.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, kH),
                NDArrayIndex.interval(0, kW)).permute(1, 0, 2, 3);
        weightGradView.assign(dW);
        Gradient g = new DefaultGradient();
        if (hasBias) {
            biasGradView.assign(delta.sum(0, 2, 3).reshape(biasGradView.shape()));
            g.gradientForVariable().put(ConvolutionParamInitializer.BIAS_KEY, biasGradView);
        }
        g.gradientForVariable().put(ConvolutionParamInitializer.WEIGHT_KEY, weightGradView);
        return new Pair<>(g, null);
    }

    @Override
    public INDArray preOutput(INDArray input, INDArray weights, INDArray bias, int[] kernel, int[] strides, int[] pad,
                              org.deeplearning4j.nn.conf.layers.ConvolutionLayer.AlgoMode mode,
                              org.deeplearning4j.nn.conf.layers.ConvolutionLayer.FwdAlgo fwdAlgo,
                              ConvolutionMode convolutionMode, int[] dilation, CNN2DFormat format,
                              LayerWorkspaceMgr workspaceMgr) {
        return forward.preOutput(input, weights, hasBias ? bias : null, kernel, strides, pad, mode, fwdAlgo,
                convolutionMode, dilation, format, workspaceMgr);
    }

    @Override
    public INDArray activate(INDArray z, IActivation afn, boolean training) {
        return forward.activate(z, afn, training);
    }

    @Override
    public Map<String, Long> helperMemoryUse() {
        return Collections.emptyMap();
    }
}
