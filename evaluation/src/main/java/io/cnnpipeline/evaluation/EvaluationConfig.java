package io.cnnpipeline.evaluation;

import static io.cnnpipeline.preprocessing.InvalidConfigException.require;

import java.io.Serializable;
import java.util.List;

/**
 * Settings of the evaluation job ({@code evaluate.*}). Immutable; validated on construction, errors name the key.
 *
 * @param dataset     URI of the dataset directory
 * @param runDir      URI of the training run directory holding {@code model.zip} and {@code model-meta.json}
 * @param model       which network of the run: {@code last} ({@code model.zip}), {@code best}
 *                    ({@code best-model.zip}) or the path/URI of a model zip
 * @param output      URI of the directory for {@code report.json} and {@code report.txt}
 * @param split       split to evaluate ({@code test} or {@code validation})
 * @param cropSize    crop side in pixels; 0 = the model's input size
 * @param centreScale short side the image is resized to before the centre crop and the 10-crop; 0 = as stored
 * @param scales      short sides of the multi-scale evaluation (each ≥ the crop size), e.g. ResNet's
 *                    {224, 256, 384, 480, 640}
 * @param batchSize   views per forward pass (at least one image's views are always batched together)
 */
public record EvaluationConfig(String dataset, String runDir, String model, String output, String split, int cropSize,
                               int centreScale, List<Integer> scales, int batchSize) implements Serializable {

    public EvaluationConfig {
        require(dataset != null && !dataset.isBlank(), "evaluate.dataset", "must be a path or URI", dataset);
        require(runDir != null && !runDir.isBlank(), "evaluate.run-dir", "must be a path or URI", runDir);
        require(model != null && !model.isBlank(), "evaluate.model", "must be last, best or a path/URI", model);
        require(output != null && !output.isBlank(), "evaluate.output", "must be a path or URI", output);
        require("test".equals(split) || "validation".equals(split), "evaluate.split", "must be test or validation", split);
        require(cropSize >= 0, "evaluate.crop-size", "must be >= 0 (0 = the model's input size)", cropSize);
        require(centreScale >= 0, "evaluate.centre-scale", "must be >= 0 (0 = stored size)", centreScale);
        require(scales != null && !scales.isEmpty(), "evaluate.scales", "must list at least one short side", scales);
        for (int s : scales) {
            require(s > 0, "evaluate.scales", "every scale must be positive", scales);
            require(cropSize == 0 || s >= cropSize, "evaluate.scales", "every scale must be >= evaluate.crop-size ("
                    + cropSize + ")", scales);
        }
        require(centreScale == 0 || cropSize == 0 || centreScale >= cropSize, "evaluate.centre-scale",
                "must be >= evaluate.crop-size (" + cropSize + ")", centreScale);
        require(batchSize >= 1, "evaluate.batch-size", "must be >= 1", batchSize);
        scales = List.copyOf(scales);
    }

    /** {@code last} and {@code best}: the run directory's file names; anything else is a path or URI. */
    public String modelFile() {
        return switch (model) {
            case "last" -> io.cnnpipeline.training.RunDirectory.MODEL;
            case "best" -> io.cnnpipeline.training.RunDirectory.BEST_MODEL;
            default -> null;
        };
    }

    /** This configuration with the crop size filled in. */
    public EvaluationConfig withCropSize(int size) {
        return new EvaluationConfig(dataset, runDir, model, output, split, size, centreScale, scales, batchSize);
    }
}
