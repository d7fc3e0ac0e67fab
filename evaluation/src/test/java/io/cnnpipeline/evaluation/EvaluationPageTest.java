package io.cnnpipeline.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.core.HadoopFiles;
import io.cnnpipeline.core.HeadlessChromium;
import io.cnnpipeline.dataset.ShardCodec;
import io.cnnpipeline.image.ImageEncoder;
import io.cnnpipeline.image.UInt8Image;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The page from reports made here (no Spark): a small one with its confusion table and mistakes' grid, a large one whose
 * matrix is a picture, both rendered in headless Chromium without a broken image or any other problem. The page from
 * a real run is checked by the pipeline module's ReportPagesEndToEndTest. Screenshots: target/evaluation-pages/.
 */
class EvaluationPageTest {
    private static HeadlessChromium chromium;
    private static final FileSystem FS = HadoopFiles.fs("file:///", new Configuration());
    /** Where the pages' screenshots are kept, to look at. */
    private static final Path SCREENSHOTS = Path.of("target/evaluation-pages");

    @BeforeAll
    static void start() throws Exception {
        Files.createDirectories(SCREENSHOTS);
        chromium = HeadlessChromium.start();
    }

    @AfterAll
    static void stop() {
        chromium.close();
    }

    /** A report of {@code k} classes: class i's images go to i (9 of 10) and i+1 (1 of 10); {@code m} mistakes. */
    private static EvaluationReport report(int k, int m) {
        List<String> classes = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            classes.add("class-" + i);
        }
        long[][] cm = new long[k][k];
        Map<String, Double> perClass = new LinkedHashMap<>();
        for (int i = 0; i < k; i++) {
            cm[i][i] = 9 + i % 3;
            cm[i][(i + 1) % k] = 1 + i % 2;
            perClass.put(classes.get(i), cm[i][i] / (double) (cm[i][i] + cm[i][(i + 1) % k]));
        }
        Map<String, EvaluationReport.ModeResult> modes = new LinkedHashMap<>();
        for (CropPlan.Mode mode : CropPlan.Mode.values()) {
            modes.put(mode.id(), new EvaluationReport.ModeResult(0.12, 0.02, perClass, cm));
        }
        List<EvaluationReport.Mistake> mistakes = new ArrayList<>();
        for (int i = 0; i < m; i++) {
            mistakes.add(new EvaluationReport.Mistake("test/class-" + i + "/" + i + ".png", classes.get(i),
                    classes.get((i + 1) % k), 0.9 - 0.01 * i, 0.05, EvaluationReport.mistakeImage(i)));
        }
        return new EvaluationReport("file:/runs/run-1/model.zip", "file:/data/set", "test", 1234, classes, 28, 0,
                List.of(28, 32), 31, 5, modes, 3.5, "ab12", null, mistakes);
    }

    private static List<byte[]> thumbnails(int m, int side) {
        List<byte[]> out = new ArrayList<>();
        ImageEncoder png = new ImageEncoder(ShardCodec.PNG, 90);
        for (int i = 0; i < m; i++) {
            byte[] pixels = new byte[side * side];
            java.util.Arrays.fill(pixels, (byte) (40 * i));
            out.add(png.encode(new UInt8Image(side, side, 1, pixels)));
        }
        return out;
    }

    private static org.apache.hadoop.fs.Path at(Path dir) {
        return new org.apache.hadoop.fs.Path(dir.toUri());
    }

    @Test
    void aSmallReportHasItsMatrixAsATableAndItsMistakesAsAGrid(@TempDir Path dir) throws Exception {
        // A previous evaluation here kept more mistakes: their files go, the kept ones are rewritten.
        Files.createDirectories(dir.resolve("mistakes"));
        Files.write(dir.resolve("mistakes/004.png"), new byte[] {1});
        EvaluationPage.write(FS, at(dir), report(4, 3), thumbnails(3, 28), "evaluate.mistakes = 3\n", Map.of());
        assertFalse(Files.exists(dir.resolve("mistakes/004.png")));
        try (HeadlessChromium.LoadedPage page = chromium.open(dir.resolve("report.html"), 1100)) {
            page.assertNoProblems();
            page.screenshot(SCREENSHOTS.resolve("small.png"));
            assertEquals(16, ((Number) page.evaluate("document.querySelectorAll('#confusion td:not(.axis)').length"))
                    .intValue());
            assertEquals(3, ((Number) page.evaluate("document.querySelectorAll('#mistakes img').length")).intValue());
            // 28-pixel images are shown 4 times larger, pixels kept square.
            assertEquals(112, ((Number) page.evaluate("document.querySelector('#mistakes img').width")).intValue());
            assertEquals(28, ((Number) page.evaluate("document.querySelector('#mistakes img').naturalWidth"))
                    .intValue());
            // Classes 1 and 3 send 2 images each to the next class, the others 1: the largest first, ties by class.
            assertEquals(List.of("class-1 → class-2: 2", "class-3 → class-0: 2", "class-0 → class-1: 1",
                    "class-2 → class-3: 1"), page.evaluate(
                    "Array.from(document.querySelectorAll('#confusions li')).map(li => li.textContent)"));
            assertEquals(3, ((Number) page.evaluate("document.querySelectorAll('#modes tr').length - 1"))
                    .intValue());
        }
        assertTrue(Files.readString(dir.resolve("report.html")).contains("evaluate.mistakes = 3"));
    }

    @Test
    void aLargeReportHasItsMatrixAsAPicture(@TempDir Path dir) throws Exception {
        EvaluationPage.write(FS, at(dir), report(40, 0), List.of(), "", Map.of("../report.html", "training report"));
        assertTrue(Files.size(dir.resolve("plots/confusion.png")) > 1000);
        try (HeadlessChromium.LoadedPage page = chromium.open(dir.resolve("report.html"), 1100)) {
            page.assertNoProblems();
            page.screenshot(SCREENSHOTS.resolve("large.png"));
            assertEquals(0, ((Number) page.evaluate("document.querySelectorAll('#confusion').length")).intValue());
            assertEquals(3, ((Number) page.evaluate("document.querySelectorAll('img.chart').length")).intValue());
            assertEquals("../report.html", page.evaluate(
                    "Array.from(document.links).map(a => a.getAttribute('href')).find(h => h.startsWith('..'))"));
            assertTrue(((String) page.evaluate("document.body.textContent")).contains("None kept"));
        }
    }

    @Test
    void thumbnailsMustMatchTheMistakes(@TempDir Path dir) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EvaluationPage.write(FS, at(dir), report(4, 3), thumbnails(2, 28), "", Map.of()));
        assertTrue(e.getMessage().contains("3 mistakes but 2 thumbnails"), e.getMessage());
    }
}
