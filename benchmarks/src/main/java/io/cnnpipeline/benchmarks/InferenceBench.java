package io.cnnpipeline.benchmarks;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.cnnpipeline.pipeline.PipelineConfig;
import io.cnnpipeline.training.ModelMeta;
import io.cnnpipeline.training.TrainableNetwork;
import io.cnnpipeline.training.TrainingConfig;
import io.cnnpipeline.training.zoo.Networks;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Inference images/s of one network on CPU, DL4J against onnxruntime running the same weights exported to ONNX
 * ({@link io.cnnpipeline.model.OnnxExporter}), on the same Fashion-MNIST minibatches (28×28 luma, or upscaled and
 * replicated to RGB at other sizes), one after the other in this JVM with the same thread count: ND4J's
 * {@code OMP_NUM_THREADS} (fixed at start-up) and onnxruntime's intra-op threads. Seeded random weights: inference
 * cost does not depend on their values.
 */
final class InferenceBench {
    /** One case's figures. */
    record Result(String runtime, String network, int inputSize, int batch, int threads, long images,
                  double seconds, double imagesPerSecond, double cpuSeconds, double imagesPerCpuSecond,
                  long rssBytes) {
    }

    private InferenceBench() {
    }

    /** DL4J and onnxruntime on {@code network}, each {@code warmup} then {@code seconds} of minibatches. */
    static List<Result> run(Path idx, String network, int inputSize, int batch, double warmup, double seconds)
            throws Exception {
        int channels = inputSize == 28 ? 1 : 3;
        PipelineConfig pc = PipelineConfig.load(PipelineConfig.DEMO_PROFILE, List.of(), List.of(
                "train.network=" + network, "train.input-size=" + inputSize));
        TrainingConfig config = pc.train();
        TrainableNetwork net = TrainableNetwork.of(Networks.create(config, inputSize, inputSize, channels, 10));
        double[] mean = new double[channels];
        double[] std = new double[channels];
        java.util.Arrays.fill(mean, 0.2860);
        java.util.Arrays.fill(std, 0.3530);
        ModelMeta meta = new ModelMeta(network, io.cnnpipeline.pipeline.FashionMnist.CLASSES, inputSize, inputSize,
                channels, mean, std, "", "");
        List<DataSet> data = TrainBench.minibatches(idx, batch, 16, inputSize);
        int threads = Integer.parseInt(System.getenv().getOrDefault("OMP_NUM_THREADS", "0"));
        List<Result> out = new ArrayList<>();
        out.add(measure("dl4j", network, inputSize, batch, threads, warmup, seconds, data.size(),
                i -> net.output(data.get(i).getFeatures())));

        byte[] onnx = io.cnnpipeline.model.OnnxExporter.export(net.model(), meta);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(Math.max(1, threads));
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            try (OrtSession session = env.createSession(onnx, options)) {
                List<OnnxTensor> tensors = new ArrayList<>();
                for (DataSet d : data) {
                    // The exported graph normalizes itself: it takes [0, 1] pixels.
                    INDArray x = d.getFeatures().mul(std[0]).add(mean[0]);
                    tensors.add(OnnxTensor.createTensor(env, FloatBuffer.wrap(x.dup('c').data().asFloat()),
                            x.shape()));
                }
                String input = session.getInputNames().iterator().next();
                out.add(measure("onnxruntime", network, inputSize, batch, threads, warmup, seconds, data.size(),
                        i -> {
                            try (OrtSession.Result r = session.run(Map.of(input, tensors.get(i)))) {
                                return r.get(0).getValue();
                            }
                        }));
                tensors.forEach(OnnxTensor::close);
            }
        }
        return out;
    }

    interface Step {
        Object apply(int minibatch) throws Exception;
    }

    private static Result measure(String runtime, String network, int inputSize, int batch, int threads,
                                  double warmup, double seconds, int minibatches, Step step) throws Exception {
        long end = System.nanoTime() + (long) (warmup * 1e9);
        int i = 0;
        while (System.nanoTime() < end) {
            step.apply(i++ % minibatches);
        }
        long cpu0 = ProcessStats.cpuNanos();
        long t0 = System.nanoTime();
        end = t0 + (long) (seconds * 1e9);
        long images = 0;
        while (System.nanoTime() < end || images == 0) {
            step.apply(i++ % minibatches);
            images += batch;
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        double cpu = (ProcessStats.cpuNanos() - cpu0) / 1e9;
        return new Result(runtime, network, inputSize, batch, threads, images, wall, images / wall, cpu,
                images / cpu, ProcessStats.rss(ProcessHandle.current().pid()));
    }
}
