package io.cnnpipeline.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bench commands run their cases on real data and report figures as JSON (no timing assertions). */
class BenchCliTest {
    /** Runs {@code cnn-pipeline bench ARGS}: {exit code, stdout, stderr}. */
    static String[] run(String... args) {
        StringWriter out = new StringWriter();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream oldErr = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = BenchCli.execute(new PrintWriter(out, true), args);
            return new String[] {Integer.toString(code), out.toString(), err.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setErr(oldErr);
        }
    }

    @Test
    void everyBenchPrintsItsHelp() {
        for (String command : List.of("train", "decode", "augment", "infer")) {
            String[] r = run(command, "--help");
            assertEquals("0", r[0], command + ": " + r[2]);
            assertTrue(r[1].contains("Usage: cnn-pipeline bench " + command), r[1]);
        }
        assertEquals("2", run()[0], "no bench named");
    }

    @Test
    void benchAugmentReportsEveryCaseAsJson(@TempDir Path tmp) throws Exception {
        Path json = tmp.resolve("bench.json");
        String[] r = run("augment", "--seconds", "0.05", "--warmup", "0.01", "--output", json.toString());
        assertEquals("0", r[0], r[2]);
        JsonNode doc = new ObjectMapper().readTree(json.toFile());
        StringBuilder names = new StringBuilder();
        for (JsonNode result : doc.get("results")) {
            names.append(result.get("name").asText()).append('\n');
            assertTrue(result.get("images").asLong() > 0, result.toString());
            assertTrue(result.get("imagesPerSecond").asDouble() > 0, result.toString());
        }
        for (String transform : List.of("scale-crop", "random-resized-crop", "flip", "color-jitter", "pca-lighting",
                "affine", "lens-distortion", "random-erasing", "normalize", "ImageNet pipeline")) {
            assertTrue(names.toString().contains(transform), transform + " missing from " + names);
        }
        assertTrue(doc.get("photos").asInt() >= 20, "the real photographs of hugin-data: " + doc.get("photos"));
        assertTrue(r[1].contains("ImageNet pipeline"), r[1]);
    }


    @Test
    void benchTrainMeasuresEachCaseInItsOwnProcess(@TempDir Path tmp) throws Exception {
        Path json = tmp.resolve("train.json");
        String[] r = run("train", "--minibatches", "6", "--warmup-minibatches", "2", "--output",
                json.toString());
        assertEquals("0", r[0], r[2]);
        JsonNode doc = new ObjectMapper().readTree(json.toFile());
        JsonNode results = doc.get("results");
        assertTrue(results.size() >= 3, results.toString());
        assertEquals(1, results.get(0).get("threads").asInt());
        assertEquals(0, results.get(1).get("threads").asInt(), "ND4J's default threading");
        assertEquals(2, results.get(2).get("workers").asInt());
        for (JsonNode c : results) {
            assertEquals(6 * 32, c.get("images").asLong(), c.toString());
            assertTrue(c.get("imagesPerSecond").asDouble() > 0 && c.get("peakRssBytes").asLong() > 0, c.toString());
        }
        assertTrue(doc.get("ratios").has("spark / (workers x single 1-thread)"), doc.toString());
        assertEquals("2", run("train", "--network", "resnet-1001")[0]);
    }


    @Test
    void benchInferRunsDl4jAndOnnxruntimeOnTheSameNetwork(@TempDir Path tmp) throws Exception {
        Path json = tmp.resolve("infer.json");
        String[] r = run("infer", "--networks", "lenet@28", "--seconds", "0.2", "--warmup", "0.05", "--output",
                json.toString());
        assertEquals("0", r[0], r[2]);
        JsonNode doc = new ObjectMapper().readTree(json.toFile());
        JsonNode results = doc.get("results");
        assertEquals(2, results.size(), results.toString());
        assertEquals("dl4j", results.get(0).get("runtime").asText());
        assertEquals("onnxruntime", results.get(1).get("runtime").asText());
        for (JsonNode c : results) {
            assertEquals("lenet", c.get("network").asText());
            assertTrue(c.get("images").asLong() >= 32 && c.get("imagesPerSecond").asDouble() > 0, c.toString());
        }
        assertTrue(doc.get("ratios").get("lenet@28 onnxruntime / dl4j images/s").asDouble() > 0, doc.toString());
        assertEquals("2", run("infer", "--networks", "lenet")[0], "a case without its input size");
    }

    @Test
    void benchDecodeReportsThePerStepTimesOfRealPhotos(@TempDir Path tmp) throws Exception {
        Path json = tmp.resolve("decode.json");
        String[] r = run("decode", "--seconds", "0.2", "--warmup", "0.05", "--output", json.toString());
        assertEquals("0", r[0], r[2]);
        JsonNode result = new ObjectMapper().readTree(json.toFile()).get("results").get(0);
        assertTrue(result.get("files").asInt() >= 20, result.toString());
        assertTrue(result.get("images").asLong() > 0, result.toString());
        for (String step : List.of("decodeMicros", "resizeMicros", "encodeMicros")) {
            assertTrue(result.get(step).asDouble() > 0, step + " in " + result);
        }
        String[] none = run("decode", "--photos", tmp.toString(), "--seconds", "0.1");
        assertEquals("2", none[0]);
        assertTrue(none[2].contains("Cannot use --photos: no JPEG"), none[2]);
    }
    /**
     * {@code network} sizes the network for the dataset at train.dataset when it has been written (its manifest's
     * channels, its classes.json), else for preprocess.channels and 1000 classes; --channels / --classes win.
     */
}
