package io.cnnpipeline.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cnnpipeline.core.Json;
import io.cnnpipeline.core.TestImages;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar under spark-submit: Spark's own SparkSubmit (from the Maven jars, in a child JVM whose classpath
 * holds only what a Spark installation provides) runs {@code cnn-pipeline run} from the jar on local[2].
 */
class SparkSubmitIT {
    @Test
    void theShadedJarRunsAllStagesUnderSparkSubmit(@TempDir Path tmp) throws Exception {
        Path target = Path.of("target");
        Path jar;
        try (Stream<Path> s = Files.list(target)) {
            jar = s.filter(p -> p.getFileName().toString().endsWith("-spark.jar")).findFirst().orElseThrow();
        }
        TestImages.writeClassFolders(tmp.resolve("images/train"), 3, 16, 16, 1, 5);
        TestImages.writeClassFolders(tmp.resolve("images/test"), 3, 4, 16, 1, 6);
        Path conf = Files.writeString(tmp.resolve("job.conf"), String.join("\n",
                "preprocess.inputs.train = \"" + tmp.resolve("images/train") + "\"",
                "preprocess.inputs.test = \"" + tmp.resolve("images/test") + "\"",
                "preprocess.output = \"" + tmp.resolve("dataset") + "\"",
                "preprocess.channels = 1",
                "train.runs-dir = \"" + tmp.resolve("runs") + "\"",
                "train.run-id = submitted",
                "train.epochs = 1",
                "train.batch-size-per-worker = 8",
                "train.input-size = 16",
                "train.augmentation = [{type = pad-crop, padding = 2}, {type = flip}]",
                "evaluate { centre-scale = 0, scales = [16, 18] }", ""));

        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx2g");
        command.addAll(Arrays.asList(Files.readString(target.resolve("jvm.options")).trim().split("\\s+")));
        command.addAll(List.of("-cp", Files.readString(target.resolve("spark-classpath.txt")).trim(),
                "org.apache.spark.deploy.SparkSubmit", "--master", "local[2]",
                "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.ui.enabled=false",
                "--class", "io.cnnpipeline.pipeline.Cli", jar.toString(), "run", "--config", conf.toString()));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("spark-submit.log").toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        Process p = pb.start();
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "spark-submit did not finish");
        String log = Files.readString(tmp.resolve("spark-submit.log"));
        assertEquals(0, p.exitValue(), log);
        assertTrue(log.contains("preprocess: inputs 60 = written 60 + quarantined 0"), log);
        JsonNode report = Json.MAPPER.readTree(new File(tmp.resolve("runs/submitted/evaluation/report.json").toString()));
        assertEquals(12, report.get("images").asInt());
        assertEquals(31, report.get("viewsPerImage").asInt());
    }
}
