package io.cnnpipeline.pipeline;

import io.cnnpipeline.evaluation.EvaluationReport;
import io.cnnpipeline.preprocessing.IngestResult;
import io.cnnpipeline.preprocessing.InvalidConfigException;
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
@Command(name = "cnn-pipeline", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        description = "Preprocess images into Parquet shards, train a CNN with dl4j-spark parameter averaging, "
                + "evaluate it with multi-scale test crops.",
        subcommands = {Cli.Preprocess.class, Cli.Train.class, Cli.Evaluate.class, Cli.Run.class, Cli.DemoCommand.class,
            Cli.ShowConfig.class})
public final class Cli {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE", scope = ScopeType.INHERIT,
            description = "HOCON configuration file (repeatable; later files win).")
    List<File> configFiles = new ArrayList<>();

    @Option(names = {"-s", "--set"}, paramLabel = "KEY=VALUE", scope = ScopeType.INHERIT,
            description = "Override one key, e.g. --set train.epochs=10 (repeatable; wins over files).")
    List<String> overrides = new ArrayList<>();

    static PrintStream out = System.out;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI and returns the exit code (for tests and notebooks). */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Cli());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof InvalidConfigException) {
                cmd.getErr().println("error: " + e.getMessage());
                return 2;
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
            return new String[] {"cnn-pipeline " + io.cnnpipeline.preprocessing.BuildInfo.version() + " (git "
                    + io.cnnpipeline.preprocessing.BuildInfo.gitCommit() + ", DL4J "
                    + io.cnnpipeline.preprocessing.BuildInfo.dl4jVersion() + ")"};
        }
    }

    /** Common part of the stage commands: load the configuration first, then start Spark. */
    abstract static class Stage implements Callable<Integer> {
        @CommandLine.ParentCommand
        Cli parent;

        String profile() {
            return null;
        }

        @Override
        public Integer call() {
            PipelineConfig config = PipelineConfig.load(profile(), parent.configFiles, parent.overrides);
            before(config);
            SparkSession spark = Pipeline.sparkSession(config);
            try {
                run(spark, config);
            } finally {
                spark.stop();
            }
            return 0;
        }

        void before(PipelineConfig config) {
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

    @Command(name = "train", description = "Parquet shards -> trained model (dl4j-spark parameter averaging).")
    static final class Train extends Stage {
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

    @Command(name = "config", description = "Print the resolved configuration (every key, after files and --set).")
    static final class ShowConfig implements Callable<Integer> {
        @CommandLine.ParentCommand
        Cli parent;

        @Option(names = "--demo", description = "Layer the demo profile as the demo command does.")
        boolean demo;

        @Override
        public Integer call() {
            out.println(PipelineConfig.load(demo ? PipelineConfig.DEMO_PROFILE : null, parent.configFiles,
                    parent.overrides).render());
            return 0;
        }
    }

    static void print(IngestResult r) {
        out.println(r.summary());
        out.println("  dataset: " + r.output());
    }

    static void print(TrainResult r) {
        for (EpochMetrics m : r.epochs()) {
            out.println("train: " + m.summary(r.epochs().size()));
        }
        out.printf("train: %.1f s; model: %s%n", r.seconds(), r.model());
    }

    static void print(EvaluationReport r) {
        out.println(r.summary());
    }
}
