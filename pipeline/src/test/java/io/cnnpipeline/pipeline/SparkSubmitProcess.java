package io.cnnpipeline.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs the shaded jar's CLI under Spark's own {@code SparkSubmit} (from the Maven jars, in a child JVM whose class path
 * holds only what a Spark installation provides: {@code target/spark-classpath.txt}), as spark-submit would.
 */
final class SparkSubmitProcess {
    private SparkSubmitProcess() {
    }

    /** The JVM options Spark needs on Java 17 ({@code target/jvm.options}). */
    static String jvmOptions() throws java.io.IOException {
        return Files.readString(Path.of("target", "jvm.options")).trim();
    }

    /**
     * Submits {@code cnn-pipeline ARGS} to {@code master}, waits for it (at most 15 minutes) and returns its output.
     *
     * @param sparkConf further spark-submit options, e.g. {@code --deploy-mode cluster}
     * @param log       where its output goes
     * @throws org.opentest4j.AssertionFailedError if it does not finish in time or exits with an error
     */
    static String run(String master, List<String> sparkConf, List<String> args, Path log) throws Exception {
        Path jar;
        try (Stream<Path> s = Files.list(Path.of("target"))) {
            jar = s.filter(p -> p.getFileName().toString().endsWith("-spark.jar")).findFirst().orElseThrow();
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx2g");
        command.addAll(Arrays.asList(jvmOptions().split("\\s+")));
        command.addAll(List.of("-cp", Files.readString(Path.of("target", "spark-classpath.txt")).trim(),
                "org.apache.spark.deploy.SparkSubmit", "--master", master,
                "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.ui.enabled=false",
                "--conf", "spark.executor.extraJavaOptions=" + jvmOptions(),
                "--conf", "spark.executorEnv.OMP_NUM_THREADS=1"));
        command.addAll(sparkConf);
        // An absolute jar path: in cluster deploy mode a worker fetches it.
        command.addAll(List.of("--class", "io.cnnpipeline.pipeline.Cli", jar.toAbsolutePath().toString()));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        Process p = pb.start();
        boolean done = p.waitFor(15, TimeUnit.MINUTES);
        if (!done) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        String out = Files.readString(log);
        assertTrue(done, "spark-submit did not finish\n" + out);
        assertEquals(0, p.exitValue(), out);
        return out;
    }
}
