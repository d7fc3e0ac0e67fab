package io.cnnpipeline.ingest;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.image.ContactSheet;
import io.cnnpipeline.image.Crops;
import io.cnnpipeline.dataset.DatasetDirectory;
import io.cnnpipeline.dataset.DatasetManifest;
import io.cnnpipeline.dataset.DatasetStats;
import io.cnnpipeline.core.HadoopFiles;
import io.cnnpipeline.image.ImageDecoder;
import io.cnnpipeline.image.ImageEncoder;
import io.cnnpipeline.core.InvalidConfigException;
import io.cnnpipeline.core.MiniHdfs;
import io.cnnpipeline.dataset.PixelMoments;
import io.cnnpipeline.image.Resize;
import io.cnnpipeline.dataset.ShardCodec;
import io.cnnpipeline.dataset.ShardRecord;
import io.cnnpipeline.dataset.ShardSchema;
import io.cnnpipeline.core.TestImages;
import io.cnnpipeline.core.TestSpark;
import io.cnnpipeline.image.TurboJpeg;
import io.cnnpipeline.image.UInt8Image;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IngestJobTest {
    private static final SparkSession SPARK = TestSpark.get();
    private static Path data;

    @BeforeAll
    static void writeInputs() throws IOException {
        data = Files.createTempDirectory("ingest-inputs");
        TestImages.writeClassFolders(data.resolve("train"), 3, 12, 20, 3, 1);
        TestImages.writeClassFolders(data.resolve("test"), 3, 4, 20, 3, 2);
        // Bad inputs, each of which must be quarantined with its reason.
        Files.write(data.resolve("train/class-0/empty.png"), new byte[0]);
        Files.writeString(data.resolve("train/class-1/notes.jpg"), "this is not a JPEG");
        byte[] photo = Files.readAllBytes(TestImages.huginPhotos().get(0));
        Files.write(data.resolve("train/class-2/truncated.jpg"), Arrays.copyOf(photo, photo.length / 3));
        Files.write(data.resolve("train/loose.png"), Files.readAllBytes(data.resolve("train/class-0/img-000.png")));
        Files.createDirectories(data.resolve("test/class-9"));
        Files.write(data.resolve("test/class-9/x.png"), Files.readAllBytes(data.resolve("train/class-0/img-001.png")));
        // Not an input: the extension is not listed.
        Files.writeString(data.resolve("train/class-0/README.txt"), "ignored");
    }

    @AfterAll
    static void cleanUp() {
        TestImages.deleteRecursively(data);
    }

    static IngestConfig config(String train, String test, String output, long partitionBytes, long openCost,
                               long seed, boolean overwrite) {
        Map<String, String> inputs = new LinkedHashMap<>();
        inputs.put("train", train);
        if (test != null) {
            inputs.put("test", test);
        }
        return new IngestConfig(inputs, Map.of(), "", output, 16, false, 3, ShardCodec.PNG, 90, 50_000_000L, 1000, 1 << 20,
                partitionBytes, openCost, 0.25, overwrite, seed, List.of("png", "jpg", "jpeg"), 12, IngestConfig.JpegCodec.IMAGEIO, null, 0.0, false, 0L, Map.of(), "", true, 4_194_304L);
    }

    private static IngestConfig config(Path output) {
        return config(data.resolve("train").toString(), data.resolve("test").toString(), output.toString(),
                128L << 20, 4096, 42, false);
    }

    @Test
    void everyInputIsWrittenOrQuarantinedWithItsReason(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("dataset");
        IngestResult result = IngestJob.run(SPARK, config(out));
        DatasetManifest m = result.manifest();
        assertEquals(36 + 12 + 5, m.inputCount());
        assertEquals(48, m.written());
        assertEquals(5, m.quarantined());
        assertEquals(m.inputCount(), m.written() + m.quarantined());
        assertEquals(List.of("class-0", "class-1", "class-2"), result.classes());
        assertEquals(Map.of("empty-file", 1L, "unsupported-format", 1L, "corrupt", 1L, "no-class-folder", 1L,
                "unknown-class", 1L), m.quarantineReasons());
        assertTrue(result.summary().contains("quarantined 5 {corrupt=1, empty-file=1, no-class-folder=1, "
                + "unknown-class=1, unsupported-format=1};"), result.summary());

        List<Row> quarantine = SPARK.read().parquet(out.resolve("quarantine").toString()).collectAsList();
        Map<String, String> reasons = quarantine.stream().collect(Collectors.toMap(
                r -> r.<String>getAs("source").replaceAll(".*/(train|test)/", "$1/"), r -> r.getAs("reason")));
        assertEquals(Map.of("train/class-0/empty.png", "empty-file", "train/class-1/notes.jpg", "unsupported-format",
                "train/class-2/truncated.jpg", "corrupt", "train/loose.png", "no-class-folder",
                "test/class-9/x.png", "unknown-class"), reasons);

        DatasetDirectory dataset = DatasetDirectory.open(out.toString(), SPARK.sparkContext().hadoopConfiguration());
        org.apache.spark.sql.types.StructType stored = SPARK.read().parquet(out.resolve("shards/train").toString()).schema();
        assertEquals(ShardSchema.FIELDS.stream().map(f -> f.name() + ":" + f.type()).toList(),
                Arrays.stream(stored.fields()).map(f -> f.name() + ":" + f.dataType()).toList());
        assertEquals(36, dataset.count("train") + dataset.count("validation"));
        assertTrue(dataset.count("validation") > 0 && dataset.count("validation") < 20);
        assertEquals(12, dataset.count("test"));
        for (String split : List.of("train", "validation", "test")) {
            for (Row row : dataset.shards(SPARK, split).collectAsList()) {
                ShardRecord r = ShardRecord.fromRow(row);
                assertEquals(16, r.image().width());
                assertEquals(16, r.image().height());
                assertEquals(result.classes().get(r.label()), row.getAs("label_name"));
                assertTrue(r.key().startsWith(split.equals("test") ? "test/class-" : "train/class-"), r.key());
            }
        }
        // stats.json equals the statistics of the stored training images.
        long[] moments = new long[PixelMoments.length(3)];
        for (Row row : dataset.shards(SPARK, "train").collectAsList()) {
            PixelMoments.add(moments, PixelMoments.of(ShardRecord.fromRow(row).image()));
        }
        DatasetStats expected = DatasetStats.fromMoments(moments, 3, dataset.count("train"), Map.of(), Map.of());
        assertTrue(Arrays.equals(expected.mean(), dataset.stats().mean()));
        assertTrue(Arrays.equals(expected.std(), dataset.stats().std()));
        assertEquals(Map.of("16x16", dataset.count("train")), dataset.stats().imageSizes());
        assertEquals(dataset.count("train"), dataset.stats().classCounts().values().stream().mapToLong(v -> v).sum());
        assertEquals(List.of("dataset"), listNames(tmp), "no staging directories left behind");

        // contact-sheet.png: 12 train thumbnails (16 px < the 96 px cell), 10 per row, captioned
        java.awt.image.BufferedImage sheet = javax.imageio.ImageIO.read(out.resolve(ContactSheet.FILE).toFile());
        assertEquals(2 + 10 * (96 + 2), sheet.getWidth());
        assertEquals(2 + 2 * (96 + 14 + 2), sheet.getHeight());
    }

    @Test
    void sameSeedGivesTheSameRowsWhateverThePartitioning(@TempDir Path tmp) {
        IngestConfig many = config(data.resolve("train").toString(), null, tmp.resolve("a").toString(),
                1 << 20, 1 << 20, 42, false);
        IngestConfig few = config(data.resolve("train").toString(), null, tmp.resolve("b").toString(),
                64L << 20, 0, 42, false);
        IngestConfig otherSeed = config(data.resolve("train").toString(), null, tmp.resolve("c").toString(),
                1 << 20, 1 << 20, 7, false);
        IngestResult manyResult = IngestJob.run(SPARK, many);
        IngestResult fewResult = IngestJob.run(SPARK, few);
        Set<String> a = rows(manyResult);
        Set<String> b = rows(fewResult);
        assertEquals(a, b);
        assertArrayEquals(readBytes(tmp.resolve("a").resolve(ContactSheet.FILE)),
                readBytes(tmp.resolve("b").resolve(ContactSheet.FILE)), "the same sample on the contact sheet");
        assertEquals(36, a.size());
        IngestResult otherSeedResult = IngestJob.run(SPARK, otherSeed);
        assertNotEquals(a, rows(otherSeedResult), "another seed assigns other validation rows");

        // The content fingerprint follows the rows, not the run: equal for the two partitionings although the
        // manifests' bytes differ (createdAt, application id), different for another split assignment.
        String fingerprint = manyResult.manifest().contentSha256();
        assertEquals(64, fingerprint.length());
        assertEquals(fingerprint, fewResult.manifest().contentSha256());
        assertNotEquals(DatasetDirectory.open(manyResult.output(), SPARK.sparkContext().hadoopConfiguration())
                .manifestSha256(), DatasetDirectory.open(fewResult.output(), SPARK.sparkContext()
                .hadoopConfiguration()).manifestSha256());
        assertNotEquals(fingerprint, otherSeedResult.manifest().contentSha256());
    }

    @Test
    void oneChangedImageChangesTheContentFingerprint(@TempDir Path tmp) throws IOException {
        Path train = tmp.resolve("train");
        TestImages.writeClassFolders(train, 2, 6, 20, 3, 5);
        IngestConfig first = config(train.toString(), null, tmp.resolve("a").toString(), 128L << 20, 4096, 42, false);
        String before = IngestJob.run(SPARK, first).manifest().contentSha256();
        Path moved = tmp.resolve("elsewhere/train");
        Files.createDirectories(moved.getParent());
        Files.move(train, moved);
        IngestConfig relocated = config(moved.toString(), null, tmp.resolve("b").toString(), 128L << 20, 4096, 42,
                false);
        assertEquals(before, IngestJob.run(SPARK, relocated).manifest().contentSha256(),
                "keys are relative to the split input: the same images elsewhere are the same content");
        // img-003 of class-1 replaced by the same pattern drawn from another seed: same key, label and size
        TestImages.writeClassFolders(tmp.resolve("other"), 2, 6, 20, 3, 6);
        assertFalse(Arrays.equals(readBytes(tmp.resolve("other/class-1/img-003.png")),
                readBytes(moved.resolve("class-1/img-003.png"))));
        Files.copy(tmp.resolve("other/class-1/img-003.png"), moved.resolve("class-1/img-003.png"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        IngestConfig changed = config(moved.toString(), null, tmp.resolve("c").toString(), 128L << 20, 4096, 42, false);
        assertNotEquals(before, IngestJob.run(SPARK, changed).manifest().contentSha256());
    }

    @Test
    void anExistingOutputIsKeptUnlessOverwriteIsOn(@TempDir Path tmp) {
        Path out = tmp.resolve("dataset");
        IngestJob.run(SPARK, config(out));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> IngestJob.run(SPARK, config(out)));
        assertTrue(e.getMessage().contains("already exists (set preprocess.overwrite = true"), e.getMessage());
        IngestConfig overwrite = config(data.resolve("train").toString(), null, out.toString(), 128L << 20, 4096, 42,
                true);
        IngestResult again = IngestJob.run(SPARK, overwrite);
        assertFalse(again.manifest().splits().containsKey("test"));
        assertEquals(List.of("dataset"), listNames(tmp));
    }

    @Test
    void aJobKilledMidwayLeavesNothingThatReadsAsADataset(@TempDir Path tmp) {
        Path out = tmp.resolve("dataset");
        AtomicInteger finished = new AtomicInteger();
        SparkListener killer = new SparkListener() {
            @Override
            public void onJobEnd(SparkListenerJobEnd jobEnd) {
                finished.incrementAndGet();
            }

            @Override
            public void onJobStart(SparkListenerJobStart jobStart) {
                if (finished.get() >= 3) {
                    SPARK.sparkContext().cancelJob(jobStart.jobId());
                }
            }
        };
        SPARK.sparkContext().addSparkListener(killer);
        try {
            assertThrows(Exception.class, () -> IngestJob.run(SPARK, config(out)));
        } finally {
            SPARK.sparkContext().removeSparkListener(killer);
        }
        assertTrue(finished.get() >= 3);
        assertFalse(Files.exists(out));
        assertEquals(List.of(), listNames(tmp), "staging directory must be removed");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> DatasetDirectory.open(out.toString(), SPARK.sparkContext().hadoopConfiguration()));
        assertTrue(e.getMessage().contains("no _manifest.json"), e.getMessage());
    }

    @Test
    void readsAndWritesHdfs(@TempDir Path tmp) throws Exception {
        try (MiniHdfs hdfs = new MiniHdfs()) {
            FileSystem fs = HadoopFiles.fs(hdfs.uri(), hdfs.configuration());
            fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(data.resolve("train").toUri()),
                    new org.apache.hadoop.fs.Path(hdfs.uri() + "/images/train"));
            IngestConfig onHdfs = config(hdfs.uri() + "/images/train", null, hdfs.uri() + "/datasets/d", 1 << 20,
                    4096, 42, false);
            IngestResult result = IngestJob.run(SPARK, onHdfs);
            assertEquals(36 + 4, result.manifest().inputCount());
            assertTrue(result.output().startsWith("hdfs://127.0.0.1:"));
            DatasetDirectory dataset = DatasetDirectory.open(hdfs.uri() + "/datasets/d",
                    SPARK.sparkContext().hadoopConfiguration());
            assertEquals(result.manifest().written(), dataset.count("train") + dataset.count("validation"));
            IngestConfig local = config(data.resolve("train").toString(), null, tmp.resolve("l").toString(), 1 << 20,
                    4096, 42, false);
            assertEquals(rows(IngestJob.run(SPARK, local)), rows(result), "HDFS and local ingest give the same rows");
        }
    }

    /** key|split|label|pixel hash of every written row. */
    private static Set<String> rows(IngestResult result) {
        DatasetDirectory d = DatasetDirectory.open(result.output(), SPARK.sparkContext().hadoopConfiguration());
        Set<String> rows = new HashSet<>();
        for (String split : List.of("train", "validation")) {
            if (!d.hasSplit(split)) {
                continue;
            }
            for (Row r : d.shards(SPARK, split).select(col("key"), col("split"), col("label"), col("image"),
                    col("width"), col("height"), col("channels"), col("codec")).collectAsList()) {
                ShardRecord rec = ShardRecord.fromRow(r);
                rows.add(rec.key() + "|" + r.getAs("split") + "|" + rec.label() + "|" + rec.image().hashCode());
            }
        }
        return rows;
    }

    private static List<String> listNames(Path dir) {
        try (var s = Files.list(dir)) {
            return new ArrayList<>(s.map(p -> p.getFileName().toString()).sorted().toList());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void centreCropKeepsTheCentredSquareOfTheResizedImage(@TempDir Path tmp) throws IOException {
        ImageEncoder png = new ImageEncoder(ShardCodec.PNG, 90);
        Map<String, UInt8Image> sources = new LinkedHashMap<>();
        for (int k = 0; k < 2; k++) {
            Path dir = Files.createDirectories(tmp.resolve("images/class-" + k));
            UInt8Image wide = Resize.to(TestImages.pattern(k, 40, 3, k), 40, 24);
            UInt8Image tall = Resize.to(TestImages.pattern(k + 2, 40, 3, k), 18, 30);
            Files.write(dir.resolve("wide.png"), png.encode(wide));
            Files.write(dir.resolve("tall.png"), png.encode(tall));
            sources.put("train/class-" + k + "/wide.png", wide);
            sources.put("train/class-" + k + "/tall.png", tall);
        }
        IngestConfig cfg = new IngestConfig(Map.of("train", tmp.resolve("images").toString()), Map.of(), "",
                tmp.resolve("dataset").toString(), 12, true, 3, ShardCodec.PNG, 90, 50_000_000L, 1000, 1 << 20,
                1 << 20, 4096, 0.0, false, 42, List.of("png"), 0, IngestConfig.JpegCodec.IMAGEIO, null, 0.0, false, 0L, Map.of(), "", true, 4_194_304L);
        IngestJob.run(SPARK, cfg);
        DatasetDirectory dataset = DatasetDirectory.open(tmp.resolve("dataset").toString(),
                SPARK.sparkContext().hadoopConfiguration());
        int seen = 0;
        for (Row row : dataset.shards(SPARK, "train").collectAsList()) {
            ShardRecord r = ShardRecord.fromRow(row);
            UInt8Image resized = Resize.shortSide(sources.get(r.key()), 12);
            assertEquals(Crops.apply(resized, Crops.centre(resized.width(), resized.height(), 12)), r.image(), r.key());
            seen++;
        }
        assertEquals(4, seen);
    }

    @Test
    void turboJpegIngestMatchesImageIoOnRealPhotosAndAMissingBindingStopsFirst(@TempDir Path tmp) throws Exception {
        List<Path> photos = TestImages.huginPhotos();
        for (int i = 0; i < 8; i++) {
            Path dir = Files.createDirectories(tmp.resolve("images/class-" + (i % 2)));
            Files.copy(photos.get(10 + i), dir.resolve(photos.get(10 + i).getFileName()));
        }
        InvalidConfigException missing = assertThrows(InvalidConfigException.class, () -> IngestJob.run(SPARK,
                jpegConfig(tmp, "missing", "turbojpeg", "/no/such/turbojpeg.jar", false)));
        assertEquals("preprocess.jpeg-codec", missing.key());
        assertFalse(Files.exists(tmp.resolve("missing")), "nothing written");
        org.junit.jupiter.api.Assumptions.assumeTrue(new java.io.File(TurboJpeg.DEBIAN_JAR).isFile(),
                "libturbojpeg-java is installed by .ci/run");
        IngestJob.run(SPARK, jpegConfig(tmp, "imageio", "imageio", null, true));
        IngestJob.run(SPARK, jpegConfig(tmp, "turbo", "turbojpeg", TurboJpeg.DEBIAN_JAR, false));
        IngestJob.run(SPARK, jpegConfig(tmp, "turbo-dct", "turbojpeg", TurboJpeg.DEBIAN_JAR, true));
        Map<String, UInt8Image> a = images(tmp.resolve("imageio"));
        Map<String, UInt8Image> b = images(tmp.resolve("turbo"));
        Map<String, UInt8Image> c = images(tmp.resolve("turbo-dct"));
        assertEquals(a.keySet(), b.keySet());
        assertEquals(a.keySet(), c.keySet());
        assertEquals(8, a.size());
        TurboJpeg turbo = TurboJpeg.load(TurboJpeg.DEBIAN_JAR);
        int reduced = 0;
        for (String key : a.keySet()) {
            // full decode: the same pixels up to SIMD rounding; DCT-scaled decode (then area resize to 64): another
            // antialiased downscale of the same photo, close but not equal
            assertTrue(meanAbsDiff(a.get(key), b.get(key)) < 0.5, key + ": " + meanAbsDiff(a.get(key), b.get(key)));
            assertTrue(meanAbsDiff(a.get(key), c.get(key)) < 4, key + ": " + meanAbsDiff(a.get(key), c.get(key)));
            assertEquals(64, c.get(key).shortSide(), key);
            Path photo = photos.stream().filter(p -> key.endsWith(p.getFileName().toString())).findFirst().orElseThrow();
            UInt8Image full = new ImageDecoder(3, 1L << 26).decode(readBytes(photo));
            // the smallest of 1/8, 1/4, 1/2 (libjpeg's scaled size, rounded up) that keeps the short side >= 64
            int[] expected = {full.width(), full.height()};
            for (int d : new int[] {8, 4, 2}) {
                int sw = (full.width() + d - 1) / d;
                int sh = (full.height() + d - 1) / d;
                if (Math.min(sw, sh) >= 64) {
                    expected = new int[] {sw, sh};
                    break;
                }
            }
            assertArrayEquals(expected, turbo.reducedSize(full.width(), full.height(), 64), key);
            reduced += expected[0] < full.width() ? 1 : 0;
        }
        assertTrue(reduced >= 3, "photos with a short side of 128 px or more are reduced: " + reduced);
    }

    private static double meanAbsDiff(UInt8Image x, UInt8Image y) {
        assertEquals(x.width(), y.width());
        assertEquals(x.height(), y.height());
        long sum = 0;
        for (int i = 0; i < x.pixels().length; i++) {
            sum += Math.abs((x.pixels()[i] & 0xFF) - (y.pixels()[i] & 0xFF));
        }
        return (double) sum / x.pixels().length;
    }

    private static IngestConfig jpegConfig(Path tmp, String out, String decoder, String jar, boolean dctScaling) {
        return new IngestConfig(Map.of("train", tmp.resolve("images").toString()), Map.of(), "",
                tmp.resolve(out).toString(), 64, false, 3, ShardCodec.PNG, 90, 50_000_000L, 1000, 1 << 20, 1 << 20,
                4096, 0.0, false, 42, List.of("jpg"), 0, IngestConfig.JpegCodec.valueOf(decoder.toUpperCase(java.util.Locale.ROOT)), jar, 0.0, false, 0L, Map.of(), "", dctScaling, 4_194_304L);
    }

    private static Map<String, UInt8Image> images(Path dataset) {
        Map<String, UInt8Image> out = new java.util.TreeMap<>();
        DatasetDirectory d = DatasetDirectory.open(dataset.toString(), SPARK.sparkContext().hadoopConfiguration());
        for (Row row : d.shards(SPARK, "train").collectAsList()) {
            ShardRecord r = ShardRecord.fromRow(row);
            out.put(r.key(), r.image());
        }
        return out;
    }

    private static byte[] readBytes(Path p) {
        try {
            return java.nio.file.Files.readAllBytes(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void manifestsListFilesWithLabelsAndEveryListingIsAccountedFor(@TempDir Path tmp) throws IOException {
        Path images = tmp.resolve("images");
        TestImages.writeClassFolders(images, 2, 6, 16, 3, 5);
        Path elsewhere = tmp.resolve("elsewhere");
        TestImages.writeClassFolders(elsewhere, 1, 1, 16, 3, 6);
        String absolute = elsewhere.resolve("class-0/img-000.png").toUri().toString();
        StringBuilder csv = new StringBuilder("path,label\n");
        for (int i = 0; i < 6; i++) {
            csv.append(String.format("class-0/img-%03d.png,shirt%n", i));
            csv.append(String.format("class-1/img-%03d.png,trouser%n", i));
        }
        csv.append("./class-0/img-000.png,shirt\n");           // the same file again, same label: written once
        csv.append("class-1/img-005.png,trouser\n");            // and again
        csv.append(absolute).append(",trouser\n");             // an absolute URI outside the root
        csv.append("class-0/missing.png,shirt\n");              // listed but absent
        csv.append("class-0/img-001.png,trouser\n");            // img-001 of class-0 now has two labels
        csv.append("class-1/unlabelled.png,\n");                // no label
        Path manifest = Files.writeString(images.resolve("train.csv"), csv.toString());
        // the test split as a Parquet manifest, one row with a class the train manifest does not have
        Path testManifest = tmp.resolve("test-manifest.parquet");
        TestImages.writeClassFolders(images.resolve("held-out"), 2, 1, 16, 3, 7);
        SPARK.createDataFrame(List.of(RowFactory.create("held-out/class-0/img-000.png", "shirt"),
                        RowFactory.create("held-out/class-1/img-000.png", "coat")),
                new org.apache.spark.sql.types.StructType().add("path", "string").add("label", "string"))
                .coalesce(1).write().parquet(testManifest.toString());

        Path out = tmp.resolve("dataset");
        IngestConfig cfg = new IngestConfig(Map.of(), Map.of("train", manifest.toString(), "test",
                testManifest.toString()), images.toString(), out.toString(), 0, false, 3, ShardCodec.PNG, 90, 50_000_000L,
                1000, 1 << 20, 1 << 20, 1 << 16, 0.0, false, 42, List.of("png"), 0, IngestConfig.JpegCodec.IMAGEIO, null, 0.0, false, 0L, Map.of(), "", true, 4_194_304L);
        IngestResult result = IngestJob.run(SPARK, cfg);
        DatasetManifest m = result.manifest();
        assertEquals(List.of("shirt", "trouser"), result.classes());
        assertEquals(12 + 6 + 2, m.inputCount(), "every manifest row is an input");
        assertEquals(m.inputCount(), m.written() + m.quarantined());
        Map<String, List<String>> reasons = new java.util.TreeMap<>();
        for (Row r : SPARK.read().parquet(out.resolve("quarantine").toString()).collectAsList()) {
            reasons.computeIfAbsent(r.<String>getAs("reason"), k -> new ArrayList<>())
                    .add(r.<String>getAs("source").replaceAll(".*/(class-\\d/)", "$1"));
        }
        reasons.values().forEach(v -> v.sort(null));
        assertEquals(Map.of(
                "conflicting-labels", List.of("class-0/img-001.png", "class-0/img-001.png"),
                "duplicate-key", List.of("class-0/img-000.png", "class-1/img-005.png"),
                "missing-file", List.of("class-0/missing.png"),
                "missing-label", List.of("class-1/unlabelled.png"),
                "unknown-class", List.of("class-1/img-000.png")), reasons);
        DatasetDirectory dataset = DatasetDirectory.open(out.toString(), SPARK.sparkContext().hadoopConfiguration());
        Set<String> keys = new java.util.TreeSet<>();
        for (Row row : dataset.shards(SPARK, "train").collectAsList()) {
            ShardRecord r = ShardRecord.fromRow(row);
            keys.add(r.key() + "=" + row.getAs("label_name"));
        }
        assertEquals(12 - 1 + 1, keys.size(), "12 listed files minus class-0/img-001 (conflicting labels), plus "
                + "the absolute one: " + keys);
        assertTrue(keys.contains("train/class-0/img-000.png=shirt"), keys.toString());
        assertTrue(keys.contains("train/" + absolute.replace("file:///", "file:/") + "=trouser"), keys.toString());
        assertEquals(1, dataset.count("test"));
    }
}
