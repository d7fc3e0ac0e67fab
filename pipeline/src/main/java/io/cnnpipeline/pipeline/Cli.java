package io.cnnpipeline.pipeline;

import io.cnnpipeline.evaluation.EvaluationReport;
import io.cnnpipeline.ingest.IngestResult;
import io.cnnpipeline.core.InvalidConfigException;
import io.cnnpipeline.training.EpochMetrics;
import io.cnnpipeline.training.TrainResult;
import java.io.File;
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
        subcommands = {Cli.Preprocess.class, Cli.Stats.class, Cli.Train.class, Cli.Evaluate.class, Cli.Predict.class, Cli.Export.class, Cli.Search.class, Cli.Quarantine.class, Cli.Run.class, Cli.DemoCommand.class,
            Cli.ShowConfig.class, Cli.CheckCommand.class, Cli.ShowNetwork.class, Cli.AugmentPreview.class})
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

    /** Where the commands print (stdout, or a caller's writer). */
    java.io.PrintWriter out;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI, printing to stdout, and returns the exit code (for notebooks and embedding code). */
    public static int execute(String... args) {
        return execute(new java.io.PrintWriter(System.out, true), args);
    }

    /** Runs the CLI, printing to {@code out}, and returns the exit code. */
    public static int execute(java.io.PrintWriter out, String... args) {
        Cli cli = new Cli();
        cli.out = out;
        CommandLine cl = new CommandLine(cli);
        cl.setOut(out);
        cl.setExecutionExceptionHandler(errors(() -> cli.verbose));
        try {
            return cl.execute(args);
        } finally {
            // print() does not flush an auto-flushing PrintWriter, and main() exits right after.
            out.flush();
        }
    }

    /**
     * How a command's exception ends it: a configuration error prints one {@code error:} line and exits 2 (before
     * any Spark work); an expected stage failure ({@link io.cnnpipeline.core.StageFailedException}) one line and
     * exit 1, with the stack trace when {@code verbose}; anything else its stack trace and exit 1.
     */
    public static CommandLine.IExecutionExceptionHandler errors(java.util.function.BooleanSupplier verbose) {
        return (e, cmd, parsed) -> {
            if (e instanceof InvalidConfigException) {
                cmd.getErr().println("error: " + e.getMessage());
                return 2;
            }
            if (e instanceof io.cnnpipeline.core.StageFailedException && !verbose.getAsBoolean()) {
                cmd.getErr().println("error: " + e.getMessage());
                return 1;
            }
            cmd.getErr().println("error: " + e);
            e.printStackTrace(cmd.getErr());
            return 1;
        };
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"cnn-pipeline " + io.cnnpipeline.core.BuildInfo.version() + " (git "
                    + io.cnnpipeline.core.BuildInfo.gitCommit() + ", DL4J "
                    + io.cnnpipeline.core.BuildInfo.dl4jVersion() + ")"};
        }
    }

    /** {@code --run-id ID}: the same as {@code --set train.run-id=ID}. */
    static final class RunIdOption {
        @Option(names = "--run-id", paramLabel = "ID", description = "The run to train, resume, evaluate or check "
                + "(same as --set train.run-id=ID). Default: train starts a new run-<UTC time>; evaluate and a resume "
                + "take the runs directory's latest run.")
        String id;

        /** {@code overrides} with the run-id's, when given, appended. */
        List<String> addTo(List<String> overrides) {
            List<String> out = new ArrayList<>(overrides);
            if (id != null) {
                out.add(io.cnnpipeline.training.TrainingConfig.RUN_ID.name() + "="
                        + com.typesafe.config.ConfigUtil.quoteString(id));
            }
            return out;
        }
    }

    /** Common part of the stage commands: load the configuration first, then start Spark. */
    abstract static class Stage implements Callable<Integer> {
        @CommandLine.ParentCommand
        Cli parent;

        String profile() {
            return null;
        }

        @CommandLine.Mixin
        RunIdOption runId;

        @Override
        public Integer call() {
            List<String> overrides = runId.addTo(parent.overrides);
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
            print(parent.out, Pipeline.preprocess(spark, config));
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
            parent.out.println(String.format(java.util.Locale.ROOT,
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
            print(parent.out, Pipeline.train(spark, config));
        }
    }

    @Command(name = "evaluate", description = "Model + test shards -> centre, 10-crop and multi-scale report.")
    static final class Evaluate extends Stage {
        @Override
        void run(SparkSession spark, PipelineConfig config) {
            print(parent.out, Pipeline.evaluate(spark, config));
        }
    }

    @Command(name = "search", description = "Hyperparameter search over search.space (random, successive halving, "
            + "hyperband, asha): trials are train runs scored on the validation split; writes leaderboard.json, "
            + "index.html and the winner's best.conf under search.dir, and continues a killed search.")
    static final class Search extends Stage {
        @Option(names = "--dir", paramLabel = "DIR", description = "Search directory (same as --set search.dir=...).")
        String dir;

        @Override
        List<String> extraOverrides() {
            return dir == null ? List.of() : List.of("search.dir=" + com.typesafe.config.ConfigUtil.quoteString(dir));
        }

        @Override
        void before(PipelineConfig config) {
            io.cnnpipeline.pipeline.search.SearchJob.validate(config, config.search());
        }

        @Override
        void run(SparkSession spark, PipelineConfig config) {
            io.cnnpipeline.pipeline.search.SearchJob.Result r = Pipeline.search(spark, config);
            io.cnnpipeline.pipeline.search.SearchState.Leaderboard b = r.leaderboard();
            parent.out.println(String.format(java.util.Locale.ROOT, "search: %s, %d trials, %d epochs trained, "
                    + "%.1f min of fitting", b.method(), b.trials(), b.epochs(), b.trainSeconds() / 60));
            for (io.cnnpipeline.pipeline.search.SearchState.Entry e : b.entries().subList(0,
                    Math.min(5, b.entries().size()))) {
                parent.out.println(String.format(java.util.Locale.ROOT, "  %2d. %s  val acc %.2f%% at epoch %d  %s%s",
                        e.rank(), e.runId(), 100 * e.validationAccuracy(), e.rung(), e.params(),
                        e.stopped() == null ? "" : "  stopped: " + e.stopped()));
            }
            parent.out.println("winner: " + r.winner().runId() + " (run directory " + r.dir() + "/"
                    + io.cnnpipeline.pipeline.search.SearchJob.TRIALS + "/" + r.winner().runId()
                    + ", for evaluate.run-dir); its configuration, for train --config: " + r.bestConf());
            parent.out.println("page: " + r.dir() + "/" + io.cnnpipeline.pipeline.search.SearchJob.PAGE);
        }
    }

    @Command(name = "predict", description = "Model + unlabelled images (a folder, a manifest or a dataset split) "
            + "-> Parquet predictions (top-k classes and probabilities), quarantine and summary.json.")
    static final class Predict extends Stage {
        @Option(names = "--input", paramLabel = "DIR|FILE", description = "Images to predict, read recursively "
                + "(same as --set predict.input=...).")
        String input;

        @Option(names = "--manifest", paramLabel = "FILE", description = "A file of image paths, one per line "
                + "(same as --set predict.manifest=...).")
        String manifest;

        @Option(names = "--split", paramLabel = "SPLIT", description = "A split of predict.dataset: train, "
                + "validation or test (same as --set predict.split=...).")
        String split;

        @Option(names = "--output", paramLabel = "DIR", description = "Output directory (same as --set "
                + "predict.output=...; default <run-dir>/predictions).")
        String output;

        @Override
        List<String> extraOverrides() {
            List<String> out = new ArrayList<>();
            String[][] options = {{"input", input}, {"manifest", manifest}, {"split", split}, {"output", output}};
            for (String[] o : options) {
                if (o[1] != null) {
                    out.add("predict." + o[0] + "=" + com.typesafe.config.ConfigUtil.quoteString(o[1]));
                }
            }
            return out;
        }

        @Override
        void before(PipelineConfig config) {
            config.predict();
        }

        @Override
        void run(SparkSession spark, PipelineConfig config) {
            parent.out.println(Pipeline.predict(spark, config).line());
        }
    }

    @Command(name = "export", description = "A trained model -> ONNX (opset 13, input normalization in the graph), "
            + "verified against DL4J in ONNX Runtime on test images, recorded in the model card.")
    static final class Export extends Stage {
        @Option(names = "--format", defaultValue = "onnx", description = "Export format: onnx; default "
                + "${DEFAULT-VALUE}.")
        String format;

        @Option(names = "--model", defaultValue = "last", description = "last (model.zip), best (best-model.zip) or "
                + "the path of a model zip with its model-meta.json beside it; default ${DEFAULT-VALUE}.")
        String model;

        @Option(names = "--output", paramLabel = "FILE", description = "The ONNX file (default: beside the model, "
                + "model.onnx or best-model.onnx).")
        String output;

        @Option(names = "--verify", defaultValue = "1000", paramLabel = "N", description = "Compare ONNX Runtime "
                + "with DL4J on the first N images of the dataset's test split (evaluate.dataset; all = every one, "
                + "0 = no check); fails when a probability differs by more than 1e-4 or top-1 agrees on fewer than "
                + "99.9%%; default ${DEFAULT-VALUE}.")
        String verify;

        int verifyImages() {
            if (verify.equals("all")) {
                return Integer.MAX_VALUE;
            }
            try {
                int n = Integer.parseInt(verify);
                InvalidConfigException.require(n >= 0, "--verify", "must be all or >= 0", verify);
                return n;
            } catch (NumberFormatException e) {
                throw new InvalidConfigException("--verify", "must be all or a number of images", verify);
            }
        }

        @Override
        void before(PipelineConfig config) {
            InvalidConfigException.require(format.equals("onnx"), "--format", "must be onnx", format);
            verifyImages();
        }

        @Override
        void run(SparkSession spark, PipelineConfig config) {
            parent.out.println(Pipeline.export(spark, config, model, output, verifyImages()).line());
        }
    }

    @Command(name = "quarantine", description = "List a dataset's quarantined inputs (source, split, reason, "
            + "message) and their count per reason, without a Parquet tool.")
    static final class Quarantine extends Stage {
        @Option(names = "--dataset", paramLabel = "DIR", description = "Dataset directory (default: "
                + "preprocess.output).")
        String dataset;

        @Option(names = "--reason", paramLabel = "REASON", description = "Only inputs quarantined for this reason.")
        String reason;

        @Option(names = "--limit", defaultValue = "50", description = "Rows listed at most; default "
                + "${DEFAULT-VALUE}.")
        int limit;

        @Override
        void before(PipelineConfig config) {
            InvalidConfigException.require(limit >= 0, "--limit", "must be >= 0", limit);
        }

        @Override
        void run(SparkSession spark, PipelineConfig config) {
            String dir = dataset != null ? dataset : config.preprocess().output();
            io.cnnpipeline.dataset.DatasetDirectory d = io.cnnpipeline.dataset.DatasetDirectory.open(dir,
                    spark.sparkContext().hadoopConfiguration());
            org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> rows = spark.read().parquet(d.uri() + "/"
                    + io.cnnpipeline.dataset.ShardSchema.QUARANTINE_DIR);
            if (reason != null) {
                rows = rows.filter(org.apache.spark.sql.functions.col("reason").equalTo(reason));
            }
            java.util.Map<String, Long> counts = new java.util.TreeMap<>();
            for (org.apache.spark.sql.Row r : rows.groupBy("reason").count().collectAsList()) {
                counts.put(r.getString(0), r.getLong(1));
            }
            long total = counts.values().stream().mapToLong(Long::longValue).sum();
            parent.out.println("quarantine: " + total + " input(s) of " + d.manifest().inputCount() + " in "
                    + d.uri() + (reason == null ? "" : " with reason " + reason) + (counts.isEmpty() ? "" : " "
                    + counts));
            for (org.apache.spark.sql.Row r : rows.orderBy("split", "reason", "source").limit(limit).collectAsList()) {
                parent.out.println("  " + r.getAs("split") + "  " + r.getAs("reason") + "  " + r.getAs("source")
                        + "  " + r.getAs("message"));
            }
            if (total > limit) {
                parent.out.println("  ... " + (total - limit) + " more (--limit)");
            }
        }
    }

    @Command(name = "run", description = "preprocess, train and evaluate from one configuration.")
    static class Run extends Stage {
        @Override
        void run(SparkSession spark, PipelineConfig config) {
            Pipeline.RunResult r = Pipeline.run(spark, config);
            print(parent.out, r.preprocess());
            print(parent.out, r.train());
            print(parent.out, r.evaluate());
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
            parent.out.printf(java.util.Locale.ROOT, "%s on %dx%dx%d input, %d classes%s%n", config.train().network().id(), c, size, size, k,
                    dataset != null && (channels == null || classes == null) ? " (dataset " + dataset.uri() + ")"
                            : "");
            parent.out.print(io.cnnpipeline.training.zoo.NetworkSummary.of(config.train(), size, size, c, k).render());
            int batch = config.train().batchSizePerWorker();
            int workers = Math.max(1, config.train().workers());
            long cached = dataset == null ? 0
                    : (dataset.count(io.cnnpipeline.dataset.ShardSchema.TRAIN) + workers - 1) / workers;
            try {
                parent.out.println(io.cnnpipeline.training.WorkerMemory.estimate(config.train(), size, size, c, k,
                        batch, cached).summary(batch) + (dataset == null
                        ? " (no dataset: cached minibatches not counted)"
                        : String.format(java.util.Locale.ROOT, " (%d workers)", workers)));
            } catch (RuntimeException e) {   // a layer without DL4J's memory report
                parent.out.println("memory per worker: no estimate (" + e + ")");
            }
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
        @CommandLine.Mixin
        RunIdOption runId;

        @Option(names = "--resume", arity = "0..1", fallbackValue = "true", paramLabel = "auto",
                description = "Check a resume (as train --resume).")
        String resume;

        @Override
        public Integer call() {
            List<String> overrides = runId.addTo(parent.overrides);
            if (resume != null) {
                overrides.add("train.resume=" + resume);
            }
            PipelineConfig config = load(overrides);
            parent.out.println("ok      config: every key valid");
            boolean ok = true;
            for (Check.Finding f : Check.run(config, new org.apache.hadoop.conf.Configuration())) {
                parent.out.println(f);
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
                parent.out.print(ConfigReference.markdown());
                return 0;
            }
            parent.out.println(load(parent.overrides).renderDocumented());
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
                parent.out.println("augment-preview: " + target);
            }
            return 0;
        }
    }

    static void print(java.io.PrintWriter out, IngestResult r) {
        out.println(r.summary());
        out.println("  dataset: " + r.output());
    }

    static void print(java.io.PrintWriter out, TrainResult r) {
        // The epochs were logged as they ended; the result gives the last one and where the model is.
        if (!r.epochs().isEmpty()) {
            out.println("train: last " + r.last().summary(r.configuredEpochs()));
        }
        out.printf(java.util.Locale.ROOT, "train: %.1f s; run %s; model: %s%n", r.seconds(), r.runId(), r.model());
    }

    static void print(java.io.PrintWriter out, EvaluationReport r) {
        out.println(r.summary());
    }

    /** An enumerated command-line option's value. */
    public static <E extends Enum<E> & io.cnnpipeline.core.config.ConfigEnum> E option(String name, Class<E> type, String id) {
        try {
            return io.cnnpipeline.core.config.ConfigEnum.parse(type, id);
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException(name, e.getMessage(), id);
        }
    }
}
