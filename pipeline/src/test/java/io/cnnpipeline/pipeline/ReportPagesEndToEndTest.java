package io.cnnpipeline.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.core.HeadlessChromium;
import io.cnnpipeline.core.TestSpark;
import io.cnnpipeline.dataset.DatasetDirectory;
import io.cnnpipeline.dataset.ShardRecord;
import io.cnnpipeline.dataset.ShardSchema;
import io.cnnpipeline.evaluation.CropPlan;
import io.cnnpipeline.evaluation.EvaluationReport;
import io.cnnpipeline.image.UInt8Image;
import io.cnnpipeline.model.TrainedModel;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run's two pages as a reader sees them: a real run (Fashion-MNIST subset from Debian's dataset-fashion-mnist,
 * preprocess → one epoch of LeNet on 2 workers → evaluate) whose {@code report.html} and {@code evaluation/report.html}
 * are opened in Debian's headless Chromium, rendered to PNG (kept in {@code target/report-pages/}), and must load
 * without a broken image, failed load or script error; the evaluation page's numbers are checked against the job's
 * report and its mistakes against the test shards and the model itself. With two of its pictures deleted, the checker
 * reports both.
 */
class ReportPagesEndToEndTest {
    private static final int MISTAKES = 12;
    private static final int TEST_IMAGES = 300;
    private static final Path SCREENSHOTS = Path.of("target/report-pages");

    @Test
    void trainingAndEvaluationPagesRenderWithEveryPictureAndTheJobsNumbers(@TempDir Path tmp) throws Exception {
        PipelineConfig config = PipelineConfig.load(PipelineConfig.DEMO_PROFILE, List.of(), List.of(
                "demo.images-dir=\"" + tmp.resolve("images") + "\"",
                "demo.train-limit=1500", "demo.test-limit=" + TEST_IMAGES,
                "preprocess.output=\"" + tmp.resolve("dataset") + "\"",
                "train.runs-dir=\"" + tmp.resolve("runs") + "\"", "train.run-id=fashion-mnist-subset",
                "train.epochs=1", "train.train-accuracy-sample=300", "evaluate.mistakes=" + MISTAKES));
        Demo.prepareImages(config);
        Pipeline.RunResult r = Pipeline.run(TestSpark.get(), config);
        EvaluationReport report = r.evaluate();
        Path run = tmp.resolve("runs/fashion-mnist-subset");
        Path evaluation = run.resolve("evaluation");
        Files.createDirectories(SCREENSHOTS);

        try (HeadlessChromium chromium = HeadlessChromium.start()) {
            try (HeadlessChromium.LoadedPage page = chromium.open(run.resolve("report.html"), 1100)) {
                page.screenshot(SCREENSHOTS.resolve("training-report.png"));
                page.assertNoProblems();
                assertEquals(5, number(page, "document.images.length"));
                assertEquals(4, number(page, "Array.from(document.images).filter(i => i.naturalWidth === 640)"
                        + ".length"), "the four training plots, 640 pixels wide");
                assertEquals(1, number(page, "Array.from(document.images).filter(i => i.naturalWidth === 960)"
                        + ".length"), "the loss per averaging round, 960 pixels wide");
                assertEquals(1, number(page, "Array.from(document.links).filter(a => a.getAttribute('href') === "
                        + "'evaluation/report.html').length"), "the link to the evaluation page");
            }

            try (HeadlessChromium.LoadedPage page = chromium.open(evaluation.resolve("report.html"), 1100)) {
                byte[] png = page.screenshot(SCREENSHOTS.resolve("evaluation-report.png"));
                page.assertNoProblems();
                BufferedImage shot = ImageIO.read(new java.io.ByteArrayInputStream(png));
                assertEquals(1100, shot.getWidth());

                // The two charts, as drawn (560 and 1000 pixels wide).
                assertEquals(List.of(560, 1000), page.evaluate(
                        "Array.from(document.querySelectorAll('img.chart')).map(i => i.naturalWidth)"));

                // Top-1 per mode as the job computed it.
                @SuppressWarnings("unchecked")
                List<List<String>> modes = (List<List<String>>) page.evaluate("Array.from(document.querySelectorAll("
                        + "'#modes tr')).slice(1).map(tr => Array.from(tr.cells).map(c => c.textContent))");
                assertEquals(3, modes.size());
                for (List<String> row : modes) {
                    double top1 = 1 - report.modes().get(row.get(0)).top1Error();
                    assertEquals(String.format(java.util.Locale.ROOT, "%.2f%%", 100 * top1), row.get(1), row.get(0));
                }

                // The confusion matrix: classes × classes cells holding the job's multi-scale counts.
                long[][] confusion = report.modes().get(EvaluationReport.DETAIL_MODE.id()).confusion();
                @SuppressWarnings("unchecked")
                List<List<String>> cells = (List<List<String>>) page.evaluate("Array.from(document.querySelectorAll("
                        + "'#confusion tr')).slice(1).map(tr => Array.from(tr.querySelectorAll('td'))"
                        + ".map(td => td.textContent))");
                assertEquals(10, cells.size());
                long total = 0;
                for (int t = 0; t < 10; t++) {
                    assertEquals(10, cells.get(t).size(), "row " + t);
                    for (int p = 0; p < 10; p++) {
                        assertEquals(confusion[t][p], Long.parseLong(cells.get(t).get(p)), t + " -> " + p);
                        total += confusion[t][p];
                    }
                }
                assertEquals(TEST_IMAGES, total);
                assertTrue(number(page, "document.querySelectorAll('#confusions li').length") > 0);

                // The mistakes' grid: N images, each a real mistake of this model on the test shards.
                @SuppressWarnings("unchecked")
                List<Map<String, Object>> grid = (List<Map<String, Object>>) page.evaluate("Array.from("
                        + "document.querySelectorAll('#mistakes figure')).map(f => ({key: f.dataset.key, "
                        + "shownTrue: f.querySelector('.t').textContent, shownPredicted: f.querySelector('.p')"
                        + ".textContent, caption: f.querySelector('figcaption').textContent, "
                        + "width: f.querySelector('img').naturalWidth, src: f.querySelector('img')"
                        + ".getAttribute('src')}))");
                assertEquals(MISTAKES, grid.size());
                checkMistakes(grid, report, r.preprocess().output(), run, evaluation);

                // Every link and picture is relative and its file is there.
                @SuppressWarnings("unchecked")
                List<String> refs = (List<String>) page.evaluate("Array.from(document.querySelectorAll("
                        + "'a[href], img[src]')).map(e => e.getAttribute('href') || e.getAttribute('src'))");
                assertTrue(refs.contains("../report.html"), refs.toString());
                for (String ref : refs) {
                    assertFalse(ref.contains(":") || ref.startsWith("/"), "relative: " + ref);
                    assertTrue(Files.isRegularFile(evaluation.resolve(ref)), ref);
                }
                String text = (String) page.evaluate("document.body.textContent");
                assertTrue(text.contains(report.datasetContentSha256()), "the dataset's content hash is shown");
                assertTrue(text.contains("evaluate.mistakes = " + MISTAKES), "the configuration is shown");
            }

            // The same page with two of its pictures gone: the checker names both.
            Files.delete(evaluation.resolve("mistakes/001.png"));
            Files.delete(evaluation.resolve("plots/per-class-accuracy.png"));
            try (HeadlessChromium.LoadedPage page = chromium.open(evaluation.resolve("report.html"), 1100)) {
                List<String> problems = page.problems();
                assertTrue(problems.contains("broken image: mistakes/001.png"), problems.toString());
                assertTrue(problems.contains("broken image: plots/per-class-accuracy.png"), problems.toString());
            }
        }
    }

    private static void checkMistakes(List<Map<String, Object>> grid, EvaluationReport report, String datasetUri,
                                      Path run, Path evaluation) throws Exception {
        DatasetDirectory dataset = DatasetDirectory.open(datasetUri, TestSpark.get().sparkContext()
                .hadoopConfiguration());
        List<String> keys = grid.stream().map(g -> (String) g.get("key")).toList();
        Map<String, ShardRecord> records = new HashMap<>();
        for (Row row : dataset.shards(TestSpark.get(), "test")
                .where(functions.col(ShardSchema.KEY.name()).isin(keys.toArray())).collectAsList()) {
            ShardRecord record = ShardRecord.fromRow(row);
            records.put(record.key(), record);
        }
        assertEquals(MISTAKES, records.size(), "every mistake is a test record: " + keys);
        TrainedModel model = TrainedModel.load(run.toString());
        CropPlan plan = new CropPlan(28, report.centreScale(), report.scales());
        int[] range = plan.range(EvaluationReport.DETAIL_MODE);
        double previous = 1;
        for (int i = 0; i < grid.size(); i++) {
            Map<String, Object> g = grid.get(i);
            ShardRecord record = records.get((String) g.get("key"));
            String label = model.classes().get(record.label());
            assertEquals(label, g.get("shownTrue"), "the true class shown is the record's");
            assertNotEquals(label, g.get("shownPredicted"));
            assertEquals(28, ((Number) g.get("width")).intValue());
            // The network's multi-scale average on this record's views gives the class and probability shown.
            List<UInt8Image> views = plan.views(record.image()).subList(range[0], range[1]);
            double[] mean = new double[model.classes().size()];
            for (TrainedModel.Prediction p : model.predict(views)) {
                for (int k = 0; k < mean.length; k++) {
                    mean[k] += p.probabilities()[k] / views.size();
                }
            }
            int best = 0;
            for (int k = 1; k < mean.length; k++) {
                best = mean[k] > mean[best] ? k : best;
            }
            assertNotEquals(record.label(), best, "a mistake: " + g);
            assertEquals(model.classes().get(best), g.get("shownPredicted"), g.toString());
            EvaluationReport.Mistake m = report.mistakes().get(i);
            assertEquals(mean[best], m.probability(), 1e-4, g.toString());
            assertTrue(m.probability() <= previous, "most confident first");
            previous = m.probability();
            assertTrue(((String) g.get("caption")).contains(String.format(java.util.Locale.ROOT, "%.1f%%",
                    100 * m.probability())), g.toString());
            // The picture is the stored image.
            BufferedImage thumb = ImageIO.read(evaluation.resolve((String) g.get("src")).toFile());
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    assertEquals(record.image().get(x, y, 0), thumb.getRaster().getSample(x, y, 0));
                }
            }
        }
    }

    private static int number(HeadlessChromium.LoadedPage page, String js) {
        return ((Number) page.evaluate(js)).intValue();
    }
}
