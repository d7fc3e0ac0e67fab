package io.cnnpipeline.training;

import io.cnnpipeline.training.dl4j.JvmSettings;
import io.cnnpipeline.core.HadoopFiles;
import io.cnnpipeline.core.Html;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The run directory's human-readable report, rewritten after every epoch: {@code plots/loss.png},
 * {@code plots/accuracy.png} (train and validation), {@code plots/learning-rate.png} and
 * {@code plots/images-per-second.png} (XChart, per epoch), {@code plots/loss-per-round.png} (the loss after every
 * averaging round, against the iteration), and {@code report.html}, which shows them with the
 * metrics table and links dl4j-spark's {@code training-stats.html} timeline when it was collected. Driver-side;
 * rendering needs no display (headless AWT).
 */
public final class TrainingReport {
    static final String HTML = "report.html";
    static final String PLOTS = "plots";

    private TrainingReport() {
    }

    /** Writes the plots and the page for the epochs so far, each file atomically. */
    public static void write(FileSystem fs, Path runDir, String title, List<EpochMetrics> metrics,
                             List<RoundMetrics> rounds, boolean trainingStats) {
        JvmSettings.install();
        Path plots = new Path(runDir, PLOTS);
        png(fs, new Path(plots, "loss.png"), chart("Training loss", "loss", metrics, List.of(
                new Series("loss", EpochMetrics::loss))));
        if (!rounds.isEmpty()) {
            png(fs, new Path(plots, "loss-per-round.png"), roundChart(rounds));
        }
        png(fs, new Path(plots, "accuracy.png"), chart("Accuracy (centre crop)", "accuracy", metrics, List.of(
                new Series("train", m -> m.trainAccuracy()), new Series("validation", m -> m.validationAccuracy()))));
        png(fs, new Path(plots, "learning-rate.png"), chart("Learning rate at the start of each epoch",
                "learning rate", metrics, List.of(new Series("learning rate", EpochMetrics::learningRate))));
        png(fs, new Path(plots, "images-per-second.png"), chart("Training throughput", "images/s", metrics,
                List.of(new Series("images/s", EpochMetrics::imagesPerSecond))));
        HadoopFiles.writeAtomically(fs, new Path(runDir, HTML), html(title, metrics, !rounds.isEmpty(), trainingStats)
                .getBytes(StandardCharsets.UTF_8));
    }

    private record Series(String name, Function<EpochMetrics, Double> value) {
    }

    private static XYChart chart(String title, String yTitle, List<EpochMetrics> metrics, List<Series> series) {
        XYChart chart = new XYChartBuilder().width(640).height(400).title(title).xAxisTitle("epoch")
                .yAxisTitle(yTitle).build();
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setLegendVisible(series.size() > 1);
        chart.getStyler().setDecimalPattern("#,##0.####");
        for (Series s : series) {
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (EpochMetrics m : metrics) {
                Double v = s.value().apply(m);
                if (v != null && Double.isFinite(v)) {
                    x.add((double) m.epoch());
                    y.add(v);
                }
            }
            if (!x.isEmpty()) {
                XYSeries xy = chart.addSeries(s.name(), x, y);
                xy.setMarker(SeriesMarkers.CIRCLE);
            }
        }
        return chart;
    }

    /** The loss after every averaging round against the iteration, with the epochs' boundaries marked by colour. */
    private static XYChart roundChart(List<RoundMetrics> rounds) {
        XYChart chart = new XYChartBuilder().width(960).height(400).title("Training loss per averaging round")
                .xAxisTitle("iteration").yAxisTitle("loss (workers' mean, last minibatch of the round)").build();
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setDecimalPattern("#,##0.####");
        List<Double> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        for (RoundMetrics r : rounds) {
            if (Double.isFinite(r.loss())) {
                x.add((double) r.iteration());
                y.add(r.loss());
            }
        }
        if (!x.isEmpty()) {
            chart.addSeries("loss", x, y).setMarker(SeriesMarkers.NONE);
        }
        return chart;
    }

    private static void png(FileSystem fs, Path target, XYChart chart) {
        try {
            HadoopFiles.writeAtomically(fs, target, BitmapEncoder.getBitmapBytes(chart,
                    BitmapEncoder.BitmapFormat.PNG));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot render " + target, e);
        }
    }

    static String html(String title, List<EpochMetrics> metrics, boolean perRound, boolean trainingStats) {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>").append(Html.escape(title))
                .append("</title>\n<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
                        + "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}img{margin:4px}</style>"
                        + "</head><body>\n<h1>").append(Html.escape(title)).append("</h1>\n");
        if (perRound) {
            b.append("<p><img src=\"").append(PLOTS).append("/loss-per-round.png\" alt=\"loss per round\"></p>\n");
        }
        b.append("<p>");
        for (String plot : List.of("loss", "accuracy", "learning-rate", "images-per-second")) {
            b.append("<img src=\"").append(PLOTS).append('/').append(plot).append(".png\" alt=\"").append(plot)
                    .append("\">");
        }
        b.append("</p>\n");
        b.append("<p><a href=\"").append(RunDirectory.EVALUATION)
                .append("/report.html\">Evaluation</a> (written by the evaluate stage)</p>\n");
        if (trainingStats) {
            b.append("<p><a href=\"training-stats.html\">Spark training statistics (dl4j-spark timeline)</a></p>\n");
        }
        b.append("<table><tr><th>epoch</th><th>loss</th><th>train acc</th><th>val acc</th><th>learning rate</th>"
                + "<th>batch/worker</th><th>iteration</th><th>images/s</th><th>seconds</th></tr>\n");
        for (EpochMetrics m : metrics) {
            b.append(String.format(Locale.ROOT, "<tr><td>%d</td><td>%.4f</td><td>%s</td><td>%s</td><td>%.4g</td>"
                            + "<td>%d</td><td>%d</td><td>%.0f</td><td>%.1f</td></tr>%n", m.epoch(), m.loss(),
                    pct(m.trainAccuracy()), pct(m.validationAccuracy()), m.learningRate(), m.batchSizePerWorker(),
                    m.iteration(), m.imagesPerSecond(), m.seconds()));
        }
        b.append("</table>\n<p>Metrics as JSON lines: <a href=\"metrics.jsonl\">metrics.jsonl</a> (per epoch), "
                + "<a href=\"rounds.jsonl\">rounds.jsonl</a> (per averaging round)</p>\n</body></html>\n");
        return b.toString();
    }

    private static String pct(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * v);
    }
}
