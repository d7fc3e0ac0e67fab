package io.cnnpipeline.model;

import static io.cnnpipeline.core.InvalidConfigException.require;

import io.cnnpipeline.core.config.ConfigBuilder;
import io.cnnpipeline.core.config.ConfigGroup;
import io.cnnpipeline.core.config.ConfigKey;
import io.cnnpipeline.core.config.ConfigKind;
import io.cnnpipeline.evaluation.CropPlan;
import java.io.Serializable;
import java.util.List;

/**
 * Settings of batch inference ({@code predict.*}, {@link PredictionJob}); its keys are declared here, once.
 * Immutable; validated on construction, errors name the key. Exactly one input is given: image files below
 * {@code input}, the paths listed in {@code manifest}, or a dataset {@code split}.
 *
 * @param input         URI of a folder (read recursively: class folders, nested folders or a flat folder) or of one
 *                      image file; "" = none
 * @param manifest      URI of a text file listing image paths/URIs, one per line (or a CSV whose header has a
 *                      {@code path} column); relative paths resolve against the manifest's folder; "" = none
 * @param dataset       URI of a dataset directory, for {@code split}
 * @param split         {@code train}, {@code validation} or {@code test} of {@code dataset}; "" = none
 * @param runDir        run directory holding the model
 * @param model         {@code last}, {@code best} or the path/URI of a model zip ({@link #MODEL})
 * @param output        URI of the output directory (Parquet predictions, quarantine, {@code summary.json})
 * @param overwrite     whether an existing output directory is replaced (atomically)
 * @param cropMode      test-time views averaged per image: centre crop, 10-crop or multi-scale 10-crop
 * @param centreScale   short side in pixels before the centre crop and the 10-crop; 0 = as prepared
 * @param scales        short sides in pixels of the multi-scale views
 * @param batchSize     views per forward pass
 * @param topK          classes kept per image, most probable first
 * @param probabilities whether the full probability vector is written too
 * @param embedding     whether the penultimate layer's activations (the output layer's input) are written too
 * @param extensions    file extensions read below {@code input} (any letter case)
 * @param files         Parquet files written; 0 = one per 100,000 images (at least 1)
 * @param partitions    Spark tasks reading and scoring the inputs; 0 = 4 × the default parallelism (files: at least
 *                      one task per 2,000 files)
 */
public record PredictionConfig(String input, String manifest, String dataset, String split, String runDir,
                               String model, String output, boolean overwrite, CropPlan.Mode cropMode,
                               int centreScale, List<Integer> scales, int batchSize, int topK, boolean probabilities,
                               boolean embedding, List<String> extensions, int files, int partitions)
        implements Serializable {

    /** The {@code predict} section. */
    public static final ConfigGroup SECTION = ConfigGroup.section("predict", "");

    public static final ConfigKey<String> INPUT = SECTION.string("input", "")
            .doc("Images to predict: a folder (read recursively; any layout) or one image file; \"\" = none. "
                    + "Exactly one of predict.input, predict.manifest and predict.split is set.");
    public static final ConfigKey<String> MANIFEST = SECTION.string("manifest", "")
            .doc("A text file of image paths/URIs, one per line, or a CSV with a path column; relative paths "
                    + "resolve against its folder. \"\" = none.");
    public static final ConfigKey<String> DATASET = SECTION.hocon("dataset", ConfigKind.STRING,
                    "${preprocess.output}")
            .doc("Dataset directory whose predict.split is predicted.");
    public static final ConfigKey<String> SPLIT = SECTION.string("split", "")
            .validIf(s -> List.of("", "train", "validation", "test").contains(s),
                    "must be train, validation, test or \"\"")
            .doc("A split of predict.dataset to predict; \"\" = none.");
    public static final ConfigKey<String> RUN_DIR = SECTION.string("run-dir", "")
            .doc("Run directory holding the model; \"\" = train.runs-dir/train.run-id (the latest run).");
    public static final ConfigKey<String> MODEL = SECTION.string("model", "last")
            .validIf(s -> !s.isBlank(), "must be last, best or a path/URI")
            .doc("Which network: last (model.zip), best (best-model.zip) or the path/URI of a model zip with its "
                    + "model-meta.json beside it.");
    public static final ConfigKey<String> OUTPUT = SECTION.string("output", "")
            .doc("Output directory; \"\" = <run-dir>/predictions.");
    public static final ConfigKey<Boolean> OVERWRITE = SECTION.bool("overwrite", false)
            .doc("Replace an existing output directory (atomically: the old one stays until the new one is "
                    + "complete).");
    public static final ConfigKey<CropPlan.Mode> CROP_MODE = SECTION.choice("crop-mode", CropPlan.Mode.CENTRE)
            .doc("Views averaged per image, as in evaluation: centre-crop, 10-crop (4 corners + centre and their "
                    + "flips) or multi-scale (10 crops at every predict.scales).");
    public static final ConfigKey<Integer> CENTRE_SCALE = SECTION.hocon("centre-scale", ConfigKind.INT,
                    "${evaluate.centre-scale}").unit("pixels")
            .validIf(s -> s >= 0, "must be >= 0 (0 = as prepared)")
            .doc("Short side before the centre crop and the 10-crop; 0 = as prepared.");
    public static final ConfigKey<List<Integer>> SCALES = SECTION.hocon("scales", ConfigKind.INTS,
                    "${evaluate.scales}").unit("pixels")
            .validIf(s -> !s.isEmpty(), "must list at least one short side")
            .validIf(s -> s.stream().allMatch(v -> v > 0), "every scale must be positive")
            .doc("Short sides of the multi-scale 10-crop.");
    public static final ConfigKey<Integer> BATCH_SIZE = SECTION.hocon("batch-size", ConfigKind.INT,
                    "${evaluate.batch-size}")
            .validIf(s -> s >= 1, "must be >= 1")
            .doc("Views per forward pass.");
    public static final ConfigKey<Integer> TOP_K = SECTION.integer("top-k", 5)
            .validIf(s -> s >= 1, "must be >= 1")
            .doc("Classes kept per image, most probable first (at most the number of classes).");
    public static final ConfigKey<Boolean> PROBABILITIES = SECTION.bool("probabilities", false)
            .doc("Also write every class's probability (column probabilities).");
    public static final ConfigKey<Boolean> EMBEDDING = SECTION.bool("embedding", false)
            .doc("Also write the penultimate layer's activations, averaged over the views (column embedding).");
    public static final ConfigKey<List<String>> EXTENSIONS = SECTION.hocon("extensions", ConfigKind.STRINGS,
                    "${preprocess.extensions}")
            .validIf(s -> !s.isEmpty(), "must list at least one extension")
            .doc("File extensions read below predict.input, in any letter case; other files, hidden files and "
                    + "_-prefixed ones are not read.");
    public static final ConfigKey<Integer> FILES = SECTION.integer("files", 0)
            .validIf(s -> s >= 0, "must be >= 0 (0 = one per 100,000 images)")
            .doc("Parquet files of the output; 0 = one per 100,000 images.");
    public static final ConfigKey<Integer> PARTITIONS = SECTION.integer("partitions", 0)
            .validIf(s -> s >= 0, "must be >= 0 (0 = automatic)")
            .doc("Spark tasks reading and scoring the inputs; 0 = 4 x the default parallelism (and at least one "
                    + "per 2,000 files). The predictions do not depend on it.");

    public PredictionConfig {
        int sources = (input.isEmpty() ? 0 : 1) + (manifest.isEmpty() ? 0 : 1) + (split.isEmpty() ? 0 : 1);
        require(sources == 1, INPUT.name(), "exactly one of predict.input, predict.manifest and predict.split "
                + "must be set (" + sources + " are)", input);
        SPLIT.require(split);
        require(split.isEmpty() || (dataset != null && !dataset.isBlank()), DATASET.name(),
                "must be a path or URI when predict.split is set", dataset);
        require(runDir != null && !runDir.isBlank(), RUN_DIR.name(), "must be a path or URI", runDir);
        MODEL.require(model);
        require(output != null && !output.isBlank(), OUTPUT.name(), "must be a path or URI", output);
        CROP_MODE.require(cropMode);
        CENTRE_SCALE.require(centreScale);
        scales = List.copyOf(SCALES.require(scales));
        BATCH_SIZE.require(batchSize);
        TOP_K.require(topK);
        extensions = List.copyOf(EXTENSIONS.require(extensions));
        FILES.require(files);
        PARTITIONS.require(partitions);
    }

    /**
     * A builder holding every key's default; {@code run-dir} and {@code output} have none here (the pipeline derives
     * them from the training run) and must be set, as must one input.
     */
    public static ConfigBuilder<PredictionConfig> builder() {
        return new ConfigBuilder<>(PredictionConfig.class, SECTION);
    }

    /** {@code last} and {@code best}: the run directory's file names; anything else is a path or URI. */
    public String modelFile() {
        return switch (model) {
            case "last" -> io.cnnpipeline.training.RunDirectory.MODEL;
            case "best" -> io.cnnpipeline.training.RunDirectory.BEST_MODEL;
            default -> null;
        };
    }
}
