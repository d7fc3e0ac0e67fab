package io.cnnpipeline.evaluation;

import static io.cnnpipeline.core.InvalidConfigException.require;

import io.cnnpipeline.core.config.ConfigBuilder;
import io.cnnpipeline.core.config.ConfigGroup;
import io.cnnpipeline.core.config.ConfigKey;
import io.cnnpipeline.core.config.ConfigKind;
import io.cnnpipeline.dataset.Split;
import java.io.Serializable;
import java.util.List;

/**
 * Settings of the evaluation job ({@code evaluate.*}); its keys are declared here, once. Immutable; validated on
 * construction, errors name the key. Build one with {@link #builder()}.
 *
 * @param dataset     URI of the dataset directory ({@link #DATASET})
 * @param runDir      URI of the training run directory holding {@code model.zip} and {@code model-meta.json}
 * @param model       which network of the run ({@link #MODEL})
 * @param output      URI of the directory for {@code report.json}, {@code report.txt} and {@code report.html}
 * @param split       split to evaluate ({@code test} or {@code validation})
 * @param cropSize    crop side in pixels; 0 = the model's input size
 * @param centreScale short side in pixels the image is resized to before the centre crop and the 10-crop; 0 = as
 *                    stored
 * @param scales      short sides in pixels of the multi-scale evaluation (each ≥ the crop size)
 * @param batchSize   views per forward pass (at least one image's views are always batched together)
 * @param mistakes    wrong predictions (multi-scale) kept with their images for {@code report.html}, the most
 *                    confident first ({@link #MISTAKES})
 */
public record EvaluationConfig(String dataset, String runDir, String model, String output, Split split, int cropSize,
                               int centreScale, List<Integer> scales, int batchSize, int mistakes)
        implements Serializable {

    /** The {@code evaluate} section. */
    public static final ConfigGroup SECTION = ConfigGroup.section("evaluate", "");

    public static final ConfigKey<String> DATASET = SECTION.hocon("dataset", ConfigKind.STRING, "${preprocess.output}")
            .validIf(s -> !s.isBlank(), "must be a path or URI")
            .doc("Dataset directory to evaluate.");
    public static final ConfigKey<String> RUN_DIR = SECTION.string("run-dir", "")
            .doc("Run directory holding model.zip; \"\" = train.runs-dir/train.run-id.");
    public static final ConfigKey<String> MODEL = SECTION.string("model", "last")
            .validIf(s -> !s.isBlank(), "must be last, best or a path/URI")
            .doc("Which network of the run: last (model.zip), best (best-model.zip, the epoch with the best "
                    + "validation accuracy; needs a validation split), or the path/URI of a model zip (its "
                    + "model-meta.json is read beside it if present, else the run directory's).");
    public static final ConfigKey<String> OUTPUT = SECTION.string("output", "")
            .doc("Report directory; \"\" = <run-dir>/evaluation.");
    public static final ConfigKey<Split> SPLIT = SECTION.choice("split", Split.TEST)
            .validIf(s -> s != Split.TRAIN, "must be test or validation")
            .doc("The split evaluated.");
    public static final ConfigKey<Integer> CROP_SIZE = SECTION.integer("crop-size", 0).unit("pixels")
            .validIf(s -> s >= 0, "must be >= 0 (0 = the model's input size)")
            .doc("Side of the crops; 0 = the model's input size.");
    public static final ConfigKey<Integer> CENTRE_SCALE = SECTION.integer("centre-scale", 256).unit("pixels")
            .validIf(s -> s >= 0, "must be >= 0 (0 = stored size)")
            .doc("Short side before the centre crop and the 10-crop; 0 = as stored.");
    public static final ConfigKey<List<Integer>> SCALES = SECTION.key("scales", ConfigKind.INTS,
                    List.of(224, 256, 384, 480, 640)).unit("pixels")
            .validIf(s -> !s.isEmpty(), "must list at least one short side")
            .validIf(s -> s.stream().allMatch(v -> v > 0), "every scale must be positive")
            .doc("Short sides of the multi-scale 10-crop (He et al. 2015).");
    public static final ConfigKey<Integer> BATCH_SIZE = SECTION.integer("batch-size", 512)
            .validIf(s -> s >= 1, "must be >= 1")
            .doc("Views per forward pass.");
    /** At most this many mistakes: each travels to the driver as a thumbnail and is a file beside the page. */
    public static final int MAX_MISTAKES = 500;
    public static final ConfigKey<Integer> MISTAKES = SECTION.integer("mistakes", 24).unit("images")
            .validIf(s -> s >= 0 && s <= MAX_MISTAKES, "must be between 0 and " + MAX_MISTAKES)
            .doc("The most confident wrong predictions (multi-scale) shown in evaluation/report.html with their "
                    + "images, true and predicted class; each task keeps its own top ones and the driver merges "
                    + "them. 0 = none.");

    public EvaluationConfig {
        DATASET.require(dataset);
        require(runDir != null && !runDir.isBlank(),
                RUN_DIR.name(), "must be a path or URI", runDir);
        MODEL.require(model);
        require(output != null && !output.isBlank(),
                OUTPUT.name(), "must be a path or URI", output);
        SPLIT.require(split);
        CROP_SIZE.require(cropSize);
        CENTRE_SCALE.require(centreScale);
        scales = List.copyOf(SCALES.require(scales));
        for (int s : scales) {
            require(cropSize == 0 || s >= cropSize,
                    SCALES.name(), "every scale must be >= evaluate.crop-size (" + cropSize + ")", scales);
        }
        require(
                centreScale == 0 || cropSize == 0 || centreScale >= cropSize, CENTRE_SCALE.name(),
                "must be >= evaluate.crop-size (" + cropSize + ")", centreScale);
        BATCH_SIZE.require(batchSize);
        MISTAKES.require(mistakes);
    }

    /**
     * A builder holding every key's default; {@code dataset}, {@code run-dir} and {@code output} have none here
     * (the pipeline derives them from the training run) and must be set.
     */
    public static ConfigBuilder<EvaluationConfig> builder() {
        return new ConfigBuilder<>(EvaluationConfig.class, SECTION);
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
        return new EvaluationConfig(dataset, runDir, model, output, split, size, centreScale, scales, batchSize,
                mistakes);
    }
}
