package io.cnnpipeline.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.core.InvalidConfigException;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PipelineConfigTest {
    private static PipelineConfig load(String... overrides) {
        return PipelineConfig.load(null, List.of(), List.of(overrides));
    }

    private static InvalidConfigException rejected(String... overrides) {
        return assertThrows(InvalidConfigException.class, () -> load(overrides));
    }

    @Test
    void defaultsLoadAndDeriveTheStagesFromEachOther() {
        PipelineConfig c = load("preprocess.output=\"/data/ds\"", "train.run-id=r7", "train.runs-dir=\"/runs/\"");
        assertEquals("/data/ds", c.train().dataset());
        assertEquals("/data/ds", c.evaluate().dataset());
        assertEquals("/runs/r7", c.evaluate().runDir());
        assertEquals("/runs/r7/evaluation", c.evaluate().output());
        assertEquals(42, c.train().seed());
        assertEquals(42, c.preprocess().seed());
        assertTrue(load().train().runId().matches("run-\\d{8}-\\d{6}"), load().train().runId());
    }

    @Test
    void setWinsOverFilesWhichWinOverTheProfileWhichWinsOverDefaults(@TempDir Path tmp) throws Exception {
        Path a = Files.writeString(tmp.resolve("a.conf"), "train { epochs = 5, batch-size-per-worker = 16 }\n");
        Path b = Files.writeString(tmp.resolve("b.conf"), "train.epochs = 7\n");
        PipelineConfig c = PipelineConfig.load(PipelineConfig.DEMO_PROFILE, List.of(a.toFile(), b.toFile()),
                List.of("train.learning-rate=0.2"));
        assertEquals(7, c.train().epochs());
        assertEquals(16, c.train().batchSizePerWorker());
        assertEquals(0.2, c.train().learningRate());
        assertEquals(28, c.train().inputSize(), "from the demo profile");
        assertEquals(1, c.preprocess().channels(), "from the demo profile");
        assertEquals(0.9, c.train().momentum(), "from the defaults");
        PipelineConfig moved = PipelineConfig.load(PipelineConfig.DEMO_PROFILE, List.of(),
                List.of("demo.images-dir=\"/elsewhere\""));
        assertEquals("/elsewhere/train", moved.preprocess().inputs().get("train"));
    }

    @Test
    void unknownKeysAreRejectedByName() {
        InvalidConfigException e = rejected("train.epoch=3");
        assertEquals("train.epoch", e.key());
        assertTrue(e.getMessage().startsWith("Cannot use train.epoch: unknown key"), e.getMessage());
        assertEquals("train.transform-defaults.flip.p", rejected("train.transform-defaults.flip.p=0.5").key());
        assertEquals("trian.epochs", rejected("trian.epochs=3").key());
        // spark.conf is free-form: any Spark setting passes through.
        assertEquals("4g", load("spark.conf.\"spark.executor.memory\"=4g").sparkConf().get("spark.executor.memory"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "train.epochs=0|train.epochs|must be >= 1",
        "train.epochs=ten|train.epochs|must be an integer (got ten)",
        "train.network=resnet-9000|train.network|must be one of",
        "train.updater=sgdd|train.updater|must be one of",
        "train.learning-rate=-1|train.learning-rate|must be > 0",
        "train.momentum=1|train.momentum|must be in [0, 1)",
        "train.batch-size-per-worker=0|train.batch-size-per-worker|must be >= 1",
        "train.averaging-frequency=0|train.averaging-frequency|must be >= 1",
        "train.workers=-1|train.workers|must be >= 0",
        "train.rdd-training-approach=shared|train.rdd-training-approach|must be one of",
        "train.run-id=\"a/b\"|train.run-id|must be a non-empty name",
        "train.augmentation=[{type=flip, probability=2}]|train.augmentation[0]|flip: probability must be in [0, 1]",
        "train.augmentation=[{type=flipp}]|train.augmentation[0].type|must be one of [affine, color-jitter, flip,",
        "train.augmentation=[{probability=1}]|train.augmentation[0].type|is required",
        "train.augmentation=[{type=flip}, {type=pad-crop, pading=2}]|train.augmentation[1].pading|unknown key for pad-crop",
        "train.augmentation=[{type=affine, rotate=lots}]|train.augmentation[0].rotate|must be a number",
        "train.augmentation=[{type=affine, border=wrap}]|train.augmentation[0].border|must be constant, replicate or reflect",
        "train.augmentation=[{type=affine, shear=90}]|train.augmentation[0]|shear must be in [0, 90) degrees",
        "train.augmentation=[{type=scale-crop, scale-min=300, scale-max=256}]|train.augmentation[0]|scale range must be",
        "train.augmentation=[{type=scale-crop, size=200}]|train.augmentation|outputs 200x200 but the network input is 224x224",
        "train.augmentation=[{type=pad-crop, probability=0.5}]|train.augmentation|must have probability 1",
        "train.augmentation=[{type=random-erasing, fill=grey}]|train.augmentation[0].fill|must be random or a value 0..255",
        "train.augmentation=[{type=random-resized-crop, area-min=0}]|train.augmentation[0]|area fractions must satisfy",
        "train.augmentation=[{type=color-jitter, brightness=-1}]|train.augmentation[0]|brightness must be >= 0",
        "train.augmentation=[{type=lens-distortion, strength=2}]|train.augmentation[0]|strength must be in [0, 1]",
        "train.augmentation=[{type=pca-lighting, sigma=-0.1}]|train.augmentation[0]|sigma must be >= 0",
        "train.augmentation=[{type=pca-lighting, magnitude=big}]|train.augmentation[0].magnitude|must be eigenvalue or stddev",
        "train.augmentation={type=flip}|train.augmentation|must be a list of transform objects, not an object",
        "train.input-size=0|train.input-size|must be > 0",
        "train.updater=lamb|train.updater|must be one of",
        "train.lr-schedule.type=linear|train.lr-schedule.type|must be one of",
        "train.lr-schedule.type=step|train.lr-schedule.milestones|at least one epoch",
        "train.lr-schedule.milestones=[30, 10]|train.lr-schedule.milestones|ascending",
        "train.lr-schedule.warmup-epochs=-1|train.lr-schedule.warmup-epochs|must be >= 0",
        "train.lr-schedule.plateau-factor=1|train.lr-schedule.plateau-factor|must be in (0, 1)",
        "train.updater=adadelta ; train.lr-schedule.type=cosine|train.lr-schedule|AdaDelta has no learning rate",
        "train.reference-batch-size=-256|train.reference-batch-size|must be >= 0",
        "train.gradient-clipping=global|train.gradient-clipping|must be one of",
        "train.gradient-clipping-threshold=0|train.gradient-clipping-threshold|must be > 0",
        "train.weight-init=glorot|train.weight-init|must be one of",
        "train.checkpoint-every-epochs=-1|train.checkpoint-every-epochs|must be >= 0",
        "train.keep-checkpoints=0|train.keep-checkpoints|must be >= 1",
        "train.batch-size-schedule=[{epoch = 1, batch-size-per-worker = 64}]|train.batch-size-schedule|epochs must be >= 2",
        "train.batch-size-schedule=[{epoch = 3}]|train.batch-size-schedule[0]|must be {epoch = N, batch-size-per-worker = B}",
        "train.batch-size-schedule=[{epoch = 3, batch-size-per-worker = 64}, {epoch = 3, batch-size-per-worker = 128}]|train.batch-size-schedule[1]|listed twice",
        "train.early-stopping-patience=-1|train.early-stopping-patience|must be >= 0",
        "train.lars=true ; train.updater=adam|train.lars|works with the sgd and nesterov updaters",
        "train.transfer.freeze-up-to=conv2|train.transfer.from|is required by freeze-up-to",
        "train.transfer.lr-multipliers={fc1 = -1}|train.transfer.lr-multipliers.fc1|must be >= 0",
        "train.lars=true ; train.lars-trust-coefficient=0|train.lars-trust-coefficient|must be > 0",
        "train.resume=true ; train.checkpoint-every-epochs=0|train.resume|needs checkpoints",
        "train.resume=auto ; train.checkpoint-every-epochs=0|train.resume|needs checkpoints",
        "train.resume=yes|train.resume|must be one of false",
        "train.training-master=allreduce|train.training-master|must be one of parameter-averaging",
        "train.cache-mode=host|train.cache-mode|must be one of none",
        "train.network=small-cnn ; train.width-multiplier=0|train.width-multiplier|must be > 0",
        "train.network=alexnet ; train.width-multiplier=2|train.width-multiplier|must be 1 for alexnet",
        "train.epoch-timeout-minutes=-1|train.epoch-timeout-minutes|must be >= 0",
        "train.training-master=gradient-sharing ; train.gradient-sharing.threshold=0|train.gradient-sharing.threshold|must be > 0",
        "train.training-master=gradient-sharing ; train.gradient-sharing.threshold-algorithm=topk|train.gradient-sharing.threshold-algorithm|must be one of adaptive",
        "train.training-master=gradient-sharing ; train.gradient-sharing.controller-port=0|train.gradient-sharing.controller-port|must be in 1..65535",
        "train.training-master=gradient-sharing ; train.gradient-sharing.network-mask=\"10.0.0.0\"|train.gradient-sharing.network-mask|must be an IPv4 network",
        "train.training-master=gradient-sharing ; train.lars=true|train.lars|not available with train.training-master = gradient-sharing",
        "preprocess.channels=2|preprocess.channels|must be 1 or 3",
        "preprocess.codec=gif|preprocess.codec|must be one of png",
        "preprocess.short-side=-1|preprocess.short-side|must be >= 0",
        "preprocess.validation-fraction=1|preprocess.validation-fraction|must be in [0, 1)",
        "preprocess.inputs.train=\"\"|preprocess.inputs.train|a train input is required",
        "preprocess.extensions=[\".png\"]|preprocess.extensions|must be lower-case extensions without dots",
        "preprocess.max-pixels=0|preprocess.max-pixels|must be positive",
        "preprocess.contact-sheet-size=-1|preprocess.contact-sheet-size|must be in 0..1000",
        "preprocess.jpeg-codec=libjpeg|preprocess.jpeg-codec|must be one of imageio",
        "preprocess.test-fraction=-0.1|preprocess.test-fraction|must be in [0, 1)",
        "preprocess.test-fraction=0.2 ; preprocess.inputs.test=/data/test|preprocess.test-fraction|already comes from a test input",
        "preprocess.label-files.test=/data/val.txt|preprocess.label-files.test|set preprocess.inputs.test to that folder",
        "preprocess.path-glob=\"/data/*\"|preprocess.path-glob|is relative to each input folder",
        "preprocess.shard-bytes=1000|preprocess.shard-bytes|must be 0 or at least 1 MiB",
        "preprocess.shard-bytes=lots|preprocess.shard-bytes|size-in-bytes",
        "preprocess.stratify-splits=maybe|preprocess.stratify-splits|must be a boolean",
        "evaluate.split=train|evaluate.split|must be test or validation",
        "evaluate.scales=[]|evaluate.scales|must list at least one short side",
        "evaluate.batch-size=0|evaluate.batch-size|must be >= 1",
        "demo.train-limit=-5|demo.train-limit|must be >= 0",
    })
    void invalidValuesAreRejectedNamingTheKey(String override, String key, String why) {
        InvalidConfigException e = rejected(override.split(" ; "));
        assertEquals(key, e.key(), e.getMessage());
        assertTrue(e.getMessage().contains(why), e.getMessage());
    }

    @Test
    void missingOrMalformedFilesAndOverridesAreConfigErrors(@TempDir Path tmp) throws Exception {
        InvalidConfigException missing = assertThrows(InvalidConfigException.class,
                () -> PipelineConfig.load(null, List.of(new File("/no/such.conf")), List.of()));
        assertTrue(missing.getMessage().contains("file does not exist"), missing.getMessage());
        Path bad = Files.writeString(tmp.resolve("bad.conf"), "train { epochs = \n");
        assertEquals("--config", assertThrows(InvalidConfigException.class,
                () -> PipelineConfig.load(null, List.of(bad.toFile()), List.of())).key());
        assertEquals("--set", rejected("train.epochs").key());
    }

    @Test
    void theRenderedConfigurationLoadsBackToTheSameSettings(@TempDir Path tmp) throws Exception {
        PipelineConfig c = PipelineConfig.load(PipelineConfig.DEMO_PROFILE, List.of(), List.of("train.epochs=9"));
        Path rendered = Files.writeString(tmp.resolve("resolved.conf"), c.render());
        PipelineConfig again = PipelineConfig.load(null, List.of(rendered.toFile()), List.of());
        assertEquals(c.train(), again.train());
        assertEquals(c.preprocess(), again.preprocess());
        assertEquals(c.evaluate(), again.evaluate());
    }

    @Test
    void aManifestReplacesTheDefaultFolderInputButNotOneTheUserSet() {
        PipelineConfig manifest = load("preprocess.manifests.train=\"hdfs:///lists/train.csv\"");
        assertEquals(Map.of("train", "hdfs:///lists/train.csv"), manifest.preprocess().manifests());
        assertTrue(manifest.preprocess().inputs().isEmpty(), manifest.preprocess().inputs().toString());
        InvalidConfigException both = rejected("preprocess.inputs.train=\"/photos/train\"",
                "preprocess.manifests.train=\"/lists/train.csv\"");
        assertEquals("preprocess.manifests.train", both.key());
        assertTrue(both.getMessage().contains("already comes from preprocess.inputs.train"), both.getMessage());
        assertEquals("preprocess.manifests.validation", rejected("preprocess.manifests.validation=\"v.csv\"").key());
    }
}
