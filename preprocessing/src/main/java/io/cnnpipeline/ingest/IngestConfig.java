package io.cnnpipeline.ingest;

import static io.cnnpipeline.core.InvalidConfigException.require;

import io.cnnpipeline.core.InvalidConfigException;
import io.cnnpipeline.image.Resize;
import io.cnnpipeline.dataset.ShardCodec;
import io.cnnpipeline.dataset.ShardSchema;
import io.cnnpipeline.image.TurboJpeg;
import io.cnnpipeline.core.config.ConfigBuilder;
import io.cnnpipeline.core.config.ConfigEnum;
import io.cnnpipeline.core.config.ConfigGroup;
import io.cnnpipeline.core.config.ConfigKey;
import io.cnnpipeline.core.config.ConfigKind;
import io.cnnpipeline.core.config.CoreKeys;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Settings of the ingest job ({@code preprocess.*} in the pipeline configuration); its keys are declared here, once
 * (name, type, default, unit, documentation, rule). Immutable; validated on construction, with errors naming the
 * configuration key. Build one with {@link #builder()}: {@code IngestConfig.builder().set(INPUTS, Map.of("train",
 * dir)).set(OUTPUT, out).set(SHORT_SIDE, 256).build()}.
 *
 * @param inputs             split name ({@code train}, {@code test}) → URI of a class-per-folder root
 *                           ({@code <root>/<class>/<image>})
 * @param manifests          split name → URI of a manifest: CSV with a header or Parquet, columns {@code path}
 *                           and {@code label} (class name); a split comes from a folder or a manifest, not both;
 *                           {@code train} is required from one of them and defines the classes
 * @param manifestRoot       URI relative manifest paths are resolved against; "" = the manifest's own directory
 * @param output             URI of the dataset directory to create
 * @param shortSide          resize so the short side is this many pixels; 0 keeps the original size
 * @param centreCrop         after resizing, keep the centred square of side = the short side
 * @param channels           1 (luma) or 3 (RGB)
 * @param codec              how shard rows store pixels
 * @param jpegQuality        JPEG quality 1..100 when {@code codec} is jpeg
 * @param maxPixels          images with more pixels (width × height, read from the header) are quarantined
 * @param maxRecordsPerFile  rows per Parquet shard file
 * @param rowGroupBytes      Parquet row-group size in bytes
 * @param partitionBytes     input bytes per read task (Spark's {@code spark.sql.files.maxPartitionBytes})
 * @param fileOpenCostBytes  bytes each input file is charged when packing tasks, so that many small files share a
 *                           task without one task getting too many ({@code spark.sql.files.openCostInBytes})
 * @param validationFraction fraction of the train input moved to the validation split, by a hash of (seed, key)
 * @param overwrite          replace an existing output (true) or fail before any work (false)
 * @param seed               root seed of the split assignment
 * @param extensions         file extensions (lower case, no dot) that count as inputs; others are ignored
 * @param contactSheetSize   thumbnails of train rows drawn into {@code contact-sheet.png}; 0 = no contact sheet
 * @param jpegCodec        JPEG decoder and encoder: {@code imageio} or {@code turbojpeg} ({@link TurboJpeg}; decoding
 *                           falls back to ImageIO for what TurboJPEG rejects)
 * @param turbojpegJar       path of TurboJPEG's Java binding on every node
 * @param testFraction       fraction of the train input moved to the test split (only without a test input)
 * @param stratifySplits     assign validation and test rows per class: exactly round(fraction × n) of each class's
 *                           written train-input rows, those with the smallest hash of (seed, key); false = each row
 *                           by its own hash (proportions hold only on average)
 * @param shardBytes         target encoded bytes per shard file; 0 = by {@code maxRecordsPerFile} alone
 * @param labelFiles         split name → URI of a label file for a folder input without class folders (ImageNet
 *                           validation style): one {@code <path relative to the folder> <label>} per line, separated
 *                           by white space or a comma, the label a class name or a 0-based index into the sorted
 *                           classes
 * @param pathGlob           Hadoop glob matched against paths relative to each folder input (per path component:
 *                           {@code *}, {@code ?}, {@code [abc]}, {@code {a,b}}); "" = every file
 * @param jpegDctScaling     with the turbojpeg codec and a short side, decode JPEGs reduced in the DCT domain
 *                           (1/2, 1/4 or 1/8) to the smallest size whose short side is still at least {@code shortSide}, then
 *                           resize; false decodes every JPEG at full size
 * @param maxOutputPixels    images whose resized size (width × height after the short-side resize) would exceed this
 *                           many pixels are quarantined ({@code output-too-large}: an extreme aspect ratio, 3×4000
 *                           at short side 64 is 64×85,333); 0 = no limit
 */
public record IngestConfig(Map<String, String> inputs, Map<String, String> manifests, String manifestRoot,
                           String output, int shortSide, boolean centreCrop, int channels, ShardCodec codec,
                           int jpegQuality, long maxPixels, int maxRecordsPerFile, long rowGroupBytes,
                           long partitionBytes, long fileOpenCostBytes,
                           double validationFraction, boolean overwrite, long seed, List<String> extensions,
                           int contactSheetSize, JpegCodec jpegCodec, String turbojpegJar,
                           double testFraction, boolean stratifySplits, long shardBytes,
                           Map<String, String> labelFiles, String pathGlob, boolean jpegDctScaling,
                           long maxOutputPixels)
        implements Serializable {

    /** JPEG decoder and encoder ({@code preprocess.jpeg-codec}). */
    public enum JpegCodec implements ConfigEnum {
        /** ImageIO with TwelveMonkeys' JPEG plugin, in the jar. */
        IMAGEIO,
        /** libjpeg-turbo through its Java binding ({@link TurboJpeg}); needs Debian's libturbojpeg-java. */
        TURBOJPEG
    }

    private static final List<String> SPLITS = List.of(ShardSchema.TRAIN, ShardSchema.TEST);

    /** The {@code preprocess} section. */
    public static final ConfigGroup SECTION = ConfigGroup.section("preprocess", "");

    public static final ConfigKey<Map<String, String>> INPUTS = SECTION.key("inputs", ConfigKind.members(SPLITS),
                    Map.of(ShardSchema.TRAIN, "data/train"))
            .doc("Class-per-folder roots by split, {train = ..., test = ...}: <root>/<class>/<image>. train is "
                    + "required (from a folder or a manifest) and defines the classes; \"\" = no input for the split.");
    public static final ConfigKey<Map<String, String>> MANIFESTS = SECTION.key("manifests",
                    ConfigKind.members(SPLITS), Map.of())
            .doc("Or a manifest per split instead of a folder: CSV with a header (or Parquet) with columns path "
                    + "and label (class name). Relative paths are resolved against manifest-root; absolute URIs are "
                    + "kept. A file listed twice is written once (the rest quarantined as duplicate-key); listed "
                    + "with different labels, every listing is quarantined (conflicting-labels). A file listed in "
                    + "both the train and the test manifest is kept in train and its test listing quarantined "
                    + "(also-in-train). A manifest replaces the default folder input of its split.");
    public static final ConfigKey<String> MANIFEST_ROOT = SECTION.string("manifest-root", "")
            .doc("Directory relative manifest paths are resolved against; \"\" = the manifest's directory.");
    public static final ConfigKey<Map<String, String>> LABEL_FILES = SECTION.key("label-files",
                    ConfigKind.members(SPLITS), Map.of())
            .doc("Or a folder without class folders plus a label file (ImageNet validation style): set "
                    + "inputs.<split> to the folder and label-files.<split> to a text file of \"<path relative to "
                    + "the folder> <label>\" lines (white space or comma; # starts a comment); the label is a class "
                    + "name or a 0-based index into the sorted classes (Caffe's val.txt). Files in the folder that "
                    + "the label file does not list are quarantined (missing-label).");
    public static final ConfigKey<String> PATH_GLOB = SECTION.string("path-glob", "")
            .doc("Only files whose path relative to their input folder matches this Hadoop glob (\"\" = all), e.g. "
                    + "\"n01*/*\" or \"*/{a,b}*.JPEG\"; matched per path component. Applies to folder inputs, not to "
                    + "manifests.");
    public static final ConfigKey<String> OUTPUT = SECTION.string("output", "work/dataset")
            .validIf(s -> !s.isBlank(), "must be a path or URI")
            .doc("Dataset directory to create (shards/, quarantine/, classes.json, stats.json, _manifest.json).");
    public static final ConfigKey<Integer> SHORT_SIDE = SECTION.integer("short-side", 0).unit("pixels")
            .validIf(s -> s >= 0, "must be >= 0 (0 keeps the size)")
            .doc("Resize so the short side has this many pixels (antialiased); 0 keeps every image's size.");
    public static final ConfigKey<Boolean> CENTRE_CROP = SECTION.bool("centre-crop", false)
            .doc("After resizing, keep only the centred square (side = the short side); false keeps the whole "
                    + "image.");
    public static final ConfigKey<Integer> CHANNELS = SECTION.integer("channels", 3)
            .validIf(c -> c == 1 || c == 3, "must be 1 or 3")
            .doc("3 = RGB, 1 = luma (ITU-R BT.601).");
    public static final ConfigKey<ShardCodec> CODEC = SECTION.choice("codec", ShardCodec.PNG)
            .doc("Storage of the image column: png (lossless), jpeg or raw (HWC uint8).");
    public static final ConfigKey<Integer> JPEG_QUALITY = SECTION.integer("jpeg-quality", 90)
            .validIf(q -> q >= 1 && q <= 100, "must be in 1..100")
            .doc("Quality of the stored JPEGs when codec = jpeg.");
    public static final ConfigKey<Long> MAX_PIXELS = SECTION.longInteger("max-pixels", 89478485).unit("pixels")
            .validIf(p -> p > 0, "must be positive")
            .doc("Images with more pixels than this (read from the header, before decoding) are quarantined.");
    public static final ConfigKey<Long> MAX_OUTPUT_PIXELS = SECTION.longInteger("max-output-pixels", 4194304)
            .unit("pixels")
            .validIf(p -> p >= 0, "must be >= 0 (0 = no limit)")
            .doc("Images whose size after the short-side resize would exceed this many pixels (an extreme aspect "
                    + "ratio: 3x4000 at short side 64 becomes 64x85333) are quarantined as output-too-large; "
                    + "0 = no limit.");
    public static final ConfigKey<Integer> MAX_RECORDS_PER_FILE = SECTION.integer("max-records-per-file", 50000)
            .validIf(n -> n > 0, "must be positive")
            .doc("Rows per shard file at most.");
    public static final ConfigKey<Long> SHARD_BYTES = SECTION.bytes("shard-bytes", 268435456)
            .validIf(b -> b == 0 || b >= 1 << 20, "must be 0 or at least 1 MiB")
            .doc("About this many bytes of encoded images per shard file; 0 = by max-records-per-file alone.");
    public static final ConfigKey<Long> ROW_GROUP_BYTES = SECTION.bytes("row-group-bytes", 134217728)
            .validIf(b -> b >= 1 << 20, "must be at least 1 MiB")
            .doc("Parquet row-group size.");
    public static final ConfigKey<Long> PARTITION_BYTES = SECTION.bytes("partition-bytes", 134217728)
            .validIf(b -> b >= 1 << 20, "must be at least 1 MiB")
            .doc("Input bytes per read task, as Spark's spark.sql.files.maxPartitionBytes: files are spread by a hash "
                    + "of their path over enough tasks that each gets about this many bytes.");
    public static final ConfigKey<Long> FILE_OPEN_COST_BYTES = SECTION.bytes("file-open-cost-bytes", 262144)
            .validIf(b -> b >= 0, "must be >= 0")
            .doc("Bytes each file is charged when packing files into tasks, so that many small files share a task "
                    + "(spark.sql.files.openCostInBytes).");
    public static final ConfigKey<Double> VALIDATION_FRACTION = SECTION.number("validation-fraction", 0.0)
            .validIf(f -> f >= 0 && f < 1, "must be in [0, 1)")
            .doc("Fraction of the train input assigned to the validation split by a hash of (seed, key), the same "
                    + "in any partitioning and on any rerun.");
    public static final ConfigKey<Double> TEST_FRACTION = SECTION.number("test-fraction", 0.0)
            .validIf(f -> f >= 0 && f < 1, "must be in [0, 1)")
            .doc("Fraction of the train input assigned to the test split, likewise; needs no test input.");
    public static final ConfigKey<Boolean> STRATIFY_SPLITS = SECTION.bool("stratify-splits", false)
            .doc("Each class gives exactly round(fraction x its written images) to validation and test, those with "
                    + "the smallest hashes (adding images may then move others); false = each image by its own hash.");
    public static final ConfigKey<Boolean> OVERWRITE = SECTION.bool("overwrite", false)
            .doc("Replace an existing output directory (true) or stop before any work (false).");
    public static final ConfigKey<List<String>> EXTENSIONS = SECTION.key("extensions", ConfigKind.STRINGS,
                    List.of("jpg", "jpeg", "png", "gif", "bmp", "tif", "tiff", "webp"))
            .validIf(e -> !e.isEmpty(), "must list at least one")
            .validIf(e -> e.stream().allMatch(x -> x.matches("[a-z0-9]+")),
                    "must be lower-case extensions without dots")
            .doc("File extensions that count as inputs; other files are ignored.");
    public static final ConfigKey<JpegCodec> JPEG_CODEC = SECTION.choice("jpeg-codec", JpegCodec.IMAGEIO)
            .doc("JPEG decoder and encoder: imageio (ImageIO + TwelveMonkeys, in the jar) or turbojpeg "
                    + "(libjpeg-turbo, ~2x faster here; needs Debian's libturbojpeg-java and libturbojpeg0 on every "
                    + "node; decoding falls back to ImageIO for what TurboJPEG rejects, such as CMYK).");
    public static final ConfigKey<Boolean> JPEG_DCT_SCALING = SECTION.bool("jpeg-dct-scaling", true)
            .doc("With turbojpeg and a short-side: decode JPEGs reduced in the DCT domain (1/2, 1/4 or 1/8; an "
                    + "antialiased downscale) to the smallest size whose short side is still >= short-side, then "
                    + "resize; false = decode at full size first.");
    public static final ConfigKey<String> TURBOJPEG_JAR = SECTION.string("turbojpeg-jar", TurboJpeg.DEBIAN_JAR)
            .doc("Path of TurboJPEG's Java binding on every node.");
    public static final ConfigKey<Integer> CONTACT_SHEET_SIZE = SECTION.integer("contact-sheet-size", 60)
            .validIf(n -> n >= 0 && n <= 1000, "must be in 0..1000")
            .doc("Thumbnails of a seeded sample of train rows, captioned with their class, in "
                    + "<output>/contact-sheet.png; 0 = none.");

    /**
     * A builder holding every key's default (and {@code seed}'s). A manifest set for a split replaces the default
     * folder input of that split, as in configuration files.
     */
    public static ConfigBuilder<IngestConfig> builder() {
        return new ConfigBuilder<>(IngestConfig.class, SECTION, CoreKeys.SEED).beforeBuild(b -> {
            if (b.isSet(MANIFESTS) && !b.isSet(INPUTS)) {
                Map<String, String> inputs = new LinkedHashMap<>(b.get(INPUTS));
                inputs.keySet().removeAll(b.get(MANIFESTS).keySet());
                b.set(INPUTS, java.util.Collections.unmodifiableMap(inputs));
            }
        });
    }

    public IngestConfig {
        inputs = inputs == null ? Map.of() : inputs;
        manifests = manifests == null ? Map.of() : manifests;
        manifestRoot = manifestRoot == null ? "" : manifestRoot;
        require(inputs.containsKey(ShardSchema.TRAIN) || manifests.containsKey(ShardSchema.TRAIN),
                INPUTS.name() + ".train", "a train input is required (a class-folder root, or "
                        + "preprocess.manifests.train)", inputs);
        for (Map.Entry<String, String> e : manifests.entrySet()) {
            require(e.getKey().equals(ShardSchema.TRAIN) || e.getKey().equals(ShardSchema.TEST),
                    MANIFESTS.name() + "." + e.getKey(), "manifest splits are train and test", e.getKey());
            require(e.getValue() != null && !e.getValue().isBlank(), MANIFESTS.name() + "." + e.getKey(),
                    "must be a path or URI", e.getValue());
            require(!inputs.containsKey(e.getKey()), MANIFESTS.name() + "." + e.getKey(),
                    "the " + e.getKey() + " split already comes from preprocess.inputs." + e.getKey()
                            + "; set one of them", e.getValue());
        }
        manifests = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(manifests));
        for (Map.Entry<String, String> e : inputs.entrySet()) {
            require(e.getKey().equals(ShardSchema.TRAIN) || e.getKey().equals(ShardSchema.TEST),
                    INPUTS.name() + "." + e.getKey(), "input splits are train and test", e.getKey());
            require(e.getValue() != null && !e.getValue().isBlank(), INPUTS.name() + "." + e.getKey(),
                    "must be a path or URI", e.getValue());
        }
        inputs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
        OUTPUT.require(output);
        SHORT_SIDE.require(shortSide);
        CHANNELS.require(channels);
        CODEC.require(codec);
        JPEG_QUALITY.require(jpegQuality);
        MAX_PIXELS.require(maxPixels);
        MAX_OUTPUT_PIXELS.require(maxOutputPixels);
        MAX_RECORDS_PER_FILE.require(maxRecordsPerFile);
        ROW_GROUP_BYTES.require(rowGroupBytes);
        PARTITION_BYTES.require(partitionBytes);
        FILE_OPEN_COST_BYTES.require(fileOpenCostBytes);
        VALIDATION_FRACTION.require(validationFraction);
        extensions = List.copyOf(EXTENSIONS.require(extensions));
        jpegCodec = jpegCodec == null ? JpegCodec.IMAGEIO : jpegCodec;
        turbojpegJar = turbojpegJar == null ? TurboJpeg.DEBIAN_JAR : turbojpegJar;
        TEST_FRACTION.require(testFraction);
        require(validationFraction + testFraction < 1, TEST_FRACTION.name(),
                "validation-fraction + test-fraction must be below 1", testFraction);
        require(testFraction == 0 || !(inputs.containsKey(ShardSchema.TEST) || manifests.containsKey(ShardSchema.TEST)),
                TEST_FRACTION.name(), "the test split already comes from a test input; set one of them",
                testFraction);
        SHARD_BYTES.require(shardBytes);
        labelFiles = labelFiles == null ? Map.of() : labelFiles;
        for (Map.Entry<String, String> e : labelFiles.entrySet()) {
            require(e.getValue() != null && !e.getValue().isBlank(), LABEL_FILES.name() + "." + e.getKey(),
                    "must be a path or URI", e.getValue());
            require(inputs.containsKey(e.getKey()), LABEL_FILES.name() + "." + e.getKey(),
                    "labels the files of a folder input; set preprocess.inputs." + e.getKey() + " to that folder",
                    e.getValue());
        }
        labelFiles = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(labelFiles));
        pathGlob = pathGlob == null ? "" : pathGlob.strip();
        if (!pathGlob.isEmpty()) {
            require(!pathGlob.startsWith("/"), PATH_GLOB.name(), "is relative to each input folder", pathGlob);
            try {
                org.apache.hadoop.fs.GlobPattern.compile(pathGlob);
            } catch (RuntimeException e) {
                throw new InvalidConfigException(PATH_GLOB.name(), "is not a valid glob: " + e.getMessage(),
                        pathGlob);
            }
        }
        CONTACT_SHEET_SIZE.require(contactSheetSize);
    }
}
