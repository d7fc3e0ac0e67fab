package io.cnnpipeline.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cnnpipeline.core.Json;
import io.cnnpipeline.core.TestImages;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar under spark-submit: {@code submit-scripts/submit.sh} with the {@code local} Spark profile (local[2],
 * Kryo with ND4J's registrator) runs {@code cnn-pipeline run} from the jar through Spark's own launcher and
 * SparkSubmit, with only what a Spark installation provides on their class path.
 */
class SparkSubmitIT {
    @Test
    void theShadedJarRunsAllStagesUnderSparkSubmit(@TempDir Path tmp) throws Exception {
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

        String log = SparkSubmitProcess.run(Map.of("SPARK_PROFILE", "local", "DRIVER_MEMORY", "2g",
                        "EXTRA_SPARK_ARGS", "--conf spark.ui.enabled=false"),
                List.of("run", "--config", conf.toString()), tmp.resolve("spark-submit.log"));
        assertTrue(log.contains("preprocess: inputs 60 = written 60 + quarantined 0"), log);
        JsonNode report = Json.MAPPER.readTree(new File(tmp.resolve("runs/submitted/evaluation/report.json").toString()));
        assertEquals(12, report.get("images").asInt());
        assertEquals(31, report.get("viewsPerImage").asInt());
    }
}
