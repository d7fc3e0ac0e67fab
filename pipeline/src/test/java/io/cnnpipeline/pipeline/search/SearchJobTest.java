package io.cnnpipeline.pipeline.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.core.HeadlessChromium;
import io.cnnpipeline.core.Json;
import io.cnnpipeline.core.StageFailedException;
import io.cnnpipeline.core.TestSpark;
import io.cnnpipeline.dataset.ShardCodec;
import io.cnnpipeline.image.ImageEncoder;
import io.cnnpipeline.image.UInt8Image;
import io.cnnpipeline.pipeline.Demo;
import io.cnnpipeline.pipeline.FashionMnist;
import io.cnnpipeline.pipeline.Pipeline;
import io.cnnpipeline.pipeline.PipelineConfig;
import io.cnnpipeline.training.EpochMetrics;
import io.cnnpipeline.training.TrainResult;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cnn-pipeline search} on real Spark and real Fashion-MNIST images: an ASHA search's leaderboard, page and
 * winner, a search killed with SIGKILL in the middle of a trial and started again, and the winner's best.conf trained
 * again by {@code train}.
 */
class SearchJobTest {
    private static final SparkSession SPARK = TestSpark.get();
    @TempDir
    static Path tmp;
    private static final int TRAIN_PER_CLASS = 150;

    @BeforeAll
    static void dataset() throws Exception {
        Path idx = Demo.ensureFashionMnist(PipelineConfig.defaults(PipelineConfig.DEMO_PROFILE).demoFashionMnistDir());
        write(FashionMnist.read(idx, "train", 0), TRAIN_PER_CLASS, tmp.resolve("images/train"));
        write(FashionMnist.read(idx, "t10k", 0), 10, tmp.resolve("images/test"));
        Pipeline.preprocess(SPARK, base(tmp.resolve("unused")));
    }

    private static void write(FashionMnist.Split split, int perClass, Path root) throws Exception {
        ImageEncoder png = new ImageEncoder(ShardCodec.PNG, 90);
        int[] count = new int[10];
        for (int i = 0; i < split.size(); i++) {
            int label = split.labels()[i];
            if (count[label]++ >= perClass) {
                continue;
            }
            Path dir = Files.createDirectories(root.resolve(FashionMnist.CLASSES.get(label)));
            Files.write(dir.resolve(String.format("%05d.png", i)),
                    png.encode(new UInt8Image(split.cols(), split.rows(), 1, split.images()[i])));
        }
    }

    /** The settings of the searches: the demo profile on the small dataset, an ASHA search of 6 trials, rungs 1, 3. */
    private static List<String> sets(Path searchDir) {
        return List.of(
                "preprocess.inputs.train=\"" + tmp.resolve("images/train") + "\"",
                "preprocess.inputs.test=\"" + tmp.resolve("images/test") + "\"",
                "preprocess.output=\"" + tmp.resolve("dataset") + "\"",
                "preprocess.validation-fraction=0.2",
                "train.train-accuracy-sample=0", "train.workers=2", "train.batch-size-per-worker=16",
                "search.dir=\"" + searchDir + "\"", "search.method=asha", "search.trials=6", "search.min-epochs=1",
                "search.max-epochs=3", "search.eta=3",
                "search.space=[{key = train.learning-rate, distribution = log-uniform, min = 0.003, max = 0.2}, "
                        + "{key = train.momentum, distribution = uniform, min = 0.8, max = 0.95}, "
                        + "{key = \"train.transform-defaults.pad-crop.padding\", distribution = integer, min = 0, "
                        + "max = 3}]",
                "train.augmentation=[{type = pad-crop}, {type = flip}]");
    }

    private static PipelineConfig base(Path searchDir) {
        return PipelineConfig.load(PipelineConfig.DEMO_PROFILE, List.of(), sets(searchDir));
    }

    private static SearchState.State state(Path dir) throws Exception {
        return Json.fromBytes(Files.readAllBytes(dir.resolve(SearchJob.STATE)), SearchState.State.class);
    }

    private static List<EpochMetrics> metrics(Path dir, String runId) throws Exception {
        List<EpochMetrics> out = new ArrayList<>();
        Path f = dir.resolve(SearchJob.TRIALS).resolve(runId).resolve("metrics.jsonl");
        if (Files.exists(f)) {
            for (String line : Files.readAllLines(f)) {
                if (!line.isBlank()) {
                    out.add(Json.fromBytes(line.getBytes(StandardCharsets.UTF_8), EpochMetrics.class));
                }
            }
        }
        return out;
    }

    private static float[] params(Path modelZip) throws Exception {
        MultiLayerNetwork net = ModelSerializer.restoreMultiLayerNetwork(modelZip.toFile(), false);
        return net.params().dup('c').data().asFloat();
    }

    @Test
    void anAshaSearchRanksItsTrialsPromotesTheTopThirdAndItsWinnersConfTrainsTheSameNetwork() throws Exception {
        Path dir = tmp.resolve("search-a");
        SearchJob.Result r = Pipeline.search(SPARK, base(dir));
        SearchState.Leaderboard board = r.leaderboard();
        assertEquals(6, board.trials());
        assertTrue(board.finished());

        // ASHA's end state: in every rung below the top, the top floor(n / eta) have gone on
        List<SearchState.TrialState> trials = state(dir).trials();
        List<SearchState.TrialState> atOne = trials.stream().filter(t -> t.stopped() == null || t.target() > 1)
                .sorted(java.util.Comparator.comparingDouble((SearchState.TrialState t) ->
                        -t.validationAccuracy().get(1)).thenComparingInt(SearchState.TrialState::id)).toList();
        for (int i = 0; i < Math.min(atOne.size(), 6 / 3); i++) {
            assertEquals(3, atOne.get(i).target(), "rank " + (i + 1) + " at epoch 1 was promoted: " + atOne);
        }
        int epochs = 0;
        for (SearchState.TrialState t : trials) {
            assertFalse(t.running());
            List<EpochMetrics> m = metrics(dir, t.runId());
            assertEquals(m.size(), t.epochs());
            if (t.stopped() == null) {
                assertEquals(t.target(), t.epochs(), t.runId() + " trained exactly to its target");
            } else {
                assertTrue(t.epochs() <= t.target(), t.runId() + " stopped on its way: " + t.stopped());
            }
            for (EpochMetrics e : m) {
                assertEquals(e.validationAccuracy(), t.validationAccuracy().get(e.epoch()), "scored on validation");
            }
            String resolved = Files.readString(dir.resolve("trials").resolve(t.runId()).resolve("config.resolved.conf"));
            assertTrue(resolved.contains("\"learning-rate\" : " + t.params().get("train.learning-rate"))
                    || resolved.contains("learning-rate=" + t.params().get("train.learning-rate"))
                    || resolved.contains("\"learning-rate\":" + t.params().get("train.learning-rate")),
                    "the trial ran with its sampled rate " + t.params());
            epochs += t.epochs();
        }
        assertEquals(epochs, board.epochs());
        assertEquals(board.entries().get(0).trial(), board.winner());
        assertEquals(3, board.entries().get(0).rung());
        for (int i = 1; i < board.entries().size(); i++) {
            SearchState.Entry a = board.entries().get(i - 1);
            SearchState.Entry b = board.entries().get(i);
            assertTrue(a.rung() > b.rung() || a.rung() == b.rung()
                    && a.validationAccuracy() >= b.validationAccuracy(), "ranked: " + a + " before " + b);
        }
        for (String f : List.of(SearchJob.PLAN, SearchJob.LEADERBOARD, SearchJob.PAGE, SearchJob.BEST_CONF,
                "plots/curves.png", "plots/param-01.png", "plots/param-02.png", "plots/param-03.png")) {
            assertTrue(Files.size(dir.resolve(f)) > 100, f);
        }
        String page = Files.readString(dir.resolve(SearchJob.PAGE));
        assertTrue(page.contains("Winner: trial " + board.winner()), "page names the winner");
        assertTrue(page.contains("promoted") && page.contains("not promoted"), "page shows the rung decisions");
        try (HeadlessChromium chromium = HeadlessChromium.start();
             HeadlessChromium.LoadedPage loaded = chromium.open(dir.resolve(SearchJob.PAGE), 1200)) {
            loaded.assertNoProblems();
            assertEquals("760,420,420,420", loaded.evaluate("Array.from(document.querySelectorAll('img.chart'))"
                    + ".map(i => i.naturalWidth).join()"), "the curves and one plot per searched key");
            assertEquals(6, ((Number) loaded.evaluate("document.querySelectorAll('#ranked tr').length - 1"))
                    .intValue(), "every trial ranked");
            assertEquals(1, ((Number) loaded.evaluate("document.querySelectorAll('#ranked tr.win').length"))
                    .intValue(), "one winner marked");
            assertEquals("trial-" + String.format("%04d", board.winner()), loaded.evaluate(
                    "document.querySelector('#ranked tr.win td.l').textContent.trim()"));
        }

        // best.conf trains unchanged: the same network, bit for bit, as the winning trial
        String bestConf = Files.readString(dir.resolve(SearchJob.BEST_CONF));
        assertFalse(bestConf.contains("search."), bestConf);
        assertFalse(bestConf.contains("run-id"), bestConf);
        PipelineConfig retrain = PipelineConfig.load(null, List.of(dir.resolve(SearchJob.BEST_CONF).toFile()),
                List.of("train.runs-dir=\"" + tmp.resolve("retrain") + "\"", "train.run-id=winner"));
        assertEquals(3, retrain.train().epochs());
        TrainResult again = Pipeline.train(SPARK, retrain);
        SearchState.TrialState winner = r.winner();
        for (EpochMetrics e : again.epochs()) {
            assertEquals(winner.validationAccuracy().get(e.epoch()), e.validationAccuracy(), "epoch " + e.epoch());
            assertEquals(winner.loss().get(e.epoch()), e.loss(), "epoch " + e.epoch());
        }
        assertArrayEquals(params(dir.resolve("trials").resolve(winner.runId()).resolve("model.zip")),
                params(tmp.resolve("retrain/winner/model.zip")));

        // the same search config samples the same trials in the same order; a changed plan is refused
        PipelineConfig other = base(dir).with(List.of("search.trials=7"));
        StageFailedException refused = assertThrows(StageFailedException.class, () -> Pipeline.search(SPARK, other));
        assertTrue(refused.getMessage().contains("trials 6 -> 7"), refused.getMessage());
    }

    /** Runs a search while counting the Spark jobs active at once. */
    private static int[] searchCountingJobs(PipelineConfig config, List<SearchState.TrialState> out) throws Exception {
        AtomicInteger active = new AtomicInteger();
        AtomicInteger max = new AtomicInteger();
        SparkListener counter = new SparkListener() {
            @Override
            public void onJobStart(SparkListenerJobStart jobStart) {
                max.accumulateAndGet(active.incrementAndGet(), Math::max);
            }

            @Override
            public void onJobEnd(SparkListenerJobEnd jobEnd) {
                active.decrementAndGet();
            }
        };
        SPARK.sparkContext().addSparkListener(counter);
        try {
            Pipeline.search(SPARK, config);
            SPARK.sparkContext().listenerBus().waitUntilEmpty();
        } finally {
            SPARK.sparkContext().removeSparkListener(counter);
        }
        out.addAll(state(Path.of(config.search().dir())).trials());
        return new int[] {max.get(), active.get()};
    }

    @Test
    void concurrentTrialsRunAsConcurrentSparkJobsAndScoreAsTheyDoOneAfterAnother() throws Exception {
        List<String> random = List.of("search.method=random", "search.trials=2", "search.min-epochs=2",
                "search.max-epochs=2", "train.workers=1");
        List<SearchState.TrialState> together = new ArrayList<>();
        List<SearchState.TrialState> inTurn = new ArrayList<>();
        PipelineConfig concurrent = base(tmp.resolve("search-concurrent")).with(random)
                .with(List.of("search.concurrent-trials=2"));
        PipelineConfig sequential = base(tmp.resolve("search-sequential")).with(random)
                .with(List.of("search.concurrent-trials=1"));
        int[] jobsTogether = searchCountingJobs(concurrent, together);
        int[] jobsInTurn = searchCountingJobs(sequential, inTurn);
        assertEquals(0, jobsTogether[1]);
        assertEquals(1, jobsInTurn[0], "one trial's jobs at a time");
        assertTrue(jobsTogether[0] >= 2, "the two trials' jobs overlapped: at most " + jobsTogether[0] + " at once");
        assertEquals(2, together.size());
        for (int i = 0; i < 2; i++) {
            assertEquals(inTurn.get(i).params(), together.get(i).params(), "trial " + (i + 1) + " sampled the same");
            assertEquals(2, together.get(i).epochs());
            assertEquals(inTurn.get(i).validationAccuracy(), together.get(i).validationAccuracy(), "trial " + (i + 1));
            assertEquals(inTurn.get(i).loss(), together.get(i).loss(), "trial " + (i + 1));
        }
    }

    @Test
    void aSearchKilledInTheMiddleOfATrialContinuesWithoutRerunningFinishedStepsAndEndsAsAnUninterruptedOne()
            throws Exception {
        Path dir = tmp.resolve("search-killed");
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens") || a.startsWith("-Djdk.reflect") || a.startsWith("-Xmx")) {
                command.add(a);
            }
        }
        Path profile = tmp.resolve("fashion-mnist.conf");
        try (var in = getClass().getClassLoader().getResourceAsStream(PipelineConfig.DEMO_PROFILE)) {
            Files.write(profile, in.readAllBytes());
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.cnnpipeline.pipeline.Cli", "search",
                "--config", profile.toString()));
        for (String s : sets(dir)) {
            command.addAll(List.of("--set", s));
        }
        Path log = tmp.resolve("killed-search.log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        // kill it once a promoted trial is running (a step that continues an earlier one from its checkpoint)
        SearchState.State atKill = null;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(8);
        while (atKill == null && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(100);
            if (Files.exists(dir.resolve(SearchJob.STATE))) {
                SearchState.State s = state(dir);
                if (s.trials().stream().anyMatch(t -> t.running() && t.target() == 3 && t.epochs() == 1)) {
                    p.destroyForcibly();
                    atKill = s;
                }
            }
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertNotNull(atKill, "killed while a promoted trial ran: " + Files.readString(log));
        Map<String, EpochMetrics> firstEpochs = new HashMap<>();
        for (SearchState.TrialState t : atKill.trials()) {
            if (!t.validationAccuracy().isEmpty()) {
                firstEpochs.put(t.runId(), metrics(dir, t.runId()).get(0));
            }
        }
        SearchState.TrialState interrupted = atKill.trials().stream().filter(SearchState.TrialState::running)
                .findFirst().orElseThrow();

        SearchJob.Result resumed = Pipeline.search(SPARK, base(dir));

        // nothing that had finished was trained again: each epoch's metrics line, wall time included, is as it was
        for (Map.Entry<String, EpochMetrics> e : firstEpochs.entrySet()) {
            assertEquals(e.getValue(), metrics(dir, e.getKey()).get(0), e.getKey() + " epoch 1 not rerun");
        }
        assertTrue(metrics(dir, interrupted.runId()).size() == 3, "the interrupted trial went on to epoch 3");
        // and the search ended as the uninterrupted one does: the same trials, values and scores
        Path reference = tmp.resolve("search-reference");
        Pipeline.search(SPARK, base(reference));
        List<SearchState.TrialState> a = state(reference).trials();
        List<SearchState.TrialState> b = state(dir).trials();
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).params(), b.get(i).params(), "trial " + (i + 1) + " sampled the same");
            assertEquals(a.get(i).validationAccuracy(), b.get(i).validationAccuracy(), "trial " + (i + 1));
            assertEquals(a.get(i).target(), b.get(i).target(), "trial " + (i + 1));
        }
        assertEquals(Files.readString(reference.resolve(SearchJob.BEST_CONF)).lines().skip(1).toList(),
                Files.readString(dir.resolve(SearchJob.BEST_CONF)).lines().skip(1).toList());
        assertEquals(state(reference).trials().size(), resumed.leaderboard().trials());
        assertTrue(new File(dir.toFile(), SearchJob.PAGE).isFile());
    }
}
