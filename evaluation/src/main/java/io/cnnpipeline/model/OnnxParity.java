package io.cnnpipeline.model;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.cnnpipeline.training.ModelMeta;
import io.cnnpipeline.training.TrainableNetwork;
import java.nio.FloatBuffer;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Checks an exported ONNX model against the DL4J network it came from: runs both on the same images, batch by batch,
 * and compares the softmax outputs. ONNX Runtime (CPU, one intra-op thread) gets the raw [0, 1] pixels — the model
 * normalizes them itself — and DL4J the pixels normalized per channel as in training, {@code (x - mean) / std} with
 * the model's {@code model-meta.json} statistics (computed in float32, as the ONNX graph does).
 *
 * <p>For the tests of {@link OnnxExporter} and the export command's verification. Not thread-safe (one DL4J network).
 */
public final class OnnxParity {
    /** Images per forward pass, the same batches for both runtimes. */
    public static final int DEFAULT_BATCH = 64;

    private OnnxParity() {
    }

    /**
     * How far the ONNX model's outputs are from DL4J's.
     *
     * @param images           images compared
     * @param maxAbsDifference largest |p_onnx − p_dl4j| over all images and classes (probabilities, in [0, 1])
     * @param top1Agreements   images whose most probable class is the same for both
     */
    public record Result(int images, double maxAbsDifference, int top1Agreements) {
        /** Whether every output is within {@code tolerance} and every top-1 class agrees. */
        public boolean within(double tolerance) {
            return maxAbsDifference <= tolerance && top1Agreements == images;
        }
    }

    /** {@link #compare(byte[], TrainableNetwork, ModelMeta, INDArray, int)} of a loaded model, 64 per batch. */
    public static Result compare(byte[] onnxModel, TrainedModel model, INDArray pixels) {
        return compare(onnxModel, model.network(), model.meta(), pixels, DEFAULT_BATCH);
    }

    /**
     * Runs {@code onnxModel} in ONNX Runtime and {@code network} in DL4J on the same images and compares the outputs.
     *
     * @param onnxModel ONNX model bytes (of {@link OnnxExporter#export})
     * @param network   the DL4J network
     * @param meta      its metadata: the mean and std DL4J's inputs are normalized with
     * @param pixels    float NCHW {@code [n, C, H, W]} images of pixel values in [0, 1], RGB (or luma), at the model's
     *                  input size
     * @param batch     images per forward pass (≥ 1)
     * @throws IllegalArgumentException if the images are not [n, C, H, W] of the model's channels or batch &lt; 1
     * @throws IllegalStateException    if ONNX Runtime cannot load or run the model (message from ONNX Runtime)
     */
    public static Result compare(byte[] onnxModel, TrainableNetwork network, ModelMeta meta, INDArray pixels,
                                 int batch) {
        if (pixels.rank() != 4 || pixels.size(1) != meta.channels() || batch < 1) {
            throw new IllegalArgumentException("Cannot compare: images must be [n, " + meta.channels() + ", H, W] "
                    + "and batch ≥ 1, got " + java.util.Arrays.toString(pixels.shape()) + " and batch " + batch);
        }
        int n = (int) pixels.size(0);
        int c = meta.channels();
        long h = pixels.size(2);
        long w = pixels.size(3);
        int plane = (int) (h * w);
        float[] mean = new float[c];
        float[] std = new float[c];
        for (int i = 0; i < c; i++) {
            mean[i] = (float) meta.mean()[i];
            std[i] = (float) meta.std()[i];
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        double maxDiff = 0;
        int agree = 0;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            options.setInterOpNumThreads(1);
            try (OrtSession session = env.createSession(onnxModel, options)) {
                for (int start = 0; start < n; start += batch) {
                    int m = Math.min(batch, n - start);
                    float[] raw = pixels.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(start, start + m))
                            .castTo(DataType.FLOAT).dup('c').data().asFloat();
                    float[] normalized = new float[raw.length];
                    for (int i = 0; i < raw.length; i++) {
                        int ch = (i / plane) % c;
                        normalized[i] = (raw[i] - mean[ch]) / std[ch];
                    }
                    long[] shape = {m, c, h, w};
                    INDArray dl4j = network.output(Nd4j.create(normalized, shape, 'c'));
                    float[][] onnx;
                    try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(raw), shape);
                         OrtSession.Result result = session.run(Map.of(OnnxExporter.INPUT, input))) {
                        onnx = (float[][]) result.get(0).getValue();
                    }
                    for (int i = 0; i < m; i++) {
                        int bestOnnx = 0;
                        int bestDl4j = 0;
                        for (int k = 0; k < onnx[i].length; k++) {
                            double p = dl4j.getDouble(i, k);
                            maxDiff = Math.max(maxDiff, Math.abs(onnx[i][k] - p));
                            if (onnx[i][k] > onnx[i][bestOnnx]) {
                                bestOnnx = k;
                            }
                            if (p > dl4j.getDouble(i, bestDl4j)) {
                                bestDl4j = k;
                            }
                        }
                        if (bestOnnx == bestDl4j) {
                            agree++;
                        }
                    }
                }
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime cannot run the model: " + e.getMessage(), e);
        }
        return new Result(n, maxDiff, agree);
    }
}
