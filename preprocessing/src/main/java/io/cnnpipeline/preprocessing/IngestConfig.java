package io.cnnpipeline.preprocessing;

import static io.cnnpipeline.preprocessing.InvalidConfigException.require;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Settings of the ingest job ({@code preprocess.*} in the pipeline configuration). Immutable; validated on
 * construction, with errors naming the configuration key.
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
 * @param turboJpegJar       path of TurboJPEG's Java binding on every node
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
 */
public record IngestConfig(Map<String, String> inputs, Map<String, String> manifests, String manifestRoot,
                           String output, int shortSide, boolean centreCrop, int channels, ShardCodec codec,
                           int jpegQuality, long maxPixels, int maxRecordsPerFile, long rowGroupBytes,
                           long partitionBytes, long fileOpenCostBytes,
                           double validationFraction, boolean overwrite, long seed, List<String> extensions,
                           int contactSheetSize, String jpegCodec, String turboJpegJar,
                           double testFraction, boolean stratifySplits, long shardBytes,
                           Map<String, String> labelFiles, String pathGlob, boolean jpegDctScaling)
        implements Serializable {

    public IngestConfig {
        inputs = inputs == null ? Map.of() : inputs;
        manifests = manifests == null ? Map.of() : manifests;
        manifestRoot = manifestRoot == null ? "" : manifestRoot;
        require(inputs.containsKey(ShardSchema.TRAIN) || manifests.containsKey(ShardSchema.TRAIN),
                "preprocess.inputs.train", "a train input is required (a class-folder root, or "
                        + "preprocess.manifests.train)", inputs);
        for (Map.Entry<String, String> e : manifests.entrySet()) {
            require(e.getKey().equals(ShardSchema.TRAIN) || e.getKey().equals(ShardSchema.TEST),
                    "preprocess.manifests." + e.getKey(), "manifest splits are train and test", e.getKey());
            require(e.getValue() != null && !e.getValue().isBlank(), "preprocess.manifests." + e.getKey(),
                    "must be a path or URI", e.getValue());
            require(!inputs.containsKey(e.getKey()), "preprocess.manifests." + e.getKey(),
                    "the " + e.getKey() + " split already comes from preprocess.inputs." + e.getKey()
                            + "; set one of them", e.getValue());
        }
        manifests = new LinkedHashMap<>(manifests);
        for (Map.Entry<String, String> e : inputs.entrySet()) {
            require(e.getKey().equals(ShardSchema.TRAIN) || e.getKey().equals(ShardSchema.TEST),
                    "preprocess.inputs." + e.getKey(), "input splits are train and test", e.getKey());
            require(e.getValue() != null && !e.getValue().isBlank(), "preprocess.inputs." + e.getKey(),
                    "must be a path or URI", e.getValue());
        }
        inputs = new LinkedHashMap<>(inputs);
        require(output != null && !output.isBlank(), "preprocess.output", "must be a path or URI", output);
        require(shortSide >= 0, "preprocess.short-side", "must be >= 0 (0 keeps the size)", shortSide);
        require(channels == 1 || channels == 3, "preprocess.channels", "must be 1 or 3", channels);
        require(codec != null, "preprocess.codec", "must be png, jpeg or raw", codec);
        require(jpegQuality >= 1 && jpegQuality <= 100, "preprocess.jpeg-quality", "must be in 1..100", jpegQuality);
        require(maxPixels > 0, "preprocess.max-pixels", "must be positive", maxPixels);
        require(maxRecordsPerFile > 0, "preprocess.max-records-per-file", "must be positive", maxRecordsPerFile);
        require(rowGroupBytes >= 1 << 20, "preprocess.row-group-bytes", "must be at least 1 MiB", rowGroupBytes);
        require(partitionBytes >= 1 << 20, "preprocess.partition-bytes", "must be at least 1 MiB", partitionBytes);
        require(fileOpenCostBytes >= 0, "preprocess.file-open-cost-bytes", "must be >= 0", fileOpenCostBytes);
        require(validationFraction >= 0 && validationFraction < 1, "preprocess.validation-fraction",
                "must be in [0, 1)", validationFraction);
        require(extensions != null && !extensions.isEmpty(), "preprocess.extensions", "must list at least one", extensions);
        for (String ext : extensions) {
            require(ext.matches("[a-z0-9]+"), "preprocess.extensions", "must be lower-case extensions without dots", ext);
        }
        extensions = List.copyOf(extensions);
        jpegCodec = jpegCodec == null ? "imageio" : jpegCodec;
        turboJpegJar = turboJpegJar == null ? TurboJpeg.DEBIAN_JAR : turboJpegJar;
        require(jpegCodec.equals("imageio") || jpegCodec.equals("turbojpeg"), "preprocess.jpeg-codec",
                "must be imageio or turbojpeg", jpegCodec);
        require(testFraction >= 0 && testFraction < 1, "preprocess.test-fraction", "must be in [0, 1)", testFraction);
        require(validationFraction + testFraction < 1, "preprocess.test-fraction",
                "validation-fraction + test-fraction must be below 1", testFraction);
        require(testFraction == 0 || !(inputs.containsKey(ShardSchema.TEST) || manifests.containsKey(ShardSchema.TEST)),
                "preprocess.test-fraction", "the test split already comes from a test input; set one of them",
                testFraction);
        require(shardBytes == 0 || shardBytes >= 1 << 20, "preprocess.shard-bytes", "must be 0 or at least 1 MiB",
                shardBytes);
        labelFiles = labelFiles == null ? Map.of() : labelFiles;
        for (Map.Entry<String, String> e : labelFiles.entrySet()) {
            require(e.getValue() != null && !e.getValue().isBlank(), "preprocess.label-files." + e.getKey(),
                    "must be a path or URI", e.getValue());
            require(inputs.containsKey(e.getKey()), "preprocess.label-files." + e.getKey(),
                    "labels the files of a folder input; set preprocess.inputs." + e.getKey() + " to that folder",
                    e.getValue());
        }
        labelFiles = new LinkedHashMap<>(labelFiles);
        pathGlob = pathGlob == null ? "" : pathGlob.strip();
        if (!pathGlob.isEmpty()) {
            require(!pathGlob.startsWith("/"), "preprocess.path-glob", "is relative to each input folder", pathGlob);
            try {
                org.apache.hadoop.fs.GlobPattern.compile(pathGlob);
            } catch (RuntimeException e) {
                throw new InvalidConfigException("preprocess.path-glob", "is not a valid glob: " + e.getMessage(),
                        pathGlob);
            }
        }
        require(contactSheetSize >= 0 && contactSheetSize <= 1000, "preprocess.contact-sheet-size",
                "must be in 0..1000", contactSheetSize);
    }
}
