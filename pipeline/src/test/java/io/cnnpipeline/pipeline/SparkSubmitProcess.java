package io.cnnpipeline.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code submit-scripts/submit.sh} as a user would, with no Spark installation: no {@code SPARK_HOME} and no
 * {@code spark-submit} on the path, so the script falls back to {@code submit-scripts/spark-submit}, which runs
 * Spark's own launcher and SparkSubmit from the Maven build's Spark jars ({@code target/spark-classpath.txt}) — the
 * shaded jar must carry everything else.
 */
final class SparkSubmitProcess {
    private SparkSubmitProcess() {
    }

    /**
     * Runs {@code submit.sh ARGS} with {@code env} added to a clean environment, waits for it (at most 15 minutes)
     * and returns its output.
     *
     * @param env submit.sh's settings, e.g. {@code SPARK_PROFILE}, {@code MASTER}, {@code DEPLOY_MODE},
     *            {@code EXTRA_SPARK_ARGS}
     * @param log where its output goes
     * @throws org.opentest4j.AssertionFailedError if it does not finish in time or exits with an error
     */
    static String run(Map<String, String> env, List<String> args, Path log) throws Exception {
        Process p = start(env, args, log);
        boolean done = p.waitFor(15, TimeUnit.MINUTES);
        if (!done) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        String out = Files.readString(log);
        assertTrue(done, "submit.sh did not finish\n" + out);
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    /** Starts {@code submit.sh ARGS} as {@link #run} does, without waiting for it. */
    static Process start(Map<String, String> env, List<String> args, Path log) throws java.io.IOException {
        List<String> command = new ArrayList<>(List.of("bash",
                Path.of("..", "submit-scripts", "submit.sh").toAbsolutePath().normalize().toString()));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().remove("SPARK_HOME");
        pb.environment().put("PATH", "/usr/local/bin:/usr/bin:/bin");
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().put("CNN_PIPELINE_NO_REBUILD", "1");
        pb.environment().putAll(env);
        return pb.start();
    }
}
