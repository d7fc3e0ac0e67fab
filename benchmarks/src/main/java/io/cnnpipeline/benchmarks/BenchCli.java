package io.cnnpipeline.benchmarks;

import io.cnnpipeline.core.InvalidConfigException;
import io.cnnpipeline.pipeline.Cli;
import io.cnnpipeline.pipeline.PipelineConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cnn-pipeline bench}: benchmarks that print figures (not tests), kept out of the production jar. Each prints a
 * table and, with {@code --output}, writes JSON; every case is measured in the same run as its anchors, so only
 * same-run ratios compare across machines.
 */
@Command(name = "cnn-pipeline bench", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT,
        description = "Benchmarks that print figures (not tests).",
        subcommands = {BenchCli.BenchAugment.class, BenchCli.BenchDecode.class, BenchCli.BenchTrain.class,
            BenchCli.BenchInfer.class, BenchCli.BenchMemory.class, BenchCli.BenchIngest.class})
public final class BenchCli implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(new java.io.PrintWriter(System.out, true), args));
    }

    /**
     * Runs a bench command, printing to {@code out}; exit code 0, 2 for a usage or configuration error (one
     * {@code error:} line), 1 for a failure.
     */
    public static int execute(java.io.PrintWriter out, String... args) {
        CommandLine cl = new CommandLine(new BenchCli());
        cl.setOut(out);
        cl.setExecutionExceptionHandler(Cli.errors(() -> true));
        return cl.execute(args);
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }

    @Command(name = "augment", description = "Single-thread images/s of each augmentation transform and of the "
            + "ImageNet training pipeline on decoded real photos stored at short side 256.")
    static final class BenchAugment implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

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
            java.io.PrintWriter out = spec.commandLine().getOut();
            double seconds = bench.seconds();
            double warmup = bench.warmup;
            io.cnnpipeline.pipeline.PreviewSources.Loaded loaded = io.cnnpipeline.pipeline.PreviewSources.files(photos, 3, 256, minShortSide, Integer.MAX_VALUE,
                    java.util.Set.of("jpg", "jpeg", "png"));
            List<io.cnnpipeline.image.UInt8Image> stored = loaded.sources().stream()
                    .map(io.cnnpipeline.pipeline.AugmentationPreview.Source::image).toList();
            double meanPixels = stored.stream().mapToDouble(i -> (double) i.width() * i.height()).average().orElse(0);
            out.printf(java.util.Locale.ROOT, "bench augment: %d photos from %s, stored at short side 256 (mean %.0f x 256 px); 1 thread, "
                    + "%.1f s per case after %.1f s warm-up%n", stored.size(), photos, meanPixels / 256, seconds, warmup);
            List<AugmentationBench.Result> results = AugmentationBench.run(stored, loaded.stats(), warmup, seconds);
            out.printf(java.util.Locale.ROOT, "%-90s %10s %12s%n", "case (input)", "images/s", "us/image");
            for (AugmentationBench.Result r : results) {
                out.printf(java.util.Locale.ROOT, "%-90s %10.0f %12.1f%n", r.name() + " (" + r.input() + ")", r.imagesPerSecond(),
                        r.microsPerImage());
            }
            bench.write(out, "bench augment", AugmentationBench.report(results, stored.size(), photos.toString()));
            return 0;
        }
    }

    @Command(name = "decode", description = "Single-thread images/s of decode -> resize short side to 256 -> JPEG "
            + "encode, the preprocess stage's per-image work, on real photographs, for each JPEG codec setting "
            + "(imageio; turbojpeg; turbojpeg with DCT-domain scaling), and Pillow's when Debian's python3-pil is installed.")
    static final class BenchDecode implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

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
            java.io.PrintWriter out = spec.commandLine().getOut();
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
                DecodeBench.Result pillow = DecodeBench.runPillow(dir, minShortSide, warmup, seconds);
                if (pillow == null) {
                    out.println("bench decode: Pillow not found (apt-get install python3-pil); skipping it");
                    continue;
                }
                results.add(pillow);
                out.printf(java.util.Locale.ROOT, "%-40s %-13s %6d %8.2f %10.0f %10.0f %10.0f %10.0f%n", dir,
                        pillow.decoder(), pillow.files(), pillow.meanMegapixels(), pillow.imagesPerSecond(),
                        pillow.decodeMicros(), pillow.resizeMicros(), pillow.encodeMicros());
                DecodeBench.Result best = results.stream().filter(r -> r.photos().equals(dir.toString())
                        && !r.decoder().startsWith("pillow")).max(java.util.Comparator.comparingDouble(
                        DecodeBench.Result::imagesPerSecond)).orElseThrow();
                out.printf(java.util.Locale.ROOT, "%-40s %s / Pillow: %.2f%n", dir, best.decoder(),
                        best.imagesPerSecond() / pillow.imagesPerSecond());
            }
            if (bench.output != null) {
                java.util.Map<String, Object> doc = new java.util.LinkedHashMap<>();
                doc.put("benchmark", "decode-resize-encode");
                doc.put("gitCommit", io.cnnpipeline.core.BuildInfo.gitCommit());
                doc.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
                doc.put("threads", 1);
                doc.put("results", results);
                bench.write(out, "bench decode", doc);
            }
            return 0;
        }
    }

    @Command(name = "train", description = "Training images/s of one network on the same Fashion-MNIST minibatches: "
            + "single-JVM DL4J (default threads, 1 thread), dl4j-spark parameter averaging (local[workers], 1 thread "
            + "per worker) and PyTorch (when python3-torch is installed), each in its own process; optionally two "
            + "1-thread JVMs at once (pair-1) and a multi-JVM local cluster (cluster).")
    static final class BenchTrain implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

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
            java.io.PrintWriter out = spec.commandLine().getOut();
            io.cnnpipeline.training.zoo.Network net = Cli.option("--network", io.cnnpipeline.training.zoo.Network.class, network);
            InvalidConfigException.require(batch >= 1 && minibatches >= 1 && warmup >= 0 && workers >= 1
                    && averaging >= 1, "--batch", "sizes and counts must be positive", batch);
            InvalidConfigException.require(inputSize >= 28, "--input-size", "must be >= 28", inputSize);
            InvalidConfigException.require(CASES.containsAll(cases), "--cases", "must be of " + CASES, cases);
            Cli.option("--cache-mode", io.cnnpipeline.training.TrainingConfig.CacheMode.class, cacheMode);
            io.cnnpipeline.training.TrainingConfig.requireWidthMultiplier(net, widthMultiplier,
                    "--width-multiplier");
            TrainBench.Dl4jSettings dl4j = new TrainBench.Dl4jSettings(cacheMode, widthMultiplier);
            InvalidConfigException.require(!cases.contains("pair-1") || workers == 2, "--workers",
                    "must be 2 with the pair-1 case", workers);
            InvalidConfigException.require((long) batch * (minibatches + warmup) <= 60_000, "--minibatches",
                    "batch x (minibatches + warm-up) must fit Fashion-MNIST's 60,000 training images",
                    minibatches);
            java.nio.file.Path idx = io.cnnpipeline.pipeline.Demo.ensureFashionMnist(
                    PipelineConfig.defaults(PipelineConfig.DEMO_PROFILE).demoFashionMnistDir());
            out.printf(java.util.Locale.ROOT, "bench train: %s at %dx%d, batch %d, %d minibatches after %d warm-up, %d cores%n", network,
                    inputSize, inputSize, batch, minibatches, warmup, Runtime.getRuntime().availableProcessors());
            List<TrainBench.Result> results = new ArrayList<>();
            TrainBench.Result one = null;
            if (cases.contains("single-1")) {
                one = TrainBench.runJvm("single", dl4j, idx, network, batch, warmup, minibatches, 1, averaging, 1,
                        inputSize);
                results.add(one);
            }
            TrainBench.Result dflt = null;
            if (cases.contains("single-default")) {
                dflt = TrainBench.runJvm("single", dl4j, idx, network, batch, warmup, minibatches, 1, averaging, 0,
                        inputSize);
                results.add(dflt);
            }
            TrainBench.Result spark = null;
            if (cases.contains("spark")) {
                spark = TrainBench.runJvm("spark", dl4j, idx, network, batch, warmup, minibatches, workers, averaging, 1,
                        inputSize);
                results.add(spark);
            }
            if (cases.contains("shared")) {
                results.add(TrainBench.runJvm("shared", dl4j, idx, network, batch, warmup, minibatches, workers, averaging,
                        1, inputSize));
            }
            TrainBench.Result cluster = null;
            if (cases.contains("cluster")) {
                cluster = TrainBench.runJvm("cluster", dl4j, idx, network, batch, warmup, minibatches, workers, averaging, 1,
                        inputSize);
                results.add(cluster);
            }
            TrainBench.Result pair = null;
            if (cases.contains("pair-1")) {
                pair = TrainBench.runPair(dl4j, idx, network, batch, warmup, minibatches, inputSize);
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
            writeJson(out, "bench train", output, TrainBench.report(results, ratios));
            return 0;
        }
    }

    /**
     * The {@code --networks} cases of the memory and infer benches: each {@code NETWORK@SIZE} as {name, size}.
     *
     * @throws InvalidConfigException if a case is not NETWORK@SIZE with SIZE >= 28 pixels, or names no network
     */
    static List<String[]> networkCases(List<String> networks) {
        List<String[]> cases = new ArrayList<>();
        for (String c : networks) {
            String[] parts = c.split("@", -1);
            InvalidConfigException.require(parts.length == 2 && parts[1].matches("\\d+")
                    && Integer.parseInt(parts[1]) >= 28, "--networks", "each case must be NETWORK@SIZE with "
                    + "SIZE >= 28", c);
            Cli.option("--networks", io.cnnpipeline.training.zoo.Network.class, parts[0]);
            cases.add(parts);
        }
        return cases;
    }

    @Command(name = "memory", description = "Estimated against measured memory of training: for each network, "
            + "a one-thread training JVM (as the train bench's single-1 case) fits a few minibatches and its peak "
            + "resident set (VmHWM) is set beside the estimate of WorkerMemory (JVM base + DL4J's training-memory "
            + "report at the minibatch + the JVM's minibatches).")
    static final class BenchMemory implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--networks", split = ",", defaultValue = "lenet@28,resnet20@32,resnet18@224",
                description = "NETWORK@INPUT-SIZE cases (28 = Fashion-MNIST luma; other sizes upscale it to RGB); "
                        + "default ${DEFAULT-VALUE}.")
        List<String> networks;

        @Option(names = "--batch", defaultValue = "32", description = "Minibatch; default ${DEFAULT-VALUE}.")
        int batch;

        @Option(names = "--minibatches", defaultValue = "4", description = "Minibatches fitted (after one warm-up "
                + "minibatch); default ${DEFAULT-VALUE}.")
        int minibatches;

        @Option(names = "--output", paramLabel = "FILE", description = "Also write the figures as JSON here.")
        java.nio.file.Path output;

        @Override
        public Integer call() throws Exception {
            java.io.PrintWriter out = spec.commandLine().getOut();
            InvalidConfigException.require(batch >= 1 && minibatches >= 1, "--batch", "must be positive", batch);
            List<String[]> cases = networkCases(networks);
            java.nio.file.Path idx = io.cnnpipeline.pipeline.Demo.ensureFashionMnist(
                    PipelineConfig.defaults(PipelineConfig.DEMO_PROFILE).demoFashionMnistDir());
            out.printf(java.util.Locale.ROOT, "bench memory: batch %d, %d minibatches after 1 warm-up, 1 thread%n",
                    batch, minibatches);
            out.printf(java.util.Locale.ROOT, "%-14s %12s %12s %12s %14s %14s %8s%n", "network", "JVM base",
                    "network", "minibatches", "estimated RSS", "measured peak", "ratio");
            List<Map<String, Object>> rows = new ArrayList<>();
            for (String[] c : cases) {
                int size = Integer.parseInt(c[1]);
                int channels = size == 28 ? 1 : 3;
                io.cnnpipeline.training.TrainingConfig config = TrainBench.config(c[0], batch, 1, 1, size, "device",
                        "1.0", false);
                // The single-JVM case holds its 1 + minibatches minibatches and no Spark cache: prefetch off.
                io.cnnpipeline.training.WorkerMemory m = io.cnnpipeline.training.WorkerMemory.estimate(config, size,
                        size, channels, 10, batch, (long) batch * (1 + minibatches) - (long) config.prefetchBatches()
                                * batch);
                long estimated = io.cnnpipeline.training.WorkerMemory.JVM_BASE + m.network() + m.minibatches();
                TrainBench.Result r = TrainBench.runJvm("single", new TrainBench.Dl4jSettings("device", 1.0), idx,
                        c[0], batch, 1, minibatches, 1, 1, 1, size);
                double ratio = estimated / (double) r.peakRssBytes();
                out.printf(java.util.Locale.ROOT, "%-14s %9.0f MB %9.0f MB %9.0f MB %11.0f MB %11.0f MB %8.2f%n",
                        c[0] + "@" + size, io.cnnpipeline.training.WorkerMemory.JVM_BASE / 1e6, m.network() / 1e6,
                        m.minibatches() / 1e6, estimated / 1e6, r.peakRssBytes() / 1e6, ratio);
                rows.add(Map.of("network", c[0], "inputSize", size, "jvmBaseBytes",
                        io.cnnpipeline.training.WorkerMemory.JVM_BASE, "networkBytes", m.network(), "minibatchBytes",
                        m.minibatches(), "estimatedBytes", estimated, "peakRssBytes", r.peakRssBytes(),
                        "estimateOverMeasured", ratio));
            }
            writeJson(out, "bench memory", output, Map.of("batch", batch, "minibatches", minibatches, "cases", rows));
            return 0;
        }
    }

    @Command(name = "ingest", description = "The preprocess job on a large input of small files: --files real "
            + "Fashion-MNIST PNGs (the 70,000 written out again under distinct names, class-per-folder) ingested in "
            + "local mode by a JVM whose heap is capped at --driver-heap; prints wall time, images/s, peak heap after "
            + "GC, peak RSS, task and stage counts and the largest task Spark warned of.")
    static final class BenchIngest implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--files", defaultValue = "1000000", description = "Images to generate and ingest; default "
                + "${DEFAULT-VALUE}.")
        int files;

        @Option(names = "--dir", defaultValue = "work/bench-ingest", description = "Where the images are written "
                + "(kept and reused by later runs with the same --files) and the dataset goes; default "
                + "${DEFAULT-VALUE}.")
        java.nio.file.Path dir;

        @Option(names = "--driver-heap", defaultValue = "1g", description = "Heap of the ingest JVM (-Xmx); default "
                + "${DEFAULT-VALUE}.")
        String heap;

        @Option(names = "--cores", defaultValue = "2", description = "Spark local[N] cores; default "
                + "${DEFAULT-VALUE}.")
        int cores;

        @Option(names = "--output", paramLabel = "FILE", description = "Also write the figures as JSON here.")
        java.nio.file.Path output;

        @Override
        public Integer call() throws Exception {
            java.io.PrintWriter out = spec.commandLine().getOut();
            InvalidConfigException.require(files >= 1, "--files", "must be >= 1", files);
            InvalidConfigException.require(cores >= 1, "--cores", "must be >= 1", cores);
            InvalidConfigException.require(heap.matches("\\d+[kKmMgG]?"), "--driver-heap", "must be a JVM size "
                    + "such as 1g or 768m", heap);
            java.nio.file.Path idx = io.cnnpipeline.pipeline.Demo.ensureFashionMnist(
                    PipelineConfig.defaults(PipelineConfig.DEMO_PROFILE).demoFashionMnistDir());
            java.nio.file.Path images = dir.toAbsolutePath().resolve("images");
            IngestBench.generate(idx, images, files, out);
            out.flush();
            IngestBench.Result r = IngestBench.runJvm(images, dir.toAbsolutePath().resolve("dataset"), heap, cores);
            out.printf(java.util.Locale.ROOT, "bench ingest: %,d files, local[%d], -Xmx%s%n", r.files(), cores, heap);
            out.printf(java.util.Locale.ROOT, "  inputs %,d = written %,d + quarantined %,d; %,d other entries "
                    + "ignored; content sha256 %s%n", r.inputs(), r.written(), r.quarantined(), r.ignored(),
                    r.contentSha256());
            out.printf(java.util.Locale.ROOT, "  listing: %.1f s in %,d tasks%n", r.listingSeconds(),
                    r.listingTasks());
            out.printf(java.util.Locale.ROOT, "  %.0f s, %.0f images/s; peak heap after GC %.0f MB; peak RSS %.0f MB%n",
                    r.seconds(), r.imagesPerSecond(), r.peakHeapAfterGcBytes() / 1e6, r.peakRssBytes() / 1e6);
            out.printf(java.util.Locale.ROOT, "  %,d tasks in %,d stages; largest task warned of: %s%n", r.tasks(),
                    r.stages(), r.largestTaskKiB() < 0 ? "none (every task under Spark's 1,000 KiB)"
                            : r.largestTaskKiB() + " KiB (stage " + r.largestTaskStage() + ")");
            writeJson(out, "bench ingest", output, r);
            return 0;
        }
    }

    @Command(name = "infer", description = "Inference images/s on CPU of DL4J and of onnxruntime running the same "
            + "network exported to ONNX, on the same Fashion-MNIST minibatches, same thread count (OMP_NUM_THREADS).")
    static final class BenchInfer implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--networks", split = ",", defaultValue = "lenet@28,resnet20@28,resnet18@224",
                description = "NETWORK@INPUT-SIZE cases (28 = Fashion-MNIST luma; other sizes upscale it to RGB); "
                        + "default ${DEFAULT-VALUE}.")
        List<String> networks;

        @Option(names = "--batch", defaultValue = "32", description = "Images per forward pass; default "
                + "${DEFAULT-VALUE}.")
        int batch;

        @Option(names = "--seconds", defaultValue = "5", description = "Measured seconds per case; default "
                + "${DEFAULT-VALUE}.")
        double seconds;

        @Option(names = "--warmup", defaultValue = "3", description = "Warm-up seconds per case; default "
                + "${DEFAULT-VALUE}.")
        double warmup;

        @Option(names = "--output", paramLabel = "FILE", description = "Also write the figures as JSON here.")
        java.nio.file.Path output;

        @Override
        public Integer call() throws Exception {
            java.io.PrintWriter out = spec.commandLine().getOut();
            InvalidConfigException.require(batch >= 1, "--batch", "must be >= 1", batch);
            InvalidConfigException.require(seconds > 0 && warmup >= 0, "--seconds", "must be > 0 (and --warmup >= 0)",
                    seconds);
            List<String[]> cases = networkCases(networks);
            java.nio.file.Path idx = io.cnnpipeline.pipeline.Demo.ensureFashionMnist(
                    PipelineConfig.defaults(PipelineConfig.DEMO_PROFILE).demoFashionMnistDir());
            out.printf(java.util.Locale.ROOT, "bench infer: batch %d, %.0f s per case after %.0f s warm-up, "
                    + "OMP_NUM_THREADS=%s, %d cores%n", batch, seconds, warmup,
                    System.getenv().getOrDefault("OMP_NUM_THREADS", "(default)"),
                    Runtime.getRuntime().availableProcessors());
            out.printf(java.util.Locale.ROOT, "%-12s %-10s %6s %10s %12s %9s %16s%n", "runtime", "network", "input",
                    "images/s", "images/CPU-s", "RSS MB", "onnxruntime/dl4j");
            List<InferenceBench.Result> results = new ArrayList<>();
            java.util.Map<String, Double> ratios = new java.util.LinkedHashMap<>();
            for (String[] c : cases) {
                List<InferenceBench.Result> pair = InferenceBench.run(idx, c[0], Integer.parseInt(c[1]), batch,
                        warmup, seconds);
                double ratio = pair.get(1).imagesPerSecond() / pair.get(0).imagesPerSecond();
                for (InferenceBench.Result r : pair) {
                    out.printf(java.util.Locale.ROOT, "%-12s %-10s %6s %10.0f %12.0f %9.0f %16s%n", r.runtime(),
                            r.network(), r.inputSize() + "px", r.imagesPerSecond(), r.imagesPerCpuSecond(),
                            r.rssBytes() / 1e6, r.runtime().equals("onnxruntime")
                                    ? String.format(java.util.Locale.ROOT, "%.2f", ratio) : "");
                }
                out.flush();
                results.addAll(pair);
                ratios.put(c[0] + "@" + c[1] + " onnxruntime / dl4j images/s", ratio);
            }
            java.util.Map<String, Object> doc = new java.util.LinkedHashMap<>();
            doc.put("bench", "infer");
            doc.put("results", results);
            doc.put("ratios", ratios);
            writeJson(out, "bench infer", output, doc);
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
        void write(java.io.PrintWriter out, String command, Object doc) throws java.io.IOException {
            writeJson(out, command, output, doc);
        }
    }

    /** Writes a bench's figures as JSON to {@code output} (creating its directory), if it is not null. */
    static void writeJson(java.io.PrintWriter out, String command, java.nio.file.Path output, Object doc) throws java.io.IOException {
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
}
