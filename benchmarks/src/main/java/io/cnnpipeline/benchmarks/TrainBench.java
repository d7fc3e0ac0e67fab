package io.cnnpipeline.benchmarks;

import io.cnnpipeline.pipeline.FashionMnist;
import io.cnnpipeline.pipeline.PipelineConfig;

import io.cnnpipeline.core.Json;
import io.cnnpipeline.training.zoo.Networks;
import io.cnnpipeline.training.TrainingConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code bench train}: training throughput of one network on the same real minibatches (Fashion-MNIST, 28×28 grey,
 * normalized, no augmentation) three ways — a single JVM fitting DL4J directly (with ND4J's default threading and
 * with one OpenMP thread), dl4j-spark parameter averaging on local Spark with this project's training-master settings
 * (one OpenMP thread per worker), and, when Debian's {@code python3-torch} is installed, PyTorch on the same network,
 * data and settings. Each case runs in its own JVM (or Python) process, so that thread settings
 * ({@code OMP_NUM_THREADS}) take effect and peak resident memory (VmHWM) is the case's own. Figures: images/s over
 * the measured minibatches after warm-up, CPU seconds of the process, and images per CPU-second.
 */
final class TrainBench {
    /** One measured case. */
    record Result(String name, String network, int batch, int threads, int workers, long images, double seconds,
                  double imagesPerSecond, double cpuSeconds, double imagesPerCpuSecond, long peakRssBytes) {
    }

    /** Memory of each local-cluster worker (MB) and of its executor: room for ResNet-18 at 224×224. */
    static final int CLUSTER_WORKER_MB = 6144;
    static final String CLUSTER_EXECUTOR_MEMORY = "4g";

    /**
     * Settings of the DL4J cases: {@code train.cache-mode} and {@code train.width-multiplier} (the bench's
     * {@code --cache-mode} and {@code --width-multiplier}).
     */
    record Dl4jSettings(String cacheMode, double widthMultiplier) {
    }

    private TrainBench() {
    }

    /** {@code count} minibatches of {@code batch} normalized Fashion-MNIST training images, NCHW float32. */
    static List<DataSet> minibatches(Path idx, int batch, int count) {
        return minibatches(idx, batch, count, 28);
    }

    /**
     * {@code count} minibatches of {@code batch} normalized Fashion-MNIST training images, NCHW float32: 1×28×28 at
     * {@code size} 28, otherwise upscaled to {@code size}×{@code size} (nearest neighbour) and replicated to 3
     * channels, the shape of an ImageNet-sized RGB input (for throughput and memory, not accuracy).
     */
    static List<DataSet> minibatches(Path idx, int batch, int count, int size) {
        List<DataSet> native28 = minibatches28(idx, batch, count);
        if (size == 28) {
            return native28;
        }
        List<DataSet> out = new ArrayList<>();
        for (DataSet d : native28) {
            float[] src = d.getFeatures().data().asFloat();
            float[] x = new float[batch * 3 * size * size];
            for (int i = 0; i < batch; i++) {
                for (int r = 0; r < size; r++) {
                    for (int c = 0; c < size; c++) {
                        float v = src[i * 784 + (r * 28 / size) * 28 + c * 28 / size];
                        for (int ch = 0; ch < 3; ch++) {
                            x[((i * 3 + ch) * size + r) * size + c] = v;
                        }
                    }
                }
            }
            out.add(new DataSet(Nd4j.create(x, new long[] {batch, 3, size, size}, 'c'), d.getLabels()));
        }
        return out;
    }

    private static List<DataSet> minibatches28(Path idx, int batch, int count) {
        FashionMnist.Split split = FashionMnist.read(idx, "train", batch * count);
        if (split.size() < batch * count) {
            throw new IllegalArgumentException("Cannot benchmark: Fashion-MNIST has " + split.size()
                    + " training images, fewer than " + batch * count);
        }
        float mean = 0.2860f;
        float std = 0.3530f;
        List<DataSet> out = new ArrayList<>();
        for (int m = 0; m < count; m++) {
            float[] x = new float[batch * 28 * 28];
            float[] y = new float[batch * 10];
            for (int i = 0; i < batch; i++) {
                byte[] img = split.images()[m * batch + i];
                for (int p = 0; p < 28 * 28; p++) {
                    x[i * 784 + p] = ((img[p] & 0xFF) / 255f - mean) / std;
                }
                y[i * 10 + split.labels()[m * batch + i]] = 1f;
            }
            out.add(new DataSet(Nd4j.create(x, new long[] {batch, 1, 28, 28}, 'c'),
                    Nd4j.create(y, new long[] {batch, 10}, 'c')));
        }
        return out;
    }

    /** The training configuration of a case: the demo profile with the case's network, sizes and settings. */
    static TrainingConfig config(String network, int batch, int averaging, int workers, int size, String cache,
                                 String widthMultiplier, boolean shared) {
        return PipelineConfig.load(PipelineConfig.DEMO_PROFILE, List.of(), List.of(
                "train.training-master=" + (shared ? "gradient-sharing" : "parameter-averaging"),
                "train.gradient-sharing.controller-address=127.0.0.1",
                "train.network=" + network, "train.batch-size-per-worker=" + batch,
                "train.averaging-frequency=" + averaging, "train.workers=" + workers, "train.weight-decay=0",
                "train.updater=nesterov", "train.learning-rate=0.01", "train.input-size=" + size,
                "train.cache-mode=" + cache, "train.width-multiplier=" + widthMultiplier)).train();
    }

    /**
     * Child-process entry: {@code TrainBench single|spark|shared|cluster <idx dir> <network> <batch> <warmup> <minibatches>
     * <workers> <averaging> [<input size> [<cache mode> [<width multiplier>]]]}; prints one {@code RESULT <json>} line.
     */
    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Path idx = Path.of(args[1]);
        String network = args[2];
        int batch = Integer.parseInt(args[3]);
        int warmup = Integer.parseInt(args[4]);
        int measured = Integer.parseInt(args[5]);
        int workers = Integer.parseInt(args[6]);
        int averaging = Integer.parseInt(args[7]);
        int size = args.length > 8 ? Integer.parseInt(args[8]) : 28;
        String cache = args.length > 9 ? args[9] : "device";
        String widthMultiplier = args.length > 10 ? args[10] : "1.0";
        io.cnnpipeline.training.dl4j.OmpThreads.honourEnvironment();   // the single-JVM cases train in this thread
        int channels = size == 28 ? 1 : 3;
        boolean shared = mode.equals("shared");
        TrainingConfig config = config(network, batch, averaging, workers, size, cache, widthMultiplier, shared);
        List<DataSet> data = minibatches(idx, batch, warmup + measured, size);
        io.cnnpipeline.training.TrainableNetwork net = io.cnnpipeline.training.TrainableNetwork.of(
                Networks.create(config, size, size, channels, 10));
        String threads = System.getenv().getOrDefault("OMP_NUM_THREADS", "0");
        Result result;
        if (mode.equals("single")) {
            for (int i = 0; i < warmup; i++) {
                net.fit(data.get(i));
            }
            long cpu0 = ProcessStats.cpuNanos();
            long t0 = System.nanoTime();
            for (int i = warmup; i < warmup + measured; i++) {
                net.fit(data.get(i));
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            double cpu = (ProcessStats.cpuNanos() - cpu0) / 1e9;
            long images = (long) measured * batch;
            result = new Result("dl4j single JVM", network, batch, Integer.parseInt(threads), 1, images, seconds,
                    images / seconds, cpu, images / cpu, ProcessStats.peakRss(ProcessHandle.current().pid()));
        } else {
            boolean cluster = mode.equals("cluster");
            SparkSession.Builder builder = SparkSession.builder().appName("bench train")
                    .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false");
            if (cluster) {
                // One executor JVM per worker, one core each, as on a cluster: parameters and results cross process
                // boundaries. Executors get this JVM's class path and module options and one OpenMP thread.
                List<String> javaOptions = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                        .filter(a -> a.startsWith("--add-") || a.startsWith("-D")).toList();
                builder.master("local-cluster[" + workers + ",1," + CLUSTER_WORKER_MB + "]")
                        .config("spark.executor.memory", CLUSTER_EXECUTOR_MEMORY)
                        .config("spark.executor.extraClassPath", System.getProperty("java.class.path"))
                        .config("spark.executor.extraJavaOptions", String.join(" ", javaOptions))
                        .config("spark.executorEnv.OMP_NUM_THREADS", threads);
            } else {
                builder.master("local[" + workers + "]");
            }
            SparkSession spark = builder.getOrCreate();
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            Path export = Files.createTempDirectory("bench-train-export");
            io.cnnpipeline.training.TrainableNetwork.Spark sparkNet = net.spark(jsc, shared
                    ? io.cnnpipeline.training.TrainingMasters.gradientSharing(config, jsc, workers, batch,
                            export.toString(), 42)
                    : io.cnnpipeline.training.TrainingMasters.parameterAveraging(config, workers, batch, export.toString(), 42));
            // As in a training job, the minibatches are cached on the executors and the RDD's partitions are small:
            // jsc.parallelize(data) would put every partition's minibatches into each task (5 MB per task here, sent
            // again for every averaging round).
            org.apache.spark.broadcast.Broadcast<List<DataSet>> all = jsc.broadcast(data);
            JavaRDD<DataSet> warm = cachedMinibatches(jsc, all, 0, warmup, workers);
            sparkNet.fit(warm);
            JavaRDD<DataSet> rdd = cachedMinibatches(jsc, all, warmup, warmup + measured, workers);
            double cpu0 = treeCpuSeconds();
            long t0 = System.nanoTime();
            sparkNet.fit(rdd);
            double seconds = (System.nanoTime() - t0) / 1e9;
            double cpu = treeCpuSeconds() - cpu0;
            long images = (long) measured * batch;
            // Peak resident memory per worker: an executor JVM's on a cluster, the one JVM's in local mode.
            long peak = cluster ? ProcessHandle.current().descendants()
                    .mapToLong(p -> ProcessStats.peakRss(p.pid())).max().orElse(-1) : ProcessStats.peakRss(ProcessHandle.current().pid());
            String name = cluster
                    ? "dl4j-spark local-cluster (" + workers + " executor JVMs, averaging every "
                        + averaging + ")"
                    : shared ? "dl4j-spark gradient sharing (local[" + workers + "], adaptive threshold)"
                    : "dl4j-spark parameter averaging (local[" + workers + "], averaging every " + averaging + ")";
            result = new Result(name, network, batch, Integer.parseInt(threads), workers, images, seconds,
                    images / seconds, cpu, images / cpu, peak);
            spark.stop();
        }
        System.out.println("RESULT " + new String(Json.toBytes(result), StandardCharsets.UTF_8).replace('\n', ' '));
        System.exit(0);
    }

    /** Minibatches {@code from..to} of a broadcast list as an RDD persisted in memory, computed once. */
    private static JavaRDD<DataSet> cachedMinibatches(JavaSparkContext jsc,
                                                      org.apache.spark.broadcast.Broadcast<List<DataSet>> all,
                                                      int from, int to, int partitions) {
        List<Integer> indices = new ArrayList<>();
        for (int i = from; i < to; i++) {
            indices.add(i);
        }
        JavaRDD<DataSet> rdd = jsc.parallelize(indices, partitions).map(i -> all.value().get(i))
                .persist(org.apache.spark.storage.StorageLevel.MEMORY_ONLY());
        rdd.count();
        return rdd;
    }

    /** CPU seconds of this process and its descendants (the executor JVMs of a local cluster). */
    private static double treeCpuSeconds() {
        double seconds = ProcessStats.cpuNanos() / 1e9;
        for (ProcessHandle p : ProcessHandle.current().descendants().toList()) {
            seconds += p.info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(0.0);
        }
        return seconds;
    }

    /**
     * Runs one case in a child JVM with this JVM's class path and options.
     *
     * @param mode       {@code single}, {@code spark} (local[workers]) or {@code cluster} (local-cluster: one executor
     *                   JVM per worker)
     * @param ompThreads OMP_NUM_THREADS for the child; 0 = unset (ND4J's default)
     */
    static Result runJvm(String mode, Dl4jSettings dl4j, Path idx, String network, int batch, int warmup, int measured, int workers,
                         int averaging, int ompThreads, int size) throws IOException, InterruptedException {
        Path sparkHome = mode.equals("cluster") ? Files.createTempDirectory("bench-train-spark-home") : null;
        try {
            return parse(startJvm(mode, dl4j, idx, network, batch, warmup, measured, workers, averaging, ompThreads, size,
                    sparkHome), mode + " " + network);
        } finally {
            if (sparkHome != null) {
                org.apache.commons.io.FileUtils.deleteDirectory(sparkHome.toFile());   // with the workers' logs
            }
        }
    }

    /**
     * Two one-thread single-JVM cases started together: what two independent workers reach on this machine when they
     * share its memory system and caches — the measured ceiling of linear scaling. Images/s, images, CPU seconds are
     * the two processes' sums; seconds the longer one's; peak memory the larger one's (per worker).
     */
    static Result runPair(Dl4jSettings dl4j, Path idx, String network, int batch, int warmup, int measured, int size)
            throws IOException, InterruptedException {
        Process a = startJvm("single", dl4j, idx, network, batch, warmup, measured, 1, 1, 1, size, null);
        Process b = startJvm("single", dl4j, idx, network, batch, warmup, measured, 1, 1, 1, size, null);
        Result ra = parse(a, "single " + network);
        Result rb = parse(b, "single " + network);
        return new Result("2 x dl4j single JVM (1 thread each), concurrently", network, batch, 1, 2,
                ra.images() + rb.images(), Math.max(ra.seconds(), rb.seconds()),
                ra.imagesPerSecond() + rb.imagesPerSecond(), ra.cpuSeconds() + rb.cpuSeconds(),
                (ra.images() + rb.images()) / (ra.cpuSeconds() + rb.cpuSeconds()),
                Math.max(ra.peakRssBytes(), rb.peakRssBytes()));
    }

    private static Process startJvm(String mode, Dl4jSettings dl4j, Path idx, String network, int batch, int warmup, int measured,
                                    int workers, int averaging, int ompThreads, int size, Path sparkHome)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), TrainBench.class.getName(), mode,
                idx.toString(), network, Integer.toString(batch), Integer.toString(warmup), Integer.toString(measured),
                Integer.toString(workers), Integer.toString(averaging), Integer.toString(size), dl4j.cacheMode(),
                Double.toString(dl4j.widthMultiplier())));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (ompThreads > 0) {
            pb.environment().put("OMP_NUM_THREADS", Integer.toString(ompThreads));
        } else {
            pb.environment().remove("OMP_NUM_THREADS");
        }
        if (sparkHome != null) {
            // A local cluster's workers launch executors with Spark's launcher, which needs a Spark home with a jars
            // directory; the executors' classes come from spark.executor.extraClassPath instead.
            Files.createDirectories(sparkHome.resolve("jars"));
            pb.environment().put("SPARK_HOME", sparkHome.toString());
            pb.environment().put("SPARK_SCALA_VERSION", "2.12");
        }
        return pb.start();
    }

    /** Runs the PyTorch case with Debian's python3, or returns null if torch is not importable. */
    static Result runPyTorch(Path idx, String network, int batch, int warmup, int measured, int threads)
            throws IOException, InterruptedException {
        Path python = Path.of("/usr/bin/python3");
        if (!Files.isExecutable(python)) {
            return null;
        }
        Process check = new ProcessBuilder(python.toString(), "-c", "import torch").redirectErrorStream(true).start();
        check.getInputStream().readAllBytes();
        if (check.waitFor() != 0) {
            return null;
        }
        Path script = Files.createTempFile("bench_train", ".py");
        try (var in = TrainBench.class.getResourceAsStream("/cnn-pipeline/bench_train.py")) {
            Files.write(script, in.readAllBytes());
        }
        try {
            ProcessBuilder pb = new ProcessBuilder(python.toString(), script.toString(), idx.toString(),
                    Integer.toString(batch), Integer.toString(warmup), Integer.toString(measured),
                    Integer.toString(threads), network).redirectErrorStream(true);
            // Debian's torch calls the system BLAS (libblas.so.3: OpenBLAS when libopenblas0-pthread is installed,
            // which has its own thread pool): as many BLAS threads as torch threads.
            pb.environment().put("OPENBLAS_NUM_THREADS", Integer.toString(threads));
            pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
            Process p = pb.start();
            return parse(p, "bench_train.py");
        } finally {
            Files.deleteIfExists(script);
        }
    }

    private static Result parse(Process p, String what) throws IOException, InterruptedException {
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        for (String line : output.split("\n")) {
            if (line.startsWith("RESULT ")) {
                return Json.MAPPER.readValue(line.substring(7), Result.class);
            }
        }
        String tail = output.length() > 2000 ? output.substring(output.length() - 2000) : output;
        throw new UncheckedIOException(new IOException("bench train case " + what + " failed (exit " + code + "): "
                + tail));
    }

    /** The JSON document of a run. */
    static Map<String, Object> report(List<Result> results, Map<String, Double> ratios) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("benchmark", "train-throughput");
        doc.put("gitCommit", io.cnnpipeline.core.BuildInfo.gitCommit());
        doc.put("cores", Runtime.getRuntime().availableProcessors());
        doc.put("results", results);
        doc.put("ratios", ratios);
        return doc;
    }
}
