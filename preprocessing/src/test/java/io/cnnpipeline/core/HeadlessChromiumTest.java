package io.cnnpipeline.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The page checker catches what a reader would see broken, and passes a sound page. */
class HeadlessChromiumTest {
    private static HeadlessChromium chromium;
    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        chromium = HeadlessChromium.start();
        BufferedImage red = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 30; y++) {
            for (int x = 0; x < 40; x++) {
                red.setRGB(x, y, 0xd62728);
            }
        }
        Files.createDirectories(dir.resolve("img"));
        ImageIO.write(red, "png", dir.resolve("img/red.png").toFile());
        Files.write(dir.resolve("img/not-a-png.png"), "plain text".getBytes());
    }

    @AfterAll
    static void stop() {
        chromium.close();
    }

    private static Path page(String name, String body) throws Exception {
        return Files.writeString(dir.resolve(name), "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>t"
                + "</title></head><body>" + body + "</body></html>");
    }

    @Test
    void aSoundPageHasNoProblemsAndItsScreenshotShowsIt() throws Exception {
        try (HeadlessChromium.LoadedPage p = chromium.open(page("ok.html",
                "<h1>fine</h1><img id=\"i\" src=\"img/red.png\">"), 400)) {
            p.assertNoProblems();
            assertEquals(40, ((Number) p.evaluate("document.getElementById('i').naturalWidth")).intValue());
            byte[] png = p.screenshot(dir.resolve("ok.png"));
            BufferedImage shot = ImageIO.read(new ByteArrayInputStream(png));
            assertEquals(400, shot.getWidth());
            int reds = 0;
            for (int y = 0; y < shot.getHeight(); y++) {
                for (int x = 0; x < shot.getWidth(); x++) {
                    reds += (shot.getRGB(x, y) & 0xffffff) == 0xd62728 ? 1 : 0;
                }
            }
            assertEquals(40 * 30, reds, "the image's pixels are on the screenshot");
            assertTrue(Files.size(dir.resolve("ok.png")) > 0);
        }
    }

    @Test
    void aMissingImageIsCaught() throws Exception {
        try (HeadlessChromium.LoadedPage p = chromium.open(page("missing.html",
                "<p>text</p><img src=\"img/missing.png\" alt=\"gone\">"), 400)) {
            List<String> problems = p.problems();
            assertTrue(problems.contains("broken image: img/missing.png"), problems.toString());
            assertTrue(problems.stream().anyMatch(s -> s.startsWith("failed to load ")
                    && s.contains("img/missing.png") && s.contains("ERR_FILE_NOT_FOUND")), problems.toString());
            AssertionError e = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
                    p::assertNoProblems);
            assertTrue(e.getMessage().contains("broken image: img/missing.png"), e.getMessage());
        }
    }

    @Test
    void anImageThatDoesNotDecodeAndAnEmptyOrAbsentSrcAreCaught() throws Exception {
        try (HeadlessChromium.LoadedPage p = chromium.open(page("undecodable.html",
                "<img src=\"img/not-a-png.png\"><img src=\"\"><img alt=\"no source\">"), 400)) {
            List<String> problems = p.problems();
            assertTrue(problems.contains("broken image: img/not-a-png.png"), problems.toString());
            assertTrue(problems.contains("broken image: (empty src)"), problems.toString());
            assertTrue(problems.contains("broken image: (no src)"), problems.toString());
            assertEquals(3, problems.size(), problems.toString());
        }
    }

    @Test
    void aJavaScriptExceptionAndAConsoleErrorAreCaught() throws Exception {
        try (HeadlessChromium.LoadedPage p = chromium.open(page("script.html",
                "<script>console.error('told'); null.x;</script>"), 400)) {
            List<String> problems = p.problems();
            assertTrue(problems.stream().anyMatch(s -> s.startsWith("JavaScript exception: TypeError")),
                    problems.toString());
            assertTrue(problems.stream().anyMatch(s -> s.startsWith("console error: told")), problems.toString());
        }
    }

    @Test
    void aRequestLeavingTheMachineIsCaughtAndNotSent() throws Exception {
        try (HeadlessChromium.LoadedPage p = chromium.open(page("external.html",
                "<link rel=\"stylesheet\" href=\"https://cdn.example.org/style.css\">"
                        + "<img src=\"http://203.0.113.7/chart.png\">"), 400)) {
            List<String> problems = p.problems();
            assertTrue(problems.contains("request leaving the machine (aborted): https://cdn.example.org/style.css"),
                    problems.toString());
            assertTrue(problems.contains("request leaving the machine (aborted): http://203.0.113.7/chart.png"),
                    problems.toString());
            assertTrue(problems.contains("broken image: http://203.0.113.7/chart.png"), problems.toString());
        }
    }
}
