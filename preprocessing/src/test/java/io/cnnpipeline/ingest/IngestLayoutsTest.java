package io.cnnpipeline.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.dataset.DatasetManifest;
import io.cnnpipeline.image.ImageEncoder;
import io.cnnpipeline.core.InvalidConfigException;
import io.cnnpipeline.core.RandomStreams;
import io.cnnpipeline.dataset.ShardCodec;
import io.cnnpipeline.dataset.Split;
import io.cnnpipeline.core.TestImages;
import io.cnnpipeline.core.TestSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Split assignment, ImageNet-validation-style label files, path globs, cross-split listings and shard sizes. */
class IngestLayoutsTest {
    private static final SparkSession SPARK = TestSpark.get();

    /** The settings these tests vary; everything else as a user would leave it. */
    private record Settings(Map<String, String> inputs, Map<String, String> manifests, Map<String, String> labelFiles,
                            double validationFraction, double testFraction, boolean stratify, long shardBytes,
                            String glob, ShardCodec codec, long openCost) {
        static Settings of(Map<String, String> inputs) {
            return new Settings(inputs, Map.of(), Map.of(), 0, 0, false, 0, "", ShardCodec.PNG, 1 << 16);
        }

        IngestConfig at(Path output) {
            return new IngestConfig(inputs, manifests, "", output.toString(), 0, false, 3, codec, 90, 50_000_000L,
                    50_000, 1 << 20, 1 << 20, openCost, validationFraction, false, 42, List.of("png"), 0, IngestConfig.JpegCodec.IMAGEIO,
                    null, testFraction, stratify, shardBytes, labelFiles, glob, true, 4_194_304L);
        }
    }

    /** key → split of every written row. */
    private static Map<String, String> splits(Path dataset) {
        Map<String, String> out = new TreeMap<>();
        for (Row r : SPARK.read().option("recursiveFileLookup", "true").parquet(dataset.resolve("shards").toString()).select("key", "split")
                .collectAsList()) {
            out.put(r.getString(0), r.getString(1));
        }
        return out;
    }

    private static Map<String, List<String>> quarantine(Path dataset) {
        Map<String, List<String>> reasons = new TreeMap<>();
        for (Row r : SPARK.read().parquet(dataset.resolve("quarantine").toString()).collectAsList()) {
            reasons.computeIfAbsent(r.<String>getAs("reason"), k -> new ArrayList<>())
                    .add(new org.apache.hadoop.fs.Path(r.<String>getAs("source")).getName());
        }
        reasons.values().forEach(v -> v.sort(null));
        return reasons;
    }

    @Test
    void stratifiedSplitsGiveEveryClassItsExactShareInAnyPartitioning(@TempDir Path tmp) throws IOException {
        Path images = tmp.resolve("images");
        int[] perClass = {20, 31, 7};
        for (int k = 0; k < perClass.length; k++) {
            TestImages.writeClassFolders(images.resolve("tmp-" + k), 1, perClass[k], 12, 3, 10 + k);
            Files.move(images.resolve("tmp-" + k).resolve("class-0"), images.resolve("class-" + k));
            Files.delete(images.resolve("tmp-" + k));
        }
        Settings s = Settings.of(Map.of("train", images.toString()));
        Settings stratified = new Settings(s.inputs(), Map.of(), Map.of(), 0.2, 0.1, true, 0, "", ShardCodec.PNG,
                1 << 16);
        IngestResult a = IngestJob.run(SPARK, stratified.at(tmp.resolve("a")));
        for (int k = 0; k < perClass.length; k++) {
            String c = "class-" + k;
            long validation = Math.round(0.2 * perClass[k]);
            long test = Math.round(0.1 * perClass[k]);
            assertEquals(validation, a.manifest().splits().get("validation").perClass().getOrDefault(c, 0L), c);
            assertEquals(test, a.manifest().splits().get("test").perClass().getOrDefault(c, 0L), c);
            assertEquals(perClass[k] - validation - test, a.manifest().splits().get("train").perClass().get(c), c);
        }
        // statistics are of the final train split only
        assertEquals(a.manifest().splits().get("train").written(), a.stats().images());
        // every image lands in the same split whatever the task packing (one file per task here)
        Settings oneFilePerTask = new Settings(s.inputs(), Map.of(), Map.of(), 0.2, 0.1, true, 0, "",
                ShardCodec.PNG, 1 << 20);
        IngestJob.run(SPARK, oneFilePerTask.at(tmp.resolve("b")));
        assertEquals(splits(tmp.resolve("a")), splits(tmp.resolve("b")));

        // Unstratified: each image by its own hash; test-fraction alone makes a test split from the train input.
        Settings hashed = new Settings(s.inputs(), Map.of(), Map.of(), 0, 0.5, false, 0, "", ShardCodec.PNG, 1 << 16);
        IngestResult c = IngestJob.run(SPARK, hashed.at(tmp.resolve("c")));
        long testRows = c.manifest().splits().get("test").written();
        assertTrue(testRows > 10 && testRows < 48, "about half of 58: " + testRows);
        Map<String, String> hashedSplits = splits(tmp.resolve("c"));
        hashedSplits.forEach((key, split) -> assertEquals(
                RandomStreams.unitInterval(42, RandomStreams.SPLIT, key) < 0.5 ? "test" : "train", split, key));
    }

    @Test
    void aFolderWithALabelFileIsReadLikeImageNetsValidationSet(@TempDir Path tmp) throws IOException {
        Path train = tmp.resolve("train");
        TestImages.writeClassFolders(train, 3, 4, 12, 3, 1);
        // val/: flat files, labelled by a text file, by name or by index into the sorted classes
        Path val = Files.createDirectories(tmp.resolve("val"));
        ImageEncoder png = new ImageEncoder(ShardCodec.PNG, 90);
        for (int i = 1; i <= 7; i++) {
            Files.write(val.resolve(String.format("VAL_%08d.png", i)), png.encode(TestImages.pattern(i % 3, 12, 3, i)));
        }
        Files.write(val.resolve("VAL_00000008.png"), new byte[0]);
        String labels = String.join("\n",
                "# file label",
                "VAL_00000001.png 1",                 // index → class-1
                "VAL_00000002.png\tclass-2",          // name, tab-separated
                "VAL_00000003.png,0",                 // comma-separated index → class-0
                "VAL_00000004.png 7",                 // index out of range: unknown class
                "VAL_00000005.png",                   // no label
                "VAL_00000009.png 2",                 // listed, not there
                "VAL_00000001.png 1",                 // listed twice
                "VAL_00000008.png 0",                 // empty file
                "");
        Path labelFile = Files.writeString(tmp.resolve("val.txt"), labels);
        Map<String, String> inputs = new LinkedHashMap<>();
        inputs.put("train", train.toString());
        inputs.put("test", val.toString());
        Settings s = new Settings(inputs, Map.of(), Map.of("test", labelFile.toString()), 0, 0, false, 0, "",
                ShardCodec.PNG, 1 << 16);
        IngestResult result = IngestJob.run(SPARK, s.at(tmp.resolve("dataset")));
        DatasetManifest m = result.manifest();
        // inputs: 12 train files + 8 label lines + 2 files the label file does not list (6 and 7)
        assertEquals(12 + 8 + 2, m.inputCount());
        assertEquals(m.inputCount(), m.written() + m.quarantined());
        assertEquals(Map.of("class-0", 1L, "class-1", 1L, "class-2", 1L), m.splits().get("test").perClass());
        assertEquals(Map.of(
                "duplicate-key", List.of("VAL_00000001.png"),
                "empty-file", List.of("VAL_00000008.png"),
                "missing-file", List.of("VAL_00000009.png"),
                "missing-label", List.of("VAL_00000005.png", "VAL_00000006.png", "VAL_00000007.png"),
                "unknown-class", List.of("VAL_00000004.png")), quarantine(tmp.resolve("dataset")));
        Map<String, String> labelOf = new TreeMap<>();
        for (Row r : SPARK.read().parquet(tmp.resolve("dataset/shards/test").toString()).collectAsList()) {
            labelOf.put(r.getAs("key"), r.getAs("label_name"));
        }
        assertEquals(Map.of("test/VAL_00000001.png", "class-1", "test/VAL_00000002.png", "class-2",
                "test/VAL_00000003.png", "class-0"), labelOf);

        InvalidConfigException noFolder = assertThrows(InvalidConfigException.class, () -> new Settings(
                Map.of("train", train.toString()), Map.of(), Map.of("test", labelFile.toString()), 0, 0, false, 0, "",
                ShardCodec.PNG, 1 << 16).at(tmp.resolve("x")));
        assertEquals("preprocess.label-files.test", noFolder.key());
    }

    @Test
    void aPathGlobSelectsFilesRelativeToEachInputFolder(@TempDir Path tmp) throws IOException {
        Path images = tmp.resolve("images");
        TestImages.writeClassFolders(images, 3, 5, 12, 3, 2);
        Files.write(images.resolve("class-1/img-009.png"), new byte[0]);   // empty and matching: still an input
        Files.write(images.resolve("class-2/img-009.png"), new byte[0]);   // empty, not matching: not an input
        Settings s = new Settings(Map.of("train", images.toString()), Map.of(), Map.of(), 0, 0, false, 0,
                "{class-0,class-1}/img-00[0129].png", ShardCodec.PNG, 1 << 16);
        IngestResult result = IngestJob.run(SPARK, s.at(tmp.resolve("dataset")));
        assertEquals(List.of("class-0", "class-1", "class-2"), result.classes(), "classes still come from the folders");
        assertEquals(7, result.manifest().inputCount());
        assertEquals(Map.of("class-0", 3L, "class-1", 3L), result.manifest().splits().get("train").perClass());
        assertEquals(Map.of("empty-file", List.of("img-009.png")), quarantine(tmp.resolve("dataset")));

        InvalidConfigException absolute = assertThrows(InvalidConfigException.class, () -> new Settings(
                Map.of("train", images.toString()), Map.of(), Map.of(), 0, 0, false, 0, "/abs/*", ShardCodec.PNG,
                1 << 16).at(tmp.resolve("x")));
        assertEquals("preprocess.path-glob", absolute.key());
    }

    @Test
    void extensionsMatchInAnyLetterCase(@TempDir Path tmp) throws IOException {
        Path images = tmp.resolve("images");
        TestImages.writeClassFolders(images, 2, 3, 12, 3, 5);
        Files.move(images.resolve("class-0/img-000.png"), images.resolve("class-0/photo.Png"));
        Files.move(images.resolve("class-0/img-001.png"), images.resolve("class-0/scan.pNG"));
        Files.move(images.resolve("class-1/img-000.png"), images.resolve("class-1/UPPER.PNG"));
        Files.write(images.resolve("class-1/broken.pnG"), new byte[] {1, 2, 3});
        IngestResult result = IngestJob.run(SPARK, Settings.of(Map.of("train", images.toString()))
                .at(tmp.resolve("dataset")));
        assertEquals(7, result.manifest().inputCount(), "every image file below the root, whatever its case");
        assertEquals(Map.of("class-0", 3L, "class-1", 3L), result.manifest().splits().get("train").perClass());
        List<String> keys = new ArrayList<>(splits(tmp.resolve("dataset")).keySet());
        assertTrue(keys.stream().anyMatch(k -> k.endsWith("photo.Png")), keys::toString);
        assertTrue(keys.stream().anyMatch(k -> k.endsWith("scan.pNG")), keys::toString);
        assertEquals(List.of("broken.pnG"), quarantine(tmp.resolve("dataset")).values().stream()
                .flatMap(List::stream).toList(), "a bad mixed-case file is quarantined, not lost");
    }

    /**
     * Every entry below the input root is accounted for — written, quarantined with a reason, or counted as not an
     * input with a reason — in a layout of odd names: spaces, non-ASCII, nesting, a folder named like an image,
     * hidden files and folders, a file at the root, files of other extensions.
     */
    @Test
    void oddLayoutsAndNamesLoseNothing(@TempDir Path tmp) throws IOException {
        Path images = tmp.resolve("images");
        TestImages.writeClassFolders(images, 2, 1, 12, 3, 9);
        byte[] png = Files.readAllBytes(images.resolve("class-0/img-000.png"));
        Files.createDirectories(images.resolve("class-0/nested/deeper"));
        Files.write(images.resolve("class-0/nested/deeper/Über Blümchen ñ.png"), png);
        Files.write(images.resolve("class-0/with space.png"), png);
        Files.createDirectories(images.resolve("class-1/folder.png"));
        Files.write(images.resolve("class-1/folder.png/inner.png"), png);
        Files.write(images.resolve("class-1/.hidden.png"), png);
        Files.write(images.resolve("class-1/_underscore.png"), png);
        Files.createDirectories(images.resolve(".git/objects"));
        Files.writeString(images.resolve(".git/objects/a.png"), "not read");
        Files.writeString(images.resolve(".git/HEAD"), "not read");
        Files.writeString(images.resolve("class-0/readme.txt"), "notes");
        Files.writeString(images.resolve("class-1/no-extension"), "notes");
        Files.write(images.resolve("loose at root.png"), png);

        IngestResult result = IngestJob.run(SPARK, Settings.of(Map.of("train", images.toString()))
                .at(tmp.resolve("dataset")));
        var m = result.manifest();
        assertEquals(Map.of("class-0", 3L, "class-1", 2L), m.splits().get("train").perClass());
        assertEquals(6, m.inputCount());
        assertEquals(Map.of("no-class-folder", 1L), m.quarantineReasons());
        assertEquals(Map.of("hidden", 3L, "not-an-image-extension", 2L), m.ignored(),
                ".hidden.png, _underscore.png and the .git folder (once); readme.txt and no-extension");
        assertEquals(5, m.ignoredSample().size());
        assertTrue(m.ignoredSample().stream().anyMatch(p -> p.endsWith("/.git")), m.ignoredSample()::toString);
        assertTrue(result.summary().contains("not inputs 5 {hidden=3, not-an-image-extension=2};"), result.summary());
        List<String> keys = new ArrayList<>(splits(tmp.resolve("dataset")).keySet());
        assertTrue(keys.contains("train/class-0/nested/deeper/Über Blümchen ñ.png"), keys::toString);
        assertTrue(keys.contains("train/class-0/with space.png"), keys::toString);
        assertTrue(keys.contains("train/class-1/folder.png/inner.png"), keys::toString);
        assertEquals(List.of("loose at root.png"), quarantine(tmp.resolve("dataset")).get("no-class-folder"));
    }

    @Test
    void aFileInTheTrainAndTheTestManifestIsKeptInTrainOnly(@TempDir Path tmp) throws IOException {
        Path images = tmp.resolve("images");
        TestImages.writeClassFolders(images, 2, 3, 12, 3, 3);
        Path train = Files.writeString(images.resolve("train.csv"), "path,label\n"
                + "class-0/img-000.png,a\nclass-0/img-001.png,a\nclass-1/img-000.png,b\nclass-1/img-001.png,b\n");
        Path test = Files.writeString(images.resolve("test.csv"), "path,label\n"
                + "class-0/img-002.png,a\nclass-1/img-002.png,b\n./class-1/img-001.png,b\n");
        Settings s = new Settings(Map.of(), Map.of("train", train.toString(), "test", test.toString()), Map.of(), 0,
                0, false, 0, "", ShardCodec.PNG, 1 << 16);
        IngestResult result = IngestJob.run(SPARK, s.at(tmp.resolve("dataset")));
        assertEquals(4, result.manifest().splits().get("train").written());
        assertEquals(2, result.manifest().splits().get("test").written());
        assertEquals(Map.of("also-in-train", List.of("img-001.png")), quarantine(tmp.resolve("dataset")));
    }

    @Test
    void shardFilesFollowTheTargetSizeInBytes(@TempDir Path tmp) throws IOException {
        Path images = tmp.resolve("images");
        TestImages.writeClassFolders(images, 2, 12, 256, 3, 4);    // raw: 196,608 bytes per image, 4.7 MB in all
        Settings s = new Settings(Map.of("train", images.toString()), Map.of(), Map.of(), 0, 0, false, 1 << 20, "",
                ShardCodec.RAW, 1 << 16);
        IngestResult result = IngestJob.run(SPARK, s.at(tmp.resolve("dataset")));
        assertEquals(24, result.manifest().written());
        List<Path> files;
        try (Stream<Path> list = Files.list(tmp.resolve("dataset/shards/train"))) {
            files = list.filter(p -> p.toString().endsWith(".parquet")).toList();
        }
        assertEquals(5, files.size(), "ceil(24 × 196,608 B / 1 MiB) = 5 files: " + files);
        for (Path f : files) {
            assertTrue(Files.size(f) < 2 << 20, f + " has " + Files.size(f) + " bytes");
        }
        Settings byRows = Settings.of(Map.of("train", images.toString()));
        IngestConfig rowsOnly = byRows.at(tmp.resolve("unused"));
        assertEquals(1, IngestJob.shardFiles(24, 24 * 196_608L, rowsOnly));
        assertEquals(3, IngestJob.shardFiles(100_001, 0, rowsOnly), "50,000 rows per file at most");
    }
}
