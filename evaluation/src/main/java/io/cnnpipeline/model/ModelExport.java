package io.cnnpipeline.model;

import io.cnnpipeline.core.HadoopFiles;
import io.cnnpipeline.core.StageFailedException;
import io.cnnpipeline.evaluation.CropPlan;
import io.cnnpipeline.image.UInt8Image;
import io.cnnpipeline.training.ModelCard;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code cnn-pipeline export}: a trained model written as ONNX ({@link OnnxExporter}), optionally verified against
 * DL4J in ONNX Runtime on real images ({@link OnnxParity}), and recorded in the model card beside the model (and
 * beside the exported file when it is elsewhere). Driver-side.
 */
public final class ModelExport {
    /** Largest |p_onnx − p_dl4j| (softmax probabilities) a verified export may have. */
    public static final double TOLERANCE = 1e-4;
    /** Smallest share of images whose top-1 class must agree. */
    public static final double MIN_TOP1_AGREEMENT = 0.999;

    private ModelExport() {
    }

    /**
     * What was exported.
     *
     * @param file         URI of the ONNX file
     * @param bytes        its size in bytes
     * @param sha256       SHA-256 of its bytes
     * @param verification the comparison with DL4J, or null when not verified
     */
    public record Result(String file, long bytes, String sha256, OnnxParity.Result verification) {
        /** One line for the command line. */
        public String line() {
            String v = verification == null ? "not verified" : String.format(Locale.ROOT,
                    "verified against DL4J on %d images: max |p_onnx - p_dl4j| %.2e, top-1 agreement %d/%d (%.2f%%)",
                    verification.images(), verification.maxAbsDifference(), verification.top1Agreements(),
                    verification.images(), 100.0 * verification.top1Agreements() / verification.images());
            return String.format(Locale.ROOT, "export: %s (ONNX opset %d, %,d bytes, sha256 %s); %s", file,
                    OnnxExporter.OPSET, bytes, sha256, v);
        }
    }

    /**
     * The centre crops of {@code images} as the model sees them (its centre scale and input size), as float NCHW
     * {@code [n, C, size, size]} pixel values in [0, 1]: the input of the exported graph.
     */
    public static INDArray pixels(TrainedModel model, List<UInt8Image> images) {
        int size = model.inputSize();
        int c = model.channels();
        CropPlan plan = new CropPlan(size, model.centreScale(), List.of(size));
        float[] x = new float[images.size() * c * size * size];
        int plane = size * size;
        for (int i = 0; i < images.size(); i++) {
            UInt8Image crop = plan.views(images.get(i)).get(0);
            byte[] px = crop.pixels();
            for (int p = 0; p < plane; p++) {
                for (int ch = 0; ch < c; ch++) {
                    x[(i * c + ch) * plane + p] = (px[p * c + ch] & 0xFF) / 255f;
                }
            }
        }
        return Nd4j.create(x, new long[] {images.size(), c, size, size}, 'c');
    }

    /**
     * Exports {@code model} to {@code output} (written atomically) and, when {@code pixels} is not null, checks it
     * against DL4J on them; records the export in the model card beside the model, if it has one, and writes that card
     * beside the ONNX file too when it is in another folder.
     *
     * @param pixels float NCHW images in [0, 1] at the model's input size ({@link #pixels}), or null
     * @throws StageFailedException     if the verification finds a difference above {@link #TOLERANCE} or a top-1
     *                                  agreement below {@link #MIN_TOP1_AGREEMENT} (the file stays, for inspection)
     * @throws IllegalArgumentException if the network has a layer the exporter does not support (named)
     */
    public static Result onnx(TrainedModel model, String output, INDArray pixels, Configuration hadoop) {
        byte[] onnx = OnnxExporter.export(model);
        FileSystem fs = HadoopFiles.fs(output, hadoop);
        Path target = fs.makeQualified(new Path(output));
        HadoopFiles.requireWritable(fs, target.getParent(), "the ONNX model");
        HadoopFiles.writeAtomically(fs, target, onnx);
        String sha = io.cnnpipeline.dataset.DatasetDirectory.sha256(onnx);
        OnnxParity.Result parity = pixels == null ? null : OnnxParity.compare(onnx, model, pixels);
        Result result = new Result(target.toString(), onnx.length, sha, parity);
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("opset", OnnxExporter.OPSET);
        details.put("irVersion", OnnxExporter.IR_VERSION);
        details.put("input", OnnxExporter.INPUT + " float32 [N, " + model.channels() + ", " + model.inputSize() + ", "
                + model.inputSize() + "], pixels in [0, 1], normalization in the graph");
        if (parity != null) {
            details.put("verifiedImages", parity.images());
            details.put("maxAbsDifference", parity.maxAbsDifference());
            details.put("top1Agreement", (double) parity.top1Agreements() / parity.images());
        }
        Path modelDir = new Path(model.source()).getParent();
        FileSystem modelFs = HadoopFiles.fs(model.source(), hadoop);
        ModelCard card = model.source().equals("memory") ? null : ModelCard.read(modelFs, modelDir);
        if (card != null) {
            ModelCard updated = card.withExport(new ModelCard.Export("onnx", target.toString(), sha, details,
                    java.time.Instant.now().toString()));
            updated.write(modelFs, modelDir);
            if (!fs.makeQualified(target.getParent()).equals(modelFs.makeQualified(modelDir))) {
                updated.write(fs, target.getParent());
            }
        }
        if (parity != null && (parity.maxAbsDifference() > TOLERANCE
                || parity.top1Agreements() < MIN_TOP1_AGREEMENT * parity.images())) {
            throw new StageFailedException("The ONNX export " + target + " differs from DL4J: " + result.line()
                    + " (limits: " + TOLERANCE + " and " + MIN_TOP1_AGREEMENT * 100 + "%)");
        }
        return result;
    }
}
