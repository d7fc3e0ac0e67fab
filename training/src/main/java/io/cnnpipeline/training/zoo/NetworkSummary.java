package io.cnnpipeline.training.zoo;

import io.cnnpipeline.training.TrainingConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * A network's summary: per layer its name, type, output shape, parameter count and floating-point operations for one
 * image's forward pass; and the totals. FLOPs count a multiply-add as 2: convolution 2·k_h·k_w·(C_in/groups)·C_out·
 * H_out·W_out (+ H_out·W_out·C_out with a bias), dense 2·n_in·n_out (+ n_out), batch norm 2 per output value, pooling
 * k_h·k_w per output value; activations are not counted (the convention of the FLOP figures in the ResNet and VGG
 * papers, which count multiply-adds of convolutions and fully connected layers).
 */
public final class NetworkSummary {
    /** One layer's row. */
    public record Row(int index, String name, String type, String outputShape, long parameters, long flops) {
    }

    private final List<Row> rows;

    private NetworkSummary(List<Row> rows) {
        this.rows = rows;
    }

    /**
     * Summarizes a network configuration for a convolutional input.
     *
     * @param height   input height in pixels
     * @param width    input width in pixels
     * @param channels input channels
     */
    public static NetworkSummary of(MultiLayerConfiguration conf, int height, int width, int channels) {
        MultiLayerNetwork net = new MultiLayerNetwork(conf.clone());
        net.init();
        List<InputType> types = conf.getLayerActivationTypes(InputType.convolutional(height, width, channels));
        List<Row> rows = new ArrayList<>();
        InputType in = InputType.convolutional(height, width, channels);
        for (int i = 0; i < conf.getConfs().size(); i++) {
            Layer layer = conf.getConf(i).getLayer();
            InputType out = types.get(i);
            rows.add(new Row(i, layer.getLayerName() == null ? "layer" + i : layer.getLayerName(),
                    layer.getClass().getSimpleName(), shape(out), net.getLayer(i).numParams(), flops(layer, in, out)));
            in = out;
        }
        return new NetworkSummary(rows);
    }

    /**
     * Summarizes a graph configuration for a convolutional input: its layers in topological order (vertices without
     * parameters, such as additions and concatenations, are listed with zero parameters and FLOPs).
     */
    public static NetworkSummary of(org.deeplearning4j.nn.conf.ComputationGraphConfiguration conf, int height,
                                    int width, int channels) {
        org.deeplearning4j.nn.graph.ComputationGraph graph = new org.deeplearning4j.nn.graph.ComputationGraph(
                conf.clone());
        graph.init();
        java.util.Map<String, InputType> types = conf.getLayerActivationTypes(
                InputType.convolutional(height, width, channels));
        List<Row> rows = new ArrayList<>();
        int index = 0;
        for (int v : graph.topologicalSortOrder()) {
            org.deeplearning4j.nn.graph.vertex.GraphVertex vertex = graph.getVertices()[v];
            if (vertex.isInputVertex()) {
                continue;
            }
            String name = vertex.getVertexName();
            InputType out = types.get(name);
            List<String> inputs = conf.getVertexInputs().get(name);
            InputType in = inputs == null || inputs.isEmpty() ? null : types.get(inputs.get(0));
            if (in == null && inputs != null && !inputs.isEmpty() && conf.getNetworkInputs().contains(inputs.get(0))) {
                in = InputType.convolutional(height, width, channels);
            }
            if (vertex.hasLayer()) {
                Layer layer = vertex.getLayer().conf().getLayer();
                rows.add(new Row(index++, name, layer.getClass().getSimpleName(), shape(out), vertex.getLayer()
                        .numParams(), in == null ? 0 : flops(layer, in, out)));
            } else {
                rows.add(new Row(index++, name, conf.getVertices().get(name).getClass().getSimpleName(), shape(out),
                        0, 0));
            }
        }
        return new NetworkSummary(rows);
    }

    /** Summarizes the configured network, sequential or graph, for the given input. */
    public static NetworkSummary of(TrainingConfig config, int height, int width, int channels, int classes) {
        return config.network().graph()
                ? of(Networks.buildGraph(config, height, width, channels, classes), height, width, channels)
                : of(Networks.build(config, height, width, channels, classes), height, width, channels);
    }

    public List<Row> rows() {
        return rows;
    }

    public long parameters() {
        return rows.stream().mapToLong(Row::parameters).sum();
    }

    public long flops() {
        return rows.stream().mapToLong(Row::flops).sum();
    }

    /** The summary as a fixed-width text table. */
    public String render() {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%-4s %-20s %-20s %-16s %12s %12s%n", "#", "name", "type", "output (CxHxW)",
                "parameters", "MFLOPs"));
        for (Row r : rows) {
            b.append(String.format(Locale.ROOT, "%-4d %-20s %-20s %-16s %,12d %12.2f%n", r.index(), r.name(),
                    r.type(), r.outputShape(), r.parameters(), r.flops() / 1e6));
        }
        b.append(String.format(Locale.ROOT, "total: %,d parameters (%.2f MB as float32), %.2f MFLOPs per image "
                + "(forward)%n", parameters(), parameters() * 4 / 1e6, flops() / 1e6));
        return b.toString();
    }

    private static String shape(InputType t) {
        if (t instanceof InputType.InputTypeConvolutional c) {
            return c.getChannels() + "x" + c.getHeight() + "x" + c.getWidth();
        }
        if (t instanceof InputType.InputTypeFeedForward f) {
            return Long.toString(f.getSize());
        }
        return t.toString();
    }

    private static long size(InputType t) {
        return t.arrayElementsPerExample();
    }

    static long flops(Layer layer, InputType in, InputType out) {
        if (layer instanceof ConvolutionLayer conv && out instanceof InputType.InputTypeConvolutional o) {
            int[] k = conv.getKernelSize();
            long perOutput = 2L * k[0] * k[1] * conv.getNIn();
            long outputs = o.getChannels() * o.getHeight() * o.getWidth();
            return perOutput * outputs + (conv.hasBias() ? outputs : 0);
        }
        if (layer instanceof SubsamplingLayer pool && out instanceof InputType.InputTypeConvolutional o) {
            int[] k = pool.getKernelSize();
            return (long) k[0] * k[1] * o.getChannels() * o.getHeight() * o.getWidth();
        }
        if (layer instanceof BatchNormalization) {
            return 2 * size(out);
        }
        if (layer instanceof FeedForwardLayer ff) {
            return 2 * ff.getNIn() * ff.getNOut() + ff.getNOut();
        }
        return 0;
    }
}
