package io.cnnpipeline.training;

import io.cnnpipeline.training.zoo.Networks;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryType;
import org.deeplearning4j.nn.conf.memory.MemoryUseMode;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The memory one parameter-averaging worker (one Spark task) needs to train a network, estimated before training,
 * in bytes, and the check of an executor's settings against it.
 *
 * <p>Off heap (ND4J's buffers, which JavaCPP counts against {@code org.bytedeco.javacpp.maxbytes} and which YARN and
 * Kubernetes count against {@code spark.executor.memoryOverhead}, not against the heap):
 * <ul>
 *   <li>{@link #network}: DL4J's own memory report of the configuration ({@code getMemoryReport}, training mode, the
 *   configured cache mode, float32) at the worker's minibatch size — parameters and their gradients, updater state,
 *   activations, the layers' working and cached memory — with the activation gradients of the largest layer counted
 *   twice instead of every layer's (backpropagation holds one layer's incoming and outgoing gradients at a time;
 *   DL4J's total, which adds them all, overestimates ResNet-18 at 224 × 224 by a third);</li>
 *   <li>{@link #roundCopies}: the averaging round's parameters and updater state taken into the network, and the
 *   worker's result, as ND4J arrays (2 × (parameters + updater state));</li>
 *   <li>{@link #minibatches}: the worker's share of the epoch's augmented minibatches, which the training job
 *   caches ({@code MEMORY_ONLY}: the DataSets with their off-heap buffers; Spark's storage accounting does not see
 *   them), plus the prefetched minibatches: NCHW float32 features and one-hot labels.</li>
 * </ul>
 * On heap: {@link #heapArrays}, the round's broadcast and the partial sums of parameters and updater state as float
 * arrays (3 copies). Plus {@link #JVM_BASE}, what a training JVM holds besides all that (the JVM's code, metaspace and
 * heap in use, ND4J's, OpenBLAS's and oneDNN's native libraries and thread stacks), measured as the peak resident set
 * of a one-thread LeNet training JVM less its estimated network ({@code bench memory}, which also compares the
 * estimate with the measured peak resident set of LeNet, ResNet-20 and ResNet-18 at 224 × 224).
 *
 * @param network     DL4J's training-memory report at the minibatch size (bytes, off heap)
 * @param parameters  of which parameters (bytes)
 * @param updater     of which updater state (bytes)
 * @param roundCopies a round's copies of parameters and updater state (bytes, off heap)
 * @param minibatches cached and prefetched minibatches of one worker (bytes, off heap)
 * @param heapArrays  float arrays of the round's broadcast and sums (bytes, heap)
 */
public record WorkerMemory(long network, long parameters, long updater, long roundCopies, long minibatches,
                           long heapArrays) {
    /**
     * Resident memory of a training JVM besides the network and data (bytes): the peak resident set of a one-thread
     * LeNet training JVM (199–212 MB in {@code bench memory}) less its estimated network and minibatches (22 MB).
     */
    public static final long JVM_BASE = 180L << 20;

    /**
     * The estimate for {@code config}'s network on {@code channels}×{@code height}×{@code width} inputs (pixels) with
     * {@code classes} outputs, at {@code batch} images per minibatch, for a worker that caches
     * {@code imagesPerWorker} training images of the epoch.
     */
    public static WorkerMemory estimate(TrainingConfig config, int height, int width, int channels, int classes,
                                        int batch, long imagesPerWorker) {
        InputType input = InputType.convolutional(height, width, channels);
        MemoryReport report = config.network().graph()
                ? Networks.buildGraph(config, height, width, channels, classes).getMemoryReport(input)
                : Networks.build(config, height, width, channels, classes).getMemoryReport(input);
        org.deeplearning4j.nn.conf.CacheMode cache = config.cacheMode() == TrainingConfig.CacheMode.DEVICE
                ? org.deeplearning4j.nn.conf.CacheMode.DEVICE : org.deeplearning4j.nn.conf.CacheMode.NONE;
        // DL4J's report adds every layer's activation gradients; backpropagation holds those of one layer at a time
        // (the gradient flowing in and the one flowing out, in workspaces reused layer by layer): count the
        // largest layer's twice instead.
        long gradients = report.getMemoryBytes(MemoryType.ACTIVATION_GRADIENTS, batch, MemoryUseMode.TRAINING, cache,
                DataType.FLOAT);
        long largestLayerGradients = 0;
        if (report instanceof org.deeplearning4j.nn.conf.memory.NetworkMemoryReport n) {
            for (MemoryReport layer : n.getLayerAndVertexReports().values()) {
                largestLayerGradients = Math.max(largestLayerGradients, layer.getMemoryBytes(
                        MemoryType.ACTIVATION_GRADIENTS, batch, MemoryUseMode.TRAINING, cache, DataType.FLOAT));
            }
        }
        long network = report.getTotalMemoryBytes(batch, MemoryUseMode.TRAINING, cache, DataType.FLOAT) - gradients
                + 2 * largestLayerGradients;
        long parameters = report.getMemoryBytes(MemoryType.PARAMETERS, batch, MemoryUseMode.TRAINING, cache,
                DataType.FLOAT);
        long updater = report.getMemoryBytes(MemoryType.UPDATER_STATE, batch, MemoryUseMode.TRAINING, cache,
                DataType.FLOAT);
        long perImage = 4L * ((long) channels * height * width + classes);
        long minibatches = perImage * (imagesPerWorker + (long) config.prefetchBatches() * batch);
        return new WorkerMemory(network, parameters, updater, 2 * (parameters + updater), minibatches,
                3 * (parameters + updater));
    }

    /** Off-heap bytes of one worker: network, round copies, minibatches. */
    public long offHeap() {
        return network + roundCopies + minibatches;
    }

    /** Estimated resident set of a JVM running {@code workers} such workers (bytes). */
    public long residentSet(int workers) {
        return JVM_BASE + workers * (offHeap() + heapArrays);
    }

    /** One line for logs and {@code cnn-pipeline network}. */
    public String summary(int batch) {
        return String.format(Locale.ROOT, "memory per worker at minibatch %d: %s off heap (network %s: parameters %s, "
                        + "updater state %s, activations, gradients and working memory %s; round copies %s; cached "
                        + "and prefetched minibatches %s), %s heap arrays; a JVM with one worker ~%s resident",
                batch, mb(offHeap()), mb(network), mb(parameters), mb(updater), mb(network - parameters - updater),
                mb(roundCopies), mb(minibatches), mb(heapArrays), mb(residentSet(1)));
    }

    /**
     * Checks the executors' memory settings in {@code conf} against this estimate for {@code workers} workers:
     * JavaCPP's off-heap cap ({@code -Dorg.bytedeco.javacpp.maxbytes} in the executors' Java options; by default
     * the heap size, as JavaCPP sets it) must hold the off-heap bytes of the workers one executor runs
     * ({@code spark.executor.cores / spark.task.cpus}, all of them in local mode, where the driver is the executor),
     * and on YARN and Kubernetes, which kill a container above heap + overhead, {@code spark.executor.memoryOverhead}
     * (default max(384 MiB, 0.1 × heap)) must hold them and {@link #JVM_BASE}.
     *
     * @return the problems, each naming the figures and the setting to change; empty when the settings suffice
     */
    public List<String> problems(SparkConf conf, int workers) {
        List<String> problems = new ArrayList<>();
        String master = conf.get("spark.master", "local[*]");
        boolean local = master.startsWith("local");
        String side = local ? "driver" : "executor";
        // Local mode: the driver is the executor, and its heap and JavaCPP's cap are this JVM's.
        long heap = local ? Runtime.getRuntime().maxMemory() : bytes(conf.get("spark.executor.memory", "1g"));
        int perExecutor = local ? workers : Math.max(1, Math.min(workers,
                conf.getInt("spark.executor.cores", 1) / Math.max(1, conf.getInt("spark.task.cpus", 1))));
        long needed = perExecutor * offHeap();
        String options = conf.get("spark." + side + ".defaultJavaOptions", "") + " "
                + conf.get("spark." + side + ".extraJavaOptions", "");
        Matcher m = Pattern.compile("-Dorg\\.bytedeco\\.javacpp\\.maxbytes=(\\S+)").matcher(options);
        boolean capSet = m.find();
        long maxBytes = local ? org.bytedeco.javacpp.Pointer.maxBytes() : capSet ? bytes(m.group(1)) : heap;
        String what = String.format(Locale.ROOT, "%d worker%s x %s off heap (network %s, cached minibatches %s)",
                perExecutor, perExecutor == 1 ? "" : "s", mb(offHeap()), mb(network), mb(minibatches));
        if (maxBytes > 0 && needed > maxBytes) {
            problems.add(String.format(Locale.ROOT, "%s needs %s for %s, more than JavaCPP's off-heap cap of %s "
                            + "(-Dorg.bytedeco.javacpp.maxbytes in spark.%s.defaultJavaOptions%s): raise it to at least "
                            + "%s, or lower train.batch-size-per-worker, or use more workers",
                    local ? "the local-mode JVM" : "each executor", mb(needed), what,
                    mb(maxBytes), side, capSet || local ? "" : "; unset, it is the heap size", mb(needed)));
        }
        boolean containers = master.startsWith("yarn") || master.startsWith("k8s");
        if (containers) {
            long overhead = conf.contains("spark.executor.memoryOverhead")
                    ? bytes(conf.get("spark.executor.memoryOverhead"))
                    : Math.max(384L << 20, (long) (heap * conf.getDouble("spark.executor.memoryOverheadFactor", 0.1)));
            if (needed + JVM_BASE > overhead) {
                problems.add(String.format(Locale.ROOT, "each executor needs %s outside its heap for %s and the JVM's "
                                + "native memory (%s), more than spark.executor.memoryOverhead = %s: the container would "
                                + "be killed; set spark.executor.memoryOverhead to at least %s", mb(needed + JVM_BASE),
                        what, mb(JVM_BASE), mb(overhead), mb(needed + JVM_BASE)));
            }
        }
        return problems;
    }

    private static long bytes(String size) {
        return org.apache.spark.network.util.JavaUtils.byteStringAsBytes(size);
    }

    static String mb(long bytes) {
        return bytes >= 10L << 30 ? String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30))
                : String.format(Locale.ROOT, "%,d MiB", Math.round(bytes / (double) (1L << 20)));
    }
}
