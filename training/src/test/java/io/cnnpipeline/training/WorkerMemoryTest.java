package io.cnnpipeline.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.augment.AugmentationPipeline;
import io.cnnpipeline.core.TestSpark;
import io.cnnpipeline.training.zoo.Network;
import io.cnnpipeline.training.zoo.NetworkSummary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkerMemoryTest {
    private static TrainingConfig config(Network network, Path runs) {
        return TrainingFixtures.with(TrainingFixtures.config(runs.toString(), "memory", "nesterov", 0.01, 1, 2, 8, 1,
                "direct", AugmentationPipeline.of(16)), Map.of("network", network.id()));
    }

    @Test
    void theEstimateFollowsTheNetworkTheMinibatchAndTheCachedImages(@TempDir Path runs) {
        TrainingConfig lenet = config(Network.LENET, runs);
        WorkerMemory a = WorkerMemory.estimate(lenet, 28, 28, 1, 10, 32, 30_000);
        WorkerMemory b = WorkerMemory.estimate(lenet, 28, 28, 1, 10, 64, 30_000);
        long params = NetworkSummary.of(lenet, 28, 28, 1, 10).parameters();
        assertEquals(4 * params, a.parameters(), "float32 parameters");
        assertEquals(a.parameters(), b.parameters());
        assertTrue(a.updater() >= a.parameters(), "Nesterov keeps one value per parameter");
        assertTrue(b.network() - b.parameters() - b.updater() > a.network() - a.parameters() - a.updater(),
                "activations grow with the minibatch");
        assertEquals(4L * (28 * 28 + 10) * (30_000 + lenet.prefetchBatches() * 32), a.minibatches(),
                "30,000 cached and the prefetched");
        WorkerMemory resnet18 = WorkerMemory.estimate(config(Network.RESNET18, runs), 224, 224, 3, 1000, 32, 0);
        assertTrue(resnet18.network() > 1L << 30, "ResNet-18 at 224, batch 32: over 1 GiB, " + resnet18.summary(32));
        assertTrue(resnet18.summary(32).contains("minibatch 32"));
    }

    @Test
    void executorSettingsThatCannotHoldTheWorkersAreNamedWithTheFiguresToSet(@TempDir Path runs) {
        WorkerMemory m = WorkerMemory.estimate(config(Network.RESNET18, runs), 224, 224, 3, 1000, 32, 2_000);
        SparkConf yarn = new SparkConf(false).set("spark.master", "yarn").set("spark.executor.memory", "8g")
                .set("spark.executor.cores", "2").set("spark.executor.memoryOverhead", "2g")
                .set("spark.executor.defaultJavaOptions", "-Dorg.bytedeco.javacpp.maxbytes=40G");
        List<String> problems = m.problems(yarn, 8);
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("spark.executor.memoryOverhead = 2,048 MiB")
                && problems.get(0).contains("2 workers x "), problems.get(0));
        assertTrue(m.problems(yarn.clone().set("spark.executor.memoryOverhead", "40g"), 8).isEmpty());
        // JavaCPP's cap, unset: the heap size.
        SparkConf standalone = new SparkConf(false).set("spark.master", "spark://127.0.0.1:7077")
                .set("spark.executor.memory", "2g").set("spark.executor.cores", "1");
        List<String> capped = m.problems(standalone, 2);
        assertEquals(1, capped.size(), capped.toString());
        assertTrue(capped.get(0).contains("-Dorg.bytedeco.javacpp.maxbytes") && capped.get(0).contains("unset"),
                capped.get(0));
        assertTrue(m.problems(standalone.clone().set("spark.executor.extraJavaOptions",
                "-Dorg.bytedeco.javacpp.maxbytes=20g"), 2).isEmpty(), "standalone does not enforce the overhead");
    }

    @Test
    void trainingThatCannotFitIsRefusedBeforeItWritesAnything(@TempDir Path runs) {
        // ResNet-18 with minibatches of 200,000 images: far beyond this JVM's off-heap cap.
        TrainingConfig huge = TrainingFixtures.with(config(Network.RESNET18, runs), Map.of("batchSizePerWorker",
                200_000));
        io.cnnpipeline.core.StageFailedException e = assertThrows(io.cnnpipeline.core.StageFailedException.class,
                () -> TrainingJob.run(TestSpark.get(), huge, ""));
        assertTrue(e.getMessage().startsWith("Cannot train resnet18 with 2 workers: the local-mode JVM needs")
                && e.getMessage().contains("-Dorg.bytedeco.javacpp.maxbytes"), e.getMessage());
        assertFalse(Files.exists(runs.resolve("memory")), "no run directory");
    }
}
