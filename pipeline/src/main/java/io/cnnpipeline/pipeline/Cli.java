package io.cnnpipeline.pipeline;

import io.cnnpipeline.evaluation.EvaluationReport;
import io.cnnpipeline.ingest.IngestResult;
import io.cnnpipeline.core.InvalidConfigException;
import io.cnnpipeline.training.EpochMetrics;
import io.cnnpipeline.training.TrainResult;
import java.io.File;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code cnn-pipeline}: the command-line entry point for {@code bin/cnn-pipeline} and {@code spark-submit}.
 * Exit codes: 0 success, 2 invalid configuration or usage (nothing was run), 1 failure while running.
 */
@Command(name = "cnn-pipeline", mixinStandardHelpOptions = true, scope = ScopeType.INHERIT,
        versionProvider = Cli.Version.class,
        description = "Preprocess images into Parquet shards, train a CNN with dl4j-spark parameter averaging, "
                + "evaluate it with multi-scale test crops.",
        subcommands = {Cli.Preprocess.class, Cli.Stats.class, Cli.Train.class, Cli.Evaluate.class, Cli.Run.class, Cli.DemoCommand.class,
            Cli.ShowConfig.class, Cli.CheckCommand.class, Cli.ShowNetwork.class, Cli.AugmentPreview.class, Cli.Bench.class})
public final class Cli {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE", scope = ScopeType.INHERIT,
            description = "HOCON configuration file (repeatable; later files win).")
    List<File> configFiles = new ArrayList<>();

    @Option(names = {"-s", "--set"}, paramLabel = "KEY=VALUE", scope = ScopeType.INHERIT,
            description = "Override one key, e.g. --set train.epochs=10 (repeatable; wins over files).")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--verbose", scope = ScopeType.INHERIT,
            description = "Print the stack trace of an expected failure (dataset exists, nothing to resume, ...).")
    boolean verbose;

    static PrintStream out = System.out;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI and returns the exit code (for tests and notebooks). */
    public static int execute(String... args) {
        Cli cli = new Cli();
        CommandLine cl = new CommandLine(cli);
        cl.setOut(new java.io.PrintWriter(out, true));
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof InvalidConfigException) {
                cmd.getErr().println("error: " + e.getMessage());
                return 2;
            }
            if (e instanceof io.cnnpipeline.core.StageFailedException && !cli.verbose) {
                cmd.getErr().println("error: " + e.getMessage());
                return 1;
            }
            cmd.getErr().println("error: " + e);
            e.printStackTrace(cmd.getErr());
            return 1;
        });
        return cl.execute(args);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"cnn-pipeline " + io.cnnpipeline.core.BuildInfo.version() + " (git "
                    + io.cnnpipeline.core.BuildInfo.gitCommit() + ", DL4J "
                    + io.cnnpipeline.core.BuildInfo.dl4jVersion() + ")"};
        }
    }

    /** Common part of the stage commands: load the configuration first, then start Spark. */
    abstract static class Stage implements Callable<Integer> {
        @CommandLine.ParentCommand
        Cli parent;

        String profile() {
            return null;
        }

        @Option(names = "--run-id", paramLabel = "ID", description = "The run to train, resume or evaluate (same as "
                + "--set train.run-id=ID). Default: train starts a new run-<UTC time>; evaluate and a resume take "
                + "the runs directory's latest run.")
        String runId;

        @Override
        public Integer call() {
            List<String> overrides = new ArrayList<>(parent.overrides);
            if (runId != null) {
                overrides.add("train.run-id=" + com.typesafe.config.ConfigUtil.quoteString(runId));
            }
            overrides.addAll(extraOverrides());
            PipelineConfig config = PipelineConfig.load(profile(), parent.configFiles, overrides);
            before(config);
            // A session that exists already (a notebook's, an embedding application's) is used and left running.
            boolean ours = SparkSession.getActiveSession().isEmpty() && SparkSession.getDefaultSession().isEmpty();
            SparkSession spark = Pipeline.sparkSession(config);
            try {
                run(spark, config);
            } finally {
                if (ours) {
                    spark.stop();
                }
            }
            return 0;
        }

        void before(PipelineConfig config) {
        }

        /** Settings the subcommand's own options imply, applied after --set. */
        List<String> extraOverrides() {
            return List.of();
        }

        abstract void run(SparkSession spark, PipelineConfig config);
    }

    @Command(name = "preprocess", description = "Image files (class folders) -> Parquet shards, stats, manifest.")
    static final class Preprocess extends Stage {
        @Override
        void run(SparkSession spark, PipelineConfig config) {
            print(Pipeline.preprocess(spark, config));
        }
    }

    @Command(name = "stats", description = "Recompute a dataset's stats.json (mean, std, RGB covariance PCA, class "
            + "counts, image sizes) from its train shards on the executors.")
    static final class Stats extends Stage {
        @CommandLine.Option(names = "--dataset", description = "dataset directory (default: train.dataset)",
                defaultValue = "")
        String dataset;

        @Override
        void run(SparkSession spark, PipelineConfig config) {
            io.cnnpipeline.dataset.DatasetStats s = Pipeline.stats(spark, config, dataset);
            System.out.println(String.format(java.util.Locale.ROOT,
                    "stats: %d images, %d classes; mean %s std %s; PCA eigenvalues %s",
                    s.images(), s.classCounts().size(), format(s.mean()), format(s.std()), format(s.eigenvalues())));
        }

        private static String format(double[] v) {
            StringBuilder b = new StringBuilder("[");
            for (int i = 0; i < v.length; i++) {
                b.append(i == 0 ? "" : ", ").append(String.format(java.util.Locale.ROOT, "%.4f", v[i]));
            }
            return b.append(']').toString();
        }
    }

    @Command(name = "train", description = "Parquet shards -> trained model (dl4j-spark parameter averaging).")
    static final class Train extends Stage {
        @Option(names = "--resume", arity = "0..1", fallbackValue = "true", paramLabel = "auto",
                description = "Continue the run train.run-id from its newest checkpoint (same as --set "
                        + "train.resume=true); --resume=auto continues it if it has a checkpoint and starts it "
                        + "otherwise (for a scheduler's retries).")
        String resume;

        @Override
        List<String> extraOverrides() {
            return resume == null ? List.of() : List.of("train.resume=" + resume);
        }

        @Override
        void run(SparkSession spark, PipelineConfig config) {
            print(Pipeline.train(spark, config));
        }
    }

    @Command(name = "evaluate", description = "Model + test shards -> centre, 10-crop and multi-scale report.")
    static final class Evaluate extends Stage {
        @Override
        void run(SparkSession spark, PipelineConfig config) {
            print(Pipeline.evaluate(spark, config));
        }
    }

    @Command(name = "run", description = "preprocess, train and evaluate from one configuration.")
    static class Run extends Stage {
        @Override
        void run(SparkSession spark, PipelineConfig config) {
            Pipeline.RunResult r = Pipeline.run(spark, config);
            print(r.preprocess());
            print(r.train());
            print(r.evaluate());
        }
    }

    @Command(name = "demo", description = "Fashion-MNIST from Debian's dataset-fashion-mnist as PNG class folders, "
            + "then preprocess, train and evaluate on local Spark (profile conf/fashion-mnist.conf).")
    static final class DemoCommand extends Run {
        @Override
        String profile() {
            return PipelineConfig.DEMO_PROFILE;
        }

        @Override
        void before(PipelineConfig config) {
            Demo.prepareImages(config);
        }
    }

    @Command(name = "network", description = "Print the configured network's layers, output shapes, parameter "
            + "counts and FLOPs per image (train.network at train.input-size, for the channels and classes of the "
            + "dataset at train.dataset when it exists).")
    static final class ShowNetwork extends ConfigCommand {
        @Option(names = "--channels", description = "Input channels, 1 or 3 (default: the dataset's, else "
                + "preprocess.channels).")
        Integer channels;

        @Option(names = "--classes", description = "Output classes (default: the dataset's, else 1000).")
        Integer classes;

        @Override
        public Integer call() {
            PipelineConfig config = load(parent.overrides);
            if (channels != null && channels != 1 && channels != 3) {
                throw new InvalidConfigException("--channels", "must be 1 or 3", channels);
            }
            if (classes != null && classes < 2) {
                throw new InvalidConfigException("--classes", "must be >= 2", classes);
            }
            io.cnnpipeline.dataset.DatasetDirectory dataset = openIfPresent(config.train().dataset());
            int c = channels != null ? channels
                    : dataset != null ? dataset.manifest().channels() : config.preprocess().channels();
            int k = classes != null ? classes : dataset != null ? dataset.classes().size() : 1000;
            int size = config.train().inputSize();
            out.printf(java.util.Locale.ROOT, "%s on %dx%dx%d input, %d classes%s%n", config.train().network().id(), c, size, size, k,
                    dataset != null && (channels == null || classes == null) ? " (dataset " + dataset.uri() + ")"
                            : "");
            out.print(io.cnnpipeline.training.zoo.NetworkSummary.of(config.train(), size, size, c, k).render());
            return 0;
        }

        /** The dataset at {@code uri}, or null when it has not been written (no manifest there). */
        private static io.cnnpipeline.dataset.DatasetDirectory openIfPresent(String uri) {
            org.apache.hadoop.conf.Configuration hadoop = new org.apache.hadoop.conf.Configuration();
            org.apache.hadoop.fs.FileSystem fs = io.cnnpipeline.core.HadoopFiles.fs(uri, hadoop);
            org.apache.hadoop.fs.Path manifest = new org.apache.hadoop.fs.Path(uri,
                    io.cnnpipeline.dataset.ShardSchema.MANIFEST);
            return io.cnnpipeline.core.HadoopFiles.exists(fs, manifest)
                    ? io.cnnpipeline.dataset.DatasetDirectory.open(uri, hadoop) : null;
        }
    }

    /** A command that loads the configuration (optionally layered on the demo profile) and starts no Spark job. */
    abstract static class ConfigCommand implements Callable<Integer> {
        @CommandLine.ParentCommand
        Cli parent;

        @Option(names = "--demo", description = "Layer the demo profile (Fashion-MNIST) as the demo command does.")
        boolean demo;

        PipelineConfig load(List<String> overrides) {
            return PipelineConfig.load(demo ? PipelineConfig.DEMO_PROFILE : null, parent.configFiles, overrides);
        }
    }

    @Command(name = "check", description = "Dry run without Spark: check each stage's preconditions against the "
            + "configuration, the dataset directory and the runs directory (inputs exist, output free, run to resume "
            + "or evaluate). Exit 0 when every stage can run, 1 otherwise.")
    static final class CheckCommand extends ConfigCommand {
        @Option(names = "--run-id", paramLabel = "ID", description = "The run to check (default: as train and "
                + "evaluate choose it).")
        String runId;

        @Option(names = "--resume", arity = "0..1", fallbackValue = "true", paramLabel = "auto",
                description = "Check a resume (as train --resume).")
        String resume;

        @Override
        public Integer call() {
            List<String> overrides = new ArrayList<>(parent.overrides);
            if (runId != null) {
                overrides.add("train.run-id=" + com.typesafe.config.ConfigUtil.quoteString(runId));
            }
            if (resume != null) {
                overrides.add("train.resume=" + resume);
            }
            PipelineConfig config = load(overrides);
            out.println("ok      config: every key valid");
            boolean ok = true;
            for (Check.Finding f : Check.run(config, new org.apache.hadoop.conf.Configuration())) {
                out.println(f);
                ok &= f.ok();
            }
            return ok ? 0 : 1;
        }
    }

    @Command(name = "config", description = "Print the resolved configuration (every key, after files and --set).")
    static final class ShowConfig extends ConfigCommand {
        @Option(names = "--reference", description = "Print every key with its default and documentation as "
                + "Markdown (docs/configuration.md) instead.")
        boolean reference;

        @Override
        public Integer call() {
            if (reference) {
                out.print(ConfigReference.markdown());
                return 0;
            }
            out.println(load(parent.overrides).renderDocumented());
            return 0;
        }
    }

    @Command(name = "augment-preview", description = "Write PNG grids of the configured training augmentation: "
            + "rows of source images, columns of augmented variants (epochs 1..N); one grid for the pipeline and one "
            + "per transform.")
    static final class AugmentPreview extends ConfigCommand {
        @Option(names = "--images", paramLabel = "PATH", description = "Image files or directories, decoded and "
                + "resized to preprocess.short-side as preprocess would store them (default: rows of the train split "
                + "of train.dataset; PCA lighting then uses its stats.json).")
        List<java.nio.file.Path> images = new ArrayList<>();

        @Option(names = "--rows", defaultValue = "6", description = "Source images (rows); default ${DEFAULT-VALUE}.")
        int rows;

        @Option(names = "--variants", defaultValue = "8", description = "Augmented columns; default ${DEFAULT-VALUE}.")
        int variants;

        @Option(names = "--cell", defaultValue = "0", description = "Cell side in pixels; 0 = 4 x input size for "
                + "inputs under 48 px, else min(input size, 160).")
        int cell;

        @Option(names = "--output", defaultValue = "work/augment-preview", description = "Directory (any Hadoop "
                + "filesystem URI) for pipeline.png and <step>-<type>.png; default ${DEFAULT-VALUE}.")
        String output;

        @Override
        public Integer call() {
            PipelineConfig config = load(parent.overrides);
            java.util.Map<String, byte[]> grids;
            if (!images.isEmpty()) {
                grids = Pipeline.augmentationPreview(null, config, images, rows, variants, cell);
            } else {
                SparkSession spark = Pipeline.sparkSession(config);
                try {
                    grids = Pipeline.augmentationPreview(spark, config, images, rows, variants, cell);
                } finally {
                    spark.stop();
                }
            }
            org.apache.hadoop.fs.FileSystem fs = io.cnnpipeline.core.HadoopFiles.fs(output,
                    new org.apache.hadoop.conf.Configuration());
            fs.setWriteChecksum(false);
            for (java.util.Map.Entry<String, byte[]> g : grids.entrySet()) {
                org.apache.hadoop.fs.Path target = fs.makeQualified(new org.apache.hadoop.fs.Path(output,
                        g.getKey() + ".png"));
                io.cnnpipeline.core.HadoopFiles.writeAtomically(fs, target, g.getValue());
                out.println("augment-preview: " + target);
            }
            return 0;
        }
    }

    @Command(name = "bench", description = "Benchmarks that print figures (not tests).",
            subcommands = {Cli.BenchAugment.class, Cli.BenchDecode.class, Cli.BenchTrain.class})
    static final class Bench implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().usage(spec.commandLine().getErr());
            return 2;
        }
    }

    @Command(name = "augment", description = "Single-thread images/s of each augmentation transform and of the "
            + "ImageNet training pipeline on decoded real photos stored at short side 256.")
    static final class BenchAugment implements Callable<Integer> {
        @Option(names = "--photos", defaultValue = "/usr/share/hugin/xrc/data/help_en_EN", paramLabel = "DIR",
                description = "Photographs (default: Debian's hugin-data, ${DEFAULT-VALUE}).")
        List<java.nio.file.Path> photos;

        @Option(names = "--min-short-side", defaultValue = "200", description = "Skip images whose decoded short "
                + "side is smaller (screenshots and icons); default ${DEFAULT-VALUE} px.")
        int minShortSide;

        @CommandLine.Mixin
        BenchOptions bench;

        @Override
        public Integer call() throws Exception {
            double seconds = bench.seconds();
            double warmup = bench.warmup;
            PreviewSources.Loaded loaded = PreviewSources.files(photos, 3, 256, minShortSide, Integer.MAX_VALUE,
                    java.util.Set.of("jpg", "jpeg", "png"));
            List<io.cnnpipeline.image.UInt8Image> stored = loaded.sources().stream()
                    .map(AugmentationPreview.Source::image).toList();
            double meanPixels = stored.stream().mapToDouble(i -> (double) i.width() * i.height()).average().orElse(0);
            out.printf(java.util.Locale.ROOT, "bench augment: %d photos from %s, stored at short side 256 (mean %.0f x 256 px); 1 thread, "
                    + "%.1f s per case after %.1f s warm-up%n", stored.size(), photos, meanPixels / 256, seconds, warmup);
            List<AugmentationBench.Result> results = AugmentationBench.run(stored, loaded.stats(), warmup, seconds);
            out.printf(java.util.Locale.ROOT, "%-90s %10s %12s%n", "case (input)", "images/s", "us/image");
            for (AugmentationBench.Result r : results) {
                out.printf(java.util.Locale.ROOT, "%-90s %10.0f %12.1f%n", r.name() + " (" + r.input() + ")", r.imagesPerSecond(),
                        r.microsPerImage());
            }
            bench.write("bench augment", AugmentationBench.report(results, stored.size(), photos.toString()));
            return 0;
        }
    }

    @Command(name = "decode", description = "Single-thread images/s of decode -> resize short side to 256 -> JPEG "
            + "encode, the preprocess stage's per-image work, on real photographs, for each JPEG codec setting "
            + "(imageio; turbojpeg; turbojpeg with DCT-domain scaling).")
    static final class BenchDecode implements Callable<Integer> {
        @Option(names = "--photos", paramLabel = "DIR", description = "Directories of JPEG photographs (default: "
                + "hugin-data's, and libjxl-testdata's flower when installed).")
        List<java.nio.file.Path> photos = new ArrayList<>();

        @Option(names = "--min-short-side", defaultValue = "200", description = "Skip smaller images; default "
                + "${DEFAULT-VALUE} px.")
        int minShortSide;

        @CommandLine.Mixin
        BenchOptions bench;

        @Override
        public Integer call() throws Exception {
            double seconds = bench.seconds();
            double warmup = bench.warmup;
            List<java.nio.file.Path> dirs = new ArrayList<>(photos);
            if (dirs.isEmpty()) {
                dirs.add(java.nio.file.Path.of("/usr/share/hugin/xrc/data/help_en_EN"));
                java.nio.file.Path flower = java.nio.file.Path.of("/usr/share/libjxl-testdata/jxl/flower");
                if (java.nio.file.Files.isDirectory(flower)) {
                    dirs.add(flower);
                }
            }
            List<DecodeBench.Result> results = new ArrayList<>();
            out.printf(java.util.Locale.ROOT, "bench decode: 1 thread; decode -> resize short side 256 (area) -> JPEG q90; %.1f s per "
                    + "collection after %.1f s warm-up%n", seconds, warmup);
            List<DecodeBench.Codec> codecs = new ArrayList<>(List.of(DecodeBench.Codec.IMAGEIO));
            if (new java.io.File(io.cnnpipeline.image.TurboJpeg.DEBIAN_JAR).isFile()) {
                codecs.add(DecodeBench.Codec.TURBOJPEG);
                codecs.add(DecodeBench.Codec.TURBOJPEG_DCT);
            } else {
                out.println("bench decode: TurboJPEG not installed (apt-get install libturbojpeg-java libturbojpeg0); "
                        + "measuring ImageIO only");
            }
            out.printf(java.util.Locale.ROOT, "%-40s %-13s %6s %8s %10s %10s %10s %10s%n", "photos", "codec", "files", "mean MP",
                    "images/s", "decode us", "resize us", "encode us");
            for (java.nio.file.Path dir : dirs) {
                List<byte[]> files = DecodeBench.load(dir, minShortSide);
                if (files.isEmpty()) {
                    throw new InvalidConfigException("--photos", "no JPEG with a short side of at least "
                            + minShortSide + " px", dir);
                }
                for (DecodeBench.Codec codec : codecs) {
                    DecodeBench.Result r = DecodeBench.run(dir.toString(), files, codec,
                            io.cnnpipeline.image.TurboJpeg.DEBIAN_JAR, warmup, seconds);
                    results.add(r);
                    out.printf(java.util.Locale.ROOT, "%-40s %-13s %6d %8.2f %10.0f %10.0f %10.0f %10.0f%n", dir, r.decoder(), r.files(),
                            r.meanMegapixels(), r.imagesPerSecond(), r.decodeMicros(), r.resizeMicros(),
                            r.encodeMicros());
                }
            }
            if (bench.output != null) {
                java.util.Map<String, Object> doc = new java.util.LinkedHashMap<>();
                doc.put("benchmark", "decode-resize-encode");
                doc.put("gitCommit", io.cnnpipeline.core.BuildInfo.gitCommit());
                doc.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
                doc.put("threads", 1);
                doc.put("results", results);
                bench.write("bench decode", doc);
            }
            return 0;
        }
    }

    @Command(name = "train", description = "Training images/s of one network on the same Fashion-MNIST minibatches: "
            + "single-JVM DL4J (default threads, 1 thread), dl4j-spark parameter averaging (local[workers], 1 thread "
            + "per worker) and PyTorch (when python3-torch is installed), each in its own process; optionally two "
            + "1-thread JVMs at once (pair-1) and a multi-JVM local cluster (cluster).")
    static final class BenchTrain implements Callable<Integer> {
        @Option(names = "--network", defaultValue = "lenet", description = "Any train.network (the PyTorch case "
                + "runs for lenet and resnet20); default ${DEFAULT-VALUE}.")
        String network;

        @Option(names = "--batch", defaultValue = "32", description = "Minibatch per worker; default ${DEFAULT-VALUE}.")
        int batch;

        @Option(names = "--minibatches", defaultValue = "400", description = "Measured minibatches; default "
                + "${DEFAULT-VALUE}.")
        int minibatches;

        @Option(names = "--warmup-minibatches", defaultValue = "100", description = "Warm-up minibatches; default "
                + "${DEFAULT-VALUE}.")
        int warmup;

        @Option(names = "--workers", defaultValue = "2", description = "Parameter-averaging workers; default "
                + "${DEFAULT-VALUE}.")
        int workers;

        @Option(names = "--averaging-frequency", defaultValue = "5", description = "Default ${DEFAULT-VALUE}.")
        int averaging;

        @Option(names = "--input-size", defaultValue = "28", description = "Input side in pixels: 28 is "
                + "Fashion-MNIST as it is; any other size upscales it and replicates it to RGB (e.g. 224 for "
                + "ImageNet-sized memory and throughput); default ${DEFAULT-VALUE}.")
        int inputSize;

        @Option(names = "--cases", split = ",", defaultValue = "single-1,single-default,spark,pytorch",
                description = "Cases to run, of single-1, single-default, spark, shared (dl4j-spark gradient "
                        + "sharing on local[workers]), pytorch, pair-1 (two 1-thread "
                        + "single JVMs at the same time: this machine's ceiling for 2 workers), cluster (dl4j-spark on "
                        + "local-cluster: one executor JVM per worker, as on a cluster); "
                        + "default ${DEFAULT-VALUE}.")
        List<String> cases;

        @Option(names = "--output", paramLabel = "FILE", description = "Also write the figures as JSON here.")
        java.nio.file.Path output;

        @Option(names = "--cache-mode", defaultValue = "device", description = "train.cache-mode of the DL4J cases: "
                + "device (keep convolutions' pre-activations for the backward pass) or none (DL4J's default: "
                + "recompute them); default ${DEFAULT-VALUE}.")
        String cacheMode;

        @Option(names = "--width-multiplier", defaultValue = "1.0", description = "train.width-multiplier of the "
                + "DL4J cases (channels of every convolution x this; small-cnn, vgg11, vgg16, resnet20); default "
                + "${DEFAULT-VALUE}.")
        double widthMultiplier;

        static final List<String> CASES = List.of("single-1", "single-default", "spark", "shared", "pytorch",
                "pair-1", "cluster");

        @Override
        public Integer call() throws Exception {
            io.cnnpipeline.training.zoo.Network net = option("--network", io.cnnpipeline.training.zoo.Network.class, network);
            InvalidConfigException.require(batch >= 1 && minibatches >= 1 && warmup >= 0 && workers >= 1
                    && averaging >= 1, "--batch", "sizes and counts must be positive", batch);
            InvalidConfigException.require(inputSize >= 28, "--input-size", "must be >= 28", inputSize);
            InvalidConfigException.require(CASES.containsAll(cases), "--cases", "must be of " + CASES, cases);
            option("--cache-mode", io.cnnpipeline.training.TrainingConfig.CacheMode.class, cacheMode);
            TrainBench.cacheMode = cacheMode;
            io.cnnpipeline.training.TrainingConfig.requireWidthMultiplier(net, widthMultiplier,
                    "--width-multiplier");
            TrainBench.widthMultiplier = widthMultiplier;
            InvalidConfigException.require(!cases.contains("pair-1") || workers == 2, "--workers",
                    "must be 2 with the pair-1 case", workers);
            InvalidConfigException.require((long) batch * (minibatches + warmup) <= 60_000, "--minibatches",
                    "batch x (minibatches + warm-up) must fit Fashion-MNIST's 60,000 training images",
                    minibatches);
            java.nio.file.Path idx = Demo.ensureFashionMnist(
                    PipelineConfig.defaults(PipelineConfig.DEMO_PROFILE).demoFashionMnistDir());
            out.printf(java.util.Locale.ROOT, "bench train: %s at %dx%d, batch %d, %d minibatches after %d warm-up, %d cores%n", network,
                    inputSize, inputSize, batch, minibatches, warmup, Runtime.getRuntime().availableProcessors());
            List<TrainBench.Result> results = new ArrayList<>();
            TrainBench.Result one = null;
            if (cases.contains("single-1")) {
                one = TrainBench.runJvm("single", idx, network, batch, warmup, minibatches, 1, averaging, 1,
                        inputSize);
                results.add(one);
            }
            TrainBench.Result dflt = null;
            if (cases.contains("single-default")) {
                dflt = TrainBench.runJvm("single", idx, network, batch, warmup, minibatches, 1, averaging, 0,
                        inputSize);
                results.add(dflt);
            }
            TrainBench.Result spark = null;
            if (cases.contains("spark")) {
                spark = TrainBench.runJvm("spark", idx, network, batch, warmup, minibatches, workers, averaging, 1,
                        inputSize);
                results.add(spark);
            }
            if (cases.contains("shared")) {
                results.add(TrainBench.runJvm("shared", idx, network, batch, warmup, minibatches, workers, averaging,
                        1, inputSize));
            }
            TrainBench.Result cluster = null;
            if (cases.contains("cluster")) {
                cluster = TrainBench.runJvm("cluster", idx, network, batch, warmup, minibatches, workers, averaging, 1,
                        inputSize);
                results.add(cluster);
            }
            TrainBench.Result pair = null;
            if (cases.contains("pair-1")) {
                pair = TrainBench.runPair(idx, network, batch, warmup, minibatches, inputSize);
                results.add(pair);
            }
            TrainBench.Result torch = null;
            TrainBench.Result torchOne = null;
            if (cases.contains("pytorch") && inputSize == 28
                    && (network.equals("lenet") || network.equals("resnet20"))) {
                torchOne = TrainBench.runPyTorch(idx, network, batch, warmup, minibatches, 1);
                if (torchOne != null) {
                    results.add(torchOne);
                    torch = TrainBench.runPyTorch(idx, network, batch, warmup, minibatches,
                            Runtime.getRuntime().availableProcessors());
                    results.add(torch);
                } else {
                    out.println("bench train: PyTorch not found (apt-get install python3-torch); skipping it");
                }
            }
            out.printf(java.util.Locale.ROOT, "%-62s %7s %9s %10s %9s %12s %9s%n", "case", "threads", "images", "images/s", "CPU s",
                    "images/CPU-s", "peak MB");
            for (TrainBench.Result r : results) {
                out.printf(java.util.Locale.ROOT, "%-62s %7s %9d %10.0f %9.1f %12.0f %9.0f%n", r.name(),
                        r.threads() == 0 ? "default" : Integer.toString(r.threads()), r.images(),
                        r.imagesPerSecond(), r.cpuSeconds(), r.imagesPerCpuSecond(), r.peakRssBytes() / 1e6);
            }
            java.util.Map<String, Double> ratios = new java.util.LinkedHashMap<>();
            if (spark != null && one != null) {
                ratios.put("spark / (workers x single 1-thread)", spark.imagesPerSecond()
                        / (workers * one.imagesPerSecond()));
            }
            if (spark != null && dflt != null) {
                ratios.put("spark / single default threads", spark.imagesPerSecond() / dflt.imagesPerSecond());
            }
            if (spark != null && pair != null) {
                ratios.put("spark / two concurrent single 1-thread", spark.imagesPerSecond() / pair.imagesPerSecond());
            }
            if (cluster != null && one != null) {
                ratios.put("cluster / (workers x single 1-thread)", cluster.imagesPerSecond()
                        / (workers * one.imagesPerSecond()));
            }
            if (cluster != null && pair != null) {
                ratios.put("cluster / two concurrent single 1-thread", cluster.imagesPerSecond()
                        / pair.imagesPerSecond());
            }
            if (pair != null && one != null) {
                ratios.put("two concurrent single / (2 x single 1-thread)", pair.imagesPerSecond()
                        / (2 * one.imagesPerSecond()));
            }
            if (torchOne != null && one != null) {
                ratios.put("dl4j / pytorch per CPU-second (1 thread)", one.imagesPerCpuSecond()
                        / torchOne.imagesPerCpuSecond());
            }
            if (torch != null && dflt != null) {
                ratios.put("dl4j / pytorch images/s (default threads)", dflt.imagesPerSecond()
                        / torch.imagesPerSecond());
            }
            ratios.forEach((k, v) -> out.printf(java.util.Locale.ROOT, "%-50s %6.2f%n", k, v));
            writeJson("bench train", output, TrainBench.report(results, ratios));
            return 0;
        }
    }

    /** Options every bench command takes. */
    static final class BenchOptions {
        @Option(names = "--seconds", defaultValue = "5", description = "Measured seconds per case; default "
                + "${DEFAULT-VALUE}.")
        double seconds;

        @Option(names = "--warmup", defaultValue = "3", description = "Warm-up seconds per case; default "
                + "${DEFAULT-VALUE}.")
        double warmup;

        @Option(names = "--input-size", defaultValue = "28", description = "Input side in pixels: 28 is "
                + "Fashion-MNIST as it is; any other size upscales it and replicates it to RGB (e.g. 224 for "
                + "ImageNet-sized memory and throughput); default ${DEFAULT-VALUE}.")
        int inputSize;

        @Option(names = "--cases", split = ",", defaultValue = "single-1,single-default,spark,pytorch",
                description = "Cases to run, of single-1, single-default, spark, pytorch; default ${DEFAULT-VALUE}.")
        List<String> cases;

        @Option(names = "--output", paramLabel = "FILE", description = "Also write the figures as JSON here.")
        java.nio.file.Path output;

        double seconds() {
            InvalidConfigException.require(seconds > 0, "--seconds", "must be > 0", seconds);
            InvalidConfigException.require(warmup >= 0, "--warmup", "must be >= 0", warmup);
            return seconds;
        }

        /** Writes {@code doc} as JSON to {@code --output}, if given. */
        void write(String command, Object doc) throws java.io.IOException {
            writeJson(command, output, doc);
        }
    }

    /** Writes a bench's figures as JSON to {@code output} (creating its directory), if it is not null. */
    static void writeJson(String command, java.nio.file.Path output, Object doc) throws java.io.IOException {
        if (output == null) {
            return;
        }
        java.nio.file.Path parent = output.toAbsolutePath().getParent();
        if (parent != null) {
            java.nio.file.Files.createDirectories(parent);
        }
        java.nio.file.Files.write(output, io.cnnpipeline.core.Json.toBytes(doc));
        out.println(command + ": " + output);
    }

    static void print(IngestResult r) {
        out.println(r.summary());
        out.println("  dataset: " + r.output());
    }

    static void print(TrainResult r) {
        // The epochs were logged as they ended; the result gives the last one and where the model is.
        if (!r.epochs().isEmpty()) {
            out.println("train: last " + r.last().summary(r.configuredEpochs()));
        }
        out.printf(java.util.Locale.ROOT, "train: %.1f s; run %s; model: %s%n", r.seconds(), r.runId(), r.model());
    }

    static void print(EvaluationReport r) {
        out.println(r.summary());
    }

    /** An enumerated command-line option's value. */
    static <E extends Enum<E> & io.cnnpipeline.core.config.ConfigEnum> E option(String name, Class<E> type, String id) {
        try {
            return io.cnnpipeline.core.config.ConfigEnum.parse(type, id);
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException(name, e.getMessage(), id);
        }
    }
}
