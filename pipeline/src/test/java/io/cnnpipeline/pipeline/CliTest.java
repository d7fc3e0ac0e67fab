package io.cnnpipeline.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
    /** Runs the CLI in this JVM; returns {exit code, stdout, stderr}. */
    static String[] run(String... args) {
        java.io.StringWriter out = new java.io.StringWriter();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream oldErr = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Cli.execute(new java.io.PrintWriter(out, true), args);
            return new String[] {Integer.toString(code), out.toString(), err.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setErr(oldErr);
        }
    }

    @Test
    void configErrorsExitWithTwoBeforeSparkStarts() {
        String[] r = run("train", "--set", "train.epochs=0");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("error: Cannot use train.epochs: must be >= 1 (got 0)"), r[2]);
        String[] unknown = run("--set", "preprocess.chanels=3", "preprocess");
        assertEquals("2", unknown[0]);
        assertTrue(unknown[2].contains("Cannot use preprocess.chanels: unknown key"), unknown[2]);
        // --resume alone is train.resume = true, --resume=<mode> passes the mode on
        String[] bare = run("train", "--resume", "--set", "train.checkpoint-every-epochs=0");
        assertEquals("2", bare[0]);
        assertTrue(bare[2].contains("Cannot use train.resume: needs checkpoints"), bare[2]);
        String[] mode = run("train", "--resume=sometimes");
        assertEquals("2", mode[0]);
        assertTrue(mode[2].contains("Cannot use train.resume: must be one of false | true | auto (got sometimes)"), mode[2]);
    }

    @Test
    void configPrintsTheResolvedConfiguration() {
        String[] r = run("config", "--demo", "--set", "train.epochs=4");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("\ntrain.epochs = 4\n"), r[1]);
        assertTrue(r[1].contains("\ntrain.input-size = 28\n"), r[1]);
        assertTrue(r[1].contains("# Passes over the training split. Valid: must be >= 1.\ntrain.epochs"), r[1]);
    }

    @Test
    void everyCommandPrintsItsHelp() {
        for (String[] command : new String[][] {{"train"}, {"evaluate"}, {"predict"}, {"export"}, {"check"}}) {
            String[] args = java.util.Arrays.copyOf(command, command.length + 1);
            args[command.length] = "--help";
            String[] r = run(args);
            assertEquals("0", r[0], String.join(" ", args) + ": " + r[2]);
            String usage = "Usage: cnn-pipeline " + String.join(" ", command);
            assertTrue(r[1].contains(usage) || r[2].contains(usage), String.join(" ", args) + ": " + r[1] + r[2]);
            assertTrue((r[1] + r[2]).contains("--config"), r[1] + r[2]);
        }
    }

    @Test
    void predictNamesTheMissingOrConflictingInputBeforeSparkStarts() {
        String[] none = run("predict");
        assertEquals("2", none[0], none[2]);
        assertTrue(none[2].startsWith("error: Cannot use predict.input: exactly one of predict.input, "
                + "predict.manifest and predict.split must be set (0 are)"), none[2]);
        String[] two = run("predict", "--input", "photos", "--split", "test");
        assertEquals("2", two[0], two[2]);
        assertTrue(two[2].contains("(2 are)"), two[2]);
        String[] mode = run("predict", "--input", "photos", "--set", "predict.crop-mode=5-crop");
        assertEquals("2", mode[0], mode[2]);
        assertTrue(mode[2].contains("predict.crop-mode"), mode[2]);
    }

    @Test
    void exportRefusesAnUnknownFormatOrVerifyCountBeforeSparkStarts() {
        String[] format = run("export", "--format", "tflite");
        assertEquals("2", format[0], format[2]);
        assertTrue(format[2].startsWith("error: Cannot use --format: must be onnx (got tflite)"), format[2]);
        String[] verify = run("export", "--verify", "some");
        assertEquals("2", verify[0], verify[2]);
        assertTrue(verify[2].contains("--verify"), verify[2]);
    }

    @Test
    void unknownCommandsAreUsageErrors() {
        assertEquals("2", run("fly")[0]);
    }

    @Test
    void augmentPreviewWritesOneGridForThePipelineAndOnePerTransform(@TempDir Path tmp) throws Exception {
        Path photos = Path.of("/usr/share/hugin/xrc/data/help_en_EN");
        String[] r = run("augment-preview", "--config", Path.of("../conf/imagenet-like.conf").toString(),
                "--set", "train.augmentation=[{type=random-resized-crop}, {type=flip}, {type=affine}, "
                        + "{type=lens-distortion}, {type=random-erasing}, {type=pca-lighting}]",
                "--images", photos.resolve("300px-2125768589_b.jpg").toString(),
                "--images", photos.resolve("800px-C_Marchi-GrandCentral-adj.jpg").toString(),
                "--variants", "3", "--output", tmp.resolve("preview").toString());
        assertEquals("0", r[0], r[2]);
        List<String> names = List.of("pipeline", "01-random-resized-crop", "02-flip", "03-affine",
                "04-lens-distortion", "05-random-erasing", "06-pca-lighting");
        for (String name : names) {
            BufferedImage grid = ImageIO.read(tmp.resolve("preview").resolve(name + ".png").toFile());
            // 2 rows, 1 source + 3 variant columns of 160 px cells (input 224 > 160), 2 px gaps, a 16 px title
            assertEquals(4 * 162 + 2, grid.getWidth(), name);
            assertEquals(16 + 2 * 162 + 2, grid.getHeight(), name);
            assertTrue(r[1].contains(name + ".png"), r[1]);
        }
        try (java.util.stream.Stream<Path> files = Files.list(tmp.resolve("preview"))) {
            assertEquals(names.size(), files.count(), "no checksum or temporary files left beside the grids");
        }
        String[] luma = run("augment-preview", "--set", "preprocess.channels=1", "--set",
                "train.augmentation=[{type=pca-lighting}]", "--images", photos.resolve("300px-2125768589_b.jpg")
                        .toString(), "--output", tmp.resolve("luma").toString());
        assertEquals("2", luma[0]);
        assertTrue(luma[2].contains("Cannot use train.augmentation: Cannot configure pca-lighting: the dataset has 1 "
                + "channel(s)"), luma[2]);
    }

    @Test
    void networkSummaryTakesTheDatasetsChannelsAndClasses(@TempDir Path tmp) throws Exception {
        String[] none = run("network", "--set", "train.network=lenet", "--set", "train.input-size=28",
                "--set", "preprocess.channels=1", "--set", "train.dataset=" + tmp.resolve("not-written"));
        assertEquals("0", none[0], none[2]);
        assertTrue(none[1].startsWith("lenet on 1x28x28 input, 1000 classes\n"), none[1]);
        assertTrue(none[1].contains("memory per worker at minibatch ")
                && none[1].contains("(no dataset: cached minibatches not counted)"), none[1]);

        Path dataset = tmp.resolve("dataset");
        Files.createDirectories(dataset);
        Files.write(dataset.resolve(io.cnnpipeline.dataset.ShardSchema.MANIFEST),
                io.cnnpipeline.core.Json.toBytes(new io.cnnpipeline.dataset.DatasetManifest(
                        io.cnnpipeline.dataset.ShardSchema.VERSION, "2026-12-02T00:00:00Z", java.util.Map.of(),
                        0, 0, 0, java.util.Map.of(), java.util.Map.of(), java.util.List.of(), java.util.Map.of(), 3, 0, "png", 0, null, null, java.util.Map.of())));
        Files.write(dataset.resolve(io.cnnpipeline.dataset.ShardSchema.CLASSES),
                io.cnnpipeline.core.Json.toBytes(List.of("cat", "dog", "fox")));
        Files.write(dataset.resolve(io.cnnpipeline.dataset.ShardSchema.STATS),
                io.cnnpipeline.core.Json.toBytes(new io.cnnpipeline.dataset.DatasetStats(3, 0, 0,
                        new double[] {0.5, 0.5, 0.5}, new double[] {0.25, 0.25, 0.25}, null, null, null,
                        java.util.Map.of(), java.util.Map.of())));
        String[] written = run("network", "--set", "train.network=lenet", "--set", "train.input-size=28",
                "--set", "preprocess.channels=1", "--set", "train.dataset=" + dataset);
        assertEquals("0", written[0], written[2]);
        assertTrue(written[1].startsWith("lenet on 3x28x28 input, 3 classes (dataset "), written[1]);
        // LeNet's output layer: 500 inputs x 3 classes + 3 biases.
        assertTrue(written[1].contains("1,503"), written[1]);

        String[] chosen = run("network", "--channels", "1", "--classes", "10", "--set", "train.network=lenet",
                "--set", "train.input-size=28", "--set", "train.dataset=" + dataset);
        assertTrue(chosen[1].startsWith("lenet on 1x28x28 input, 10 classes\n"), chosen[1]);
        assertTrue(chosen[1].contains("431,080 parameters"), chosen[1]);

        String[] bad = run("network", "--channels", "2");
        assertEquals("2", bad[0]);
        assertTrue(bad[2].contains("--channels"), bad[2]);
    }

    @Test
    void quarantineListsTheRejectedInputsPerReason(@TempDir Path tmp) throws Exception {
        io.cnnpipeline.core.TestImages.writeClassFolders(tmp.resolve("images"), 2, 4, 16, 1, 3);
        Files.writeString(tmp.resolve("images/class-0/notes.png"), "not an image");
        Files.write(tmp.resolve("images/class-1/empty.png"), new byte[0]);
        Files.write(tmp.resolve("images/loose.png"), Files.readAllBytes(tmp.resolve("images/class-0/img-000.png")));
        String[] sets = {"--set", "preprocess.inputs.train=\"" + tmp.resolve("images") + "\"", "--set",
            "preprocess.output=\"" + tmp.resolve("dataset") + "\"", "--set", "preprocess.channels=1", "--set",
            "preprocess.contact-sheet-size=0"};
        String[] pre = run(concat(new String[] {"preprocess"}, sets));
        assertEquals("0", pre[0], pre[2]);
        assertTrue(pre[1].contains("quarantined 3 {empty-file=1, no-class-folder=1, unsupported-format=1};"), pre[1]);
        String[] all = run(concat(new String[] {"quarantine"}, sets));
        assertEquals("0", all[0], all[2]);
        assertTrue(all[1].startsWith("quarantine: 3 input(s) of 11 in "), all[1]);
        assertTrue(all[1].contains("{empty-file=1, no-class-folder=1, unsupported-format=1}"), all[1]);
        assertTrue(all[1].contains("  train  unsupported-format  " + tmp.resolve("images").toUri().toString()
                .replace("file:///", "file:/") + "class-0/notes.png  "), all[1]);
        String[] one = run(concat(new String[] {"quarantine", "--reason", "empty-file", "--limit", "0"}, sets));
        assertEquals("0", one[0], one[2]);
        assertTrue(one[1].startsWith("quarantine: 1 input(s) of 11 in ") && one[1].contains("1 more (--limit)"),
                one[1]);
    }

    /** check reports each stage's preconditions without Spark, and exits 1 while one is not met. */
    @Test
    void checkReportsEachStagesPreconditions(@TempDir Path tmp) throws Exception {
        String[] sets = {"--set", "preprocess.inputs.train=\"" + tmp.resolve("images") + "\"", "--set",
            "preprocess.output=\"" + tmp.resolve("dataset") + "\"", "--set", "train.runs-dir=\"" + tmp.resolve("runs")
                + "\""};
        String[] missing = run(concat(new String[] {"check"}, sets));
        assertEquals("1", missing[0], missing[2]);
        assertTrue(missing[1].contains("problem preprocess: input train " + tmp.resolve("images") + " does not exist"),
                missing[1]);
        assertTrue(missing[1].contains("ok      train: dataset " + tmp.resolve("dataset") + " is not written yet"),
                missing[1]);
        Files.createDirectories(tmp.resolve("images/cat"));
        Files.createDirectories(tmp.resolve("runs/run-a"));
        Files.writeString(tmp.resolve("runs/latest"), "run-a\n");
        String[] resume = run(concat(new String[] {"check", "--resume"}, sets));
        assertTrue(resume[1].contains("ok      preprocess: input train"), resume[1]);
        assertTrue(resume[1].contains("problem train: resume run ") && resume[1].contains("run-a: has no checkpoint"),
                resume[1]);
        assertTrue(resume[1].contains("problem evaluate: model ") && resume[1].contains("run-a/model.zip"), resume[1]);
        assertEquals("1", resume[0]);
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
