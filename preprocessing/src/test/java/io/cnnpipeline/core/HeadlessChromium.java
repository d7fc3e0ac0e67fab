package io.cnnpipeline.core;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.PlaywrightException;
import com.microsoft.playwright.options.LoadState;
import com.microsoft.playwright.options.WaitUntilState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Debian's headless Chromium ({@code apt-get install chromium}, {@code /usr/bin/chromium}) driven by Playwright for
 * Java, for tests of the pages the pipeline writes: open a local HTML file, collect everything that went wrong while it
 * loaded, take a full-page screenshot, query the DOM. Playwright talks to the browser over the DevTools protocol; it
 * is told not to download a browser of its own, so this works offline.
 *
 * <p>A page's problems are: a JavaScript exception, a console error (Chromium logs every failed resource load there),
 * a failed request (a missing file: {@code net::ERR_FILE_NOT_FOUND}), a response of status 400 or more, a request
 * that would leave the machine (anything but {@code file:}, {@code data:}, {@code blob:} and {@code about:}; it is
 * aborted, never sent), a crash, and, once loaded, every {@code <img>} that did not decode ({@code naturalWidth} 0:
 * a missing or undecodable file, an empty or absent {@code src}), named by its {@code src} attribute.
 *
 * <p>One browser per instance, started with a fresh profile in a temporary directory that {@link #close()} deletes.
 * Not thread-safe.
 */
public final class HeadlessChromium implements AutoCloseable {
    /** The browser binary of Debian's {@code chromium} package. */
    public static final Path EXECUTABLE = Path.of("/usr/bin/chromium");
    /**
     * Chromium's flags for a quiet headless run in a container: no sandbox (root), no GPU, no QUIC, and none of the
     * background requests (component updates, sync, first-run pages) a desktop profile makes. Playwright adds
     * {@code --headless} and passes the profile directory as {@code --user-data-dir}.
     */
    static final List<String> FLAGS = List.of("--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync");
    private static final String BROKEN_IMAGES = "() => Array.from(document.images)"
            + ".filter(i => !i.complete || i.naturalWidth === 0)"
            + ".map(i => i.getAttribute('src') === null ? '(no src)' : i.getAttribute('src') || '(empty src)')";

    private final Path profile;
    private final Playwright playwright;
    private final BrowserContext browser;

    private HeadlessChromium(Path profile, Playwright playwright, BrowserContext browser) {
        this.profile = profile;
        this.playwright = playwright;
        this.browser = browser;
    }

    /**
     * Starts the browser.
     *
     * @throws IllegalStateException if {@link #EXECUTABLE} is missing (with the command that installs it) or does not
     *                               start
     */
    public static HeadlessChromium start() {
        if (!Files.isExecutable(EXECUTABLE)) {
            throw new IllegalStateException("Cannot start headless Chromium: " + EXECUTABLE + " is missing; install "
                    + "Debian's package with apt-get install chromium (.ci/run installs it)");
        }
        Path profile;
        try {
            profile = Files.createTempDirectory("chromium-profile");
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create a Chromium profile directory", e);
        }
        Playwright playwright = null;
        try {
            playwright = Playwright.create(new Playwright.CreateOptions()
                    .setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
            BrowserContext browser = playwright.chromium().launchPersistentContext(profile,
                    new BrowserType.LaunchPersistentContextOptions().setExecutablePath(EXECUTABLE).setHeadless(true)
                            .setArgs(FLAGS).setDeviceScaleFactor(1));
            return new HeadlessChromium(profile, playwright, browser);
        } catch (PlaywrightException e) {
            if (playwright != null) {
                playwright.close();
            }
            delete(profile);
            throw new IllegalStateException("Cannot start headless Chromium (" + EXECUTABLE + "): " + e.getMessage(),
                    e);
        }
    }

    /** The browser's version, e.g. {@code 156.0.8078.114}. */
    public String version() {
        return browser.browser() == null ? "unknown" : browser.browser().version();
    }

    /**
     * Opens a local page in a new tab {@code widthPixels} wide and waits until it has loaded (images included) and the
     * network is idle.
     *
     * @throws IllegalArgumentException if {@code html} is not a file
     */
    public LoadedPage open(Path html, int widthPixels) {
        if (!Files.isRegularFile(html)) {
            throw new IllegalArgumentException("Cannot open " + html + ": not a file");
        }
        Page page = browser.newPage();
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        page.setViewportSize(widthPixels, 900);
        page.onPageError(error -> problems.add("JavaScript exception: " + error));
        page.onConsoleMessage(m -> {
            if ("error".equals(m.type())) {
                problems.add("console error: " + m.text() + (m.location() == null ? "" : " at " + m.location()));
            }
        });
        page.onRequestFailed(r -> problems.add("failed to load " + r.url() + ": " + r.failure()));
        page.onResponse(r -> {
            if (r.status() >= 400) {
                problems.add("HTTP " + r.status() + " for " + r.url());
            }
        });
        page.onCrash(p -> problems.add("the page crashed"));
        page.route(url -> !(url.startsWith("file:") || url.startsWith("data:") || url.startsWith("blob:")
                || url.startsWith("about:")), route -> {
                    problems.add("request leaving the machine (aborted): " + route.request().url());
                    route.abort();
                });
        page.navigate(html.toAbsolutePath().toUri().toString(),
                new Page.NavigateOptions().setWaitUntil(WaitUntilState.LOAD));
        page.waitForLoadState(LoadState.NETWORKIDLE);
        @SuppressWarnings("unchecked")
        List<String> broken = (List<String>) page.evaluate(BROKEN_IMAGES);
        for (String src : broken) {
            problems.add("broken image: " + src);
        }
        return new LoadedPage(page, problems);
    }

    /** A loaded tab: its problems, a screenshot, the DOM. */
    public static final class LoadedPage implements AutoCloseable {
        private final Page page;
        private final List<String> problems;

        private LoadedPage(Page page, List<String> problems) {
            this.page = page;
            this.problems = problems;
        }

        /** What went wrong while the page loaded (see {@link HeadlessChromium}), in order; empty for a sound page. */
        public List<String> problems() {
            synchronized (problems) {
                return List.copyOf(problems);
            }
        }

        /** @throws AssertionError listing the problems, if there are any */
        public LoadedPage assertNoProblems() {
            List<String> all = problems();
            if (!all.isEmpty()) {
                throw new AssertionError(page.url() + " has " + all.size() + " problem(s):\n  "
                        + String.join("\n  ", all));
            }
            return this;
        }

        /** Writes a PNG of the whole page (not only the viewport) to {@code png} and returns its bytes. */
        public byte[] screenshot(Path png) {
            return page.screenshot(new Page.ScreenshotOptions().setPath(png).setFullPage(true));
        }

        /** Evaluates a JavaScript expression or function in the page (Playwright's {@code Page.evaluate}). */
        public Object evaluate(String expression) {
            return page.evaluate(expression);
        }

        /** The Playwright page, for further queries. */
        public Page page() {
            return page;
        }

        @Override
        public void close() {
            page.close();
        }
    }

    @Override
    public void close() {
        try {
            browser.close();
        } finally {
            playwright.close();
            delete(profile);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary profile; best effort
        }
    }
}
