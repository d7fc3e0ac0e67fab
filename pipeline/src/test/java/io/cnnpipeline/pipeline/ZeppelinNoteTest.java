package io.cnnpipeline.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * notebooks/03-train-and-evaluate.zpln, the Zeppelin note of notebook 03: well-formed JSON of %md and %spark
 * paragraphs, the same pipeline calls as the Jupyter notebook, and Scala that compiles against the project's jars
 * (with {@code spark} standing for the session Zeppelin provides).
 */
class ZeppelinNoteTest {
    private static final Pattern CALL = Pattern.compile(
            "\\b(Pipeline|PipelineConfig|Demo|EvaluationPlots|TrainedModel)\\.([a-z]\\w*|[A-Z_]+\\b)|\\.(withRunId|predict|decode)\\(");

    @Test
    void noteHasTheNotebooksCallsAndCompiles(@TempDir Path out) throws Exception {
        JsonNode note = new ObjectMapper().readTree(Path.of("../notebooks/03-train-and-evaluate.zpln").toFile());
        assertEquals("spark", note.get("defaultInterpreterGroup").asText());
        StringBuilder paragraphs = new StringBuilder();
        int spark = 0;
        for (JsonNode p : note.get("paragraphs")) {
            String text = p.get("text").asText();
            assertTrue(text.startsWith("%md\n") || text.startsWith("%spark\n"), text);
            if (text.startsWith("%spark\n")) {
                spark++;
                paragraphs.append(text.substring("%spark\n".length())).append('\n');
            }
        }
        assertTrue(spark >= 4, "setup, preprocess, train, evaluate, predict paragraphs");

        StringBuilder code = new StringBuilder();
        for (JsonNode cell : new ObjectMapper().readTree(Path.of("../notebooks/03-train-and-evaluate.ipynb").toFile())
                .get("cells")) {
            if (cell.get("cell_type").asText().equals("code")) {
                cell.get("source").forEach(line -> code.append(line.asText()));
            }
        }
        Set<String> notebookCalls = calls(code.toString());
        // Zeppelin creates the session; the notebook asks the pipeline for one.
        assertTrue(notebookCalls.remove("Pipeline.sparkSession"));
        assertTrue(notebookCalls.size() >= 8, notebookCalls.toString());
        assertEquals(notebookCalls, calls(paragraphs.toString()), "the note makes the notebook's pipeline calls");

        Path source = out.resolve("ZeppelinNote.scala");
        Files.writeString(source, "object ZeppelinNote {\n  def run(spark: org.apache.spark.sql.SparkSession): Unit = {\n"
                + paragraphs + "\n  }\n}\n");
        Files.createDirectories(out.resolve("classes"));
        boolean ok = scala.tools.nsc.Main.process(new String[] {"-usejavacp", "-nowarn", "-d",
                out.resolve("classes").toString(), source.toString()});
        assertTrue(ok, "the note's Scala does not compile (errors above):\n" + paragraphs);
        assertTrue(Files.exists(out.resolve("classes/ZeppelinNote.class")));
    }

    private static Set<String> calls(String code) {
        Set<String> out = new TreeSet<>();
        Matcher m = CALL.matcher(code);
        while (m.find()) {
            out.add(m.group(1) != null ? m.group(1) + "." + m.group(2) : "." + m.group(3));
        }
        return out;
    }
}
