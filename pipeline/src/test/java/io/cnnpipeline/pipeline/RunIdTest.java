package io.cnnpipeline.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cnnpipeline.core.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stages as separate commands: {@code train} then {@code evaluate} without a run-id find each other through the
 * runs directory's {@code latest} pointer; expected failures print one line and exit 1 (a stack trace only with
 * {@code --verbose}); a Spark session the caller started (a notebook's) is used and left running.
 */
class RunIdTest {
    private static String[] cli(List<String> common, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        for (String s : common) {
            all.add("--set");
            all.add(s);
        }
        return CliTest.run(all.toArray(String[]::new));
    }

    @Test
    void trainThenEvaluateAsTwoCommandsFindEachOther(@TempDir Path tmp) throws Exception {
        SparkSession spark = TestSpark.get();
        Path runs = tmp.resolve("runs");
        List<String> common = List.of("demo.images-dir=\"" + tmp.resolve("images") + "\"", "demo.train-limit=600",
                "demo.test-limit=100", "preprocess.output=\"" + tmp.resolve("dataset") + "\"",
                "train.dataset=\"" + tmp.resolve("dataset") + "\"", "evaluate.dataset=\"" + tmp.resolve("dataset")
                        + "\"", "train.runs-dir=\"" + runs + "\"", "train.epochs=1", "train.train-accuracy-sample=100");
        Demo.prepareImages(PipelineConfig.load(PipelineConfig.DEMO_PROFILE, List.of(), common));
        String demo = "../conf/fashion-mnist.conf";

        String[] pre = cli(common, "preprocess", "--config", demo);
        assertEquals("0", pre[0], pre[2]);
        assertFalse(spark.sparkContext().isStopped(), "the caller's session is left running");

        String[] early = cli(common, "evaluate", "--config", demo);
        assertEquals("1", early[0]);
        assertTrue(early[2].contains("error: Cannot evaluate: no train.run-id (--run-id) or evaluate.run-dir was given "
                + "and " + runs + " has no latest run"), early[2]);
        assertFalse(early[2].contains("\tat "), "no stack trace without --verbose: " + early[2]);

        String[] train = cli(common, "train", "--config", demo);
        assertEquals("0", train[0], train[2]);
        String runId = Files.readString(runs.resolve("latest")).trim();
        assertTrue(runId.startsWith("run-"), runId);
        assertTrue(train[1].contains("train: last epoch 1/1 "), "the final line names the configured epochs: " + train[1]);
        assertEquals(1, train[1].lines().filter(l -> l.contains("epoch 1/")).count(), train[1]);
        assertTrue(train[1].contains("run " + runId + ";"), train[1]);

        Locale before = Locale.getDefault();
        Locale.setDefault(Locale.GERMANY);
        String[] eval;
        try {
            eval = cli(common, "evaluate", "--config", demo);
        } finally {
            Locale.setDefault(before);
        }
        assertEquals("0", eval[0], eval[2]);
        Path report = runs.resolve(runId).resolve("evaluation/report.json");
        JsonNode json = new ObjectMapper().readTree(report.toFile());
        assertTrue(json.get("model").asText().endsWith(runId + "/model.zip"), json.toString());
        assertEquals(64, json.get("datasetContentSha256").asText().length(), json.toString());
        assertEquals(spark.sparkContext().applicationId(), json.get("provenance").get("applicationId").asText());
        assertTrue(json.get("provenance").get("gitCommit").asText().length() > 0, json.toString());
        assertFalse(eval[1].matches("(?s).*\\d,\\d\\d%.*"), "Locale.ROOT numbers under a German locale: " + eval[1]);
        assertTrue(eval[1].contains("top confusions"), eval[1]);

        // The demo profile holds out a validation split, so the run has a best model to evaluate.
        String[] best = cli(common, "evaluate", "--config", demo, "--set", "evaluate.model=best", "--set",
                "evaluate.output=\"" + tmp.resolve("best-eval") + "\"");
        assertEquals("0", best[0], best[2]);
        assertTrue(new ObjectMapper().readTree(tmp.resolve("best-eval/report.json").toFile()).get("model").asText()
                .endsWith(runId + "/best-model.zip"));

        String[] again = cli(common, "train", "--config", demo, "--run-id", runId);
        assertEquals("1", again[0]);
        assertTrue(again[2].startsWith("error: Cannot create run directory ") && again[2].contains(runId)
                && again[2].lines().count() == 1, again[2]);
        String[] verbose = cli(common, "train", "--config", demo, "--run-id", runId, "--verbose");
        assertEquals("1", verbose[0]);
        assertTrue(verbose[2].contains("\tat io.cnnpipeline.training.TrainingJob.run"), verbose[2]);
        assertFalse(spark.sparkContext().isStopped());
    }
}
