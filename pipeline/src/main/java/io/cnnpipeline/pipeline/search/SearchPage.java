package io.cnnpipeline.pipeline.search;

import io.cnnpipeline.core.HadoopFiles;
import io.cnnpipeline.core.Html;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The search's page, {@code index.html} in the search directory, with its pictures in {@code plots/}: every trial's
 * validation accuracy against the epoch on one plot (the winner in black), each searched parameter against the score
 * at the highest rung a trial finished (one colour per rung, log axis for log-uniform keys), the rung decisions
 * (finished, promoted, stopped, by rank) and the trials ranked as in {@code leaderboard.json}, each linking its run's
 * {@code report.html}. Links are relative; nothing is fetched from elsewhere. Written atomically, the page last.
 */
final class SearchPage {
    static final String PLOTS = "plots";
    private static final String CSS = "body{font:15px/1.45 system-ui,sans-serif;color:#222;margin:1.5em auto;"
            + "max-width:1200px;padding:0 1em}h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;"
            + "margin-top:1.6em;border-bottom:1px solid #ddd;padding-bottom:.2em}.lead{color:#555;margin-top:0}"
            + "table{border-collapse:collapse}td,th{padding:3px 8px;text-align:right}th{font-weight:600}"
            + "tr+tr td{border-top:1px solid #eee}td.l,th.l{text-align:left}.row{display:flex;flex-wrap:wrap;"
            + "gap:1em}img.chart{max-width:100%;border:1px solid #eee}.win td{background:#fff6d6}"
            + ".up{color:#1a7f37}.stop{color:#c62828}.out{color:#888}code{font-size:13px}";
    private static final Color[] RUNG_COLOURS = {new Color(0x9E9E9E), new Color(0x1E88E5), new Color(0xF4511E),
        new Color(0x43A047), new Color(0x8E24AA), new Color(0x000000)};

    private SearchPage() {
    }

    static void write(FileSystem fs, Path dir, SearchConfig search, Scheduler scheduler,
                      SearchState.Leaderboard board, List<SearchState.TrialState> trials) {
        Path plots = new Path(dir, PLOTS);
        png(fs, new Path(plots, "curves.png"), curves(trials, board.winner(), search.maxEpochs()));
        List<String> paramPlots = new ArrayList<>();
        int i = 0;
        for (SearchSpace.Parameter p : search.space().parameters()) {
            String name = String.format(Locale.ROOT, "param-%02d.png", ++i);
            png(fs, new Path(plots, name), parameter(p, board));
            paramPlots.add(name);
        }
        HadoopFiles.writeAtomically(fs, new Path(dir, SearchJob.PAGE),
                html(dir, search, scheduler, board, trials, paramPlots).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The learning curves, validation accuracy (%) against the epoch. A trial stopped by a rule (NaN loss, accuracy
     * at chance) would squeeze the others into a sliver at the top, so the y axis starts 2 points below the lowest
     * score of the trials no rule stopped ({@link #curvesAxisMin}), and the stopped ones leave the plot below it.
     */
    static XYChart curves(List<SearchState.TrialState> trials, int winner, int maxEpochs) {
        XYChart chart = new XYChartBuilder().width(760).height(440).title("Validation accuracy of every trial")
                .xAxisTitle("epoch").yAxisTitle("validation accuracy (%)").build();
        style(chart);
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setXAxisMin(1.0);
        chart.getStyler().setXAxisMax((double) Math.max(2, maxEpochs));
        double axisMin = curvesAxisMin(trials);
        if (!Double.isNaN(axisMin)) {
            chart.getStyler().setYAxisMin(axisMin);
        }
        for (SearchState.TrialState t : trials) {
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            t.validationAccuracy().forEach((e, a) -> {
                if (Double.isFinite(a)) {
                    x.add((double) e);
                    y.add(100 * a);
                }
            });
            if (x.isEmpty()) {
                continue;
            }
            XYSeries s = chart.addSeries(t.runId(), x, y);
            s.setMarker(SeriesMarkers.CIRCLE);
            boolean win = t.id() == winner;
            s.setLineColor(win ? Color.BLACK : t.stopped() != null ? new Color(0xE57373) : new Color(0x64B5F6));
            s.setMarkerColor(s.getLineColor());
            s.setLineStyle(new BasicStroke(win ? 3f : 1.2f));
        }
        return chart;
    }

    /**
     * The curves' y axis minimum (%): 2 points below the lowest finite score of the trials no rule stopped, rounded
     * down to a whole point, when a stopped trial scored lower than that; NaN (XChart's own range) otherwise.
     */
    static double curvesAxisMin(List<SearchState.TrialState> trials) {
        double kept = Double.POSITIVE_INFINITY;
        double stopped = Double.POSITIVE_INFINITY;
        for (SearchState.TrialState t : trials) {
            for (double a : t.validationAccuracy().values()) {
                if (Double.isFinite(a)) {
                    if (t.stopped() == null) {
                        kept = Math.min(kept, 100 * a);
                    } else {
                        stopped = Math.min(stopped, 100 * a);
                    }
                }
            }
        }
        double min = Math.max(0, Math.floor(kept - 2));
        return Double.isFinite(kept) && stopped < min ? min : Double.NaN;
    }

    static boolean curvesClipped(List<SearchState.TrialState> trials) {
        return !Double.isNaN(curvesAxisMin(trials));
    }

    /**
     * A parameter's scatter: validation accuracy (%) at the highest rung each trial reached against the sampled value,
     * on a logarithmic x axis for log-uniform parameters. Before any trial has a finite score (the first to finish
     * diverged, say) it holds one invisible placeholder point, at x = 1 on a logarithmic axis, where 0 cannot be drawn.
     */
    static XYChart parameter(SearchSpace.Parameter p, SearchState.Leaderboard board) {
        boolean choice = p.distribution() == SearchSpace.Distribution.CHOICE;
        XYChart chart = new XYChartBuilder().width(420).height(320).title(p.key())
                .xAxisTitle(choice ? "choice: " + shortValues(p.values()) : p.distribution().id())
                .yAxisTitle("val. accuracy at highest rung (%)").build();
        style(chart);
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setXAxisLogarithmic(p.distribution() == SearchSpace.Distribution.LOG_UNIFORM);
        chart.getStyler().setMarkerSize(7);
        List<Integer> rungs = board.rungs();
        for (int k = 0; k < rungs.size(); k++) {
            int rung = rungs.get(k);
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (SearchState.Entry e : board.entries()) {
                String v = e.params().get(p.key());
                if (e.rung() == rung && v != null && Double.isFinite(e.validationAccuracy())) {
                    x.add(choice ? p.values().indexOf(v) : Double.parseDouble(v));
                    y.add(100 * e.validationAccuracy());
                }
            }
            if (!x.isEmpty()) {
                XYSeries s = chart.addSeries(rung + (rung == 1 ? " epoch" : " epochs"), x, y);
                s.setMarker(SeriesMarkers.CIRCLE);
                s.setMarkerColor(RUNG_COLOURS[Math.min(k, RUNG_COLOURS.length - 1)]);
            }
        }
        if (chart.getSeriesMap().isEmpty()) {
            double x = p.distribution() == SearchSpace.Distribution.LOG_UNIFORM ? 1 : 0;
            chart.addSeries("no scores yet", new double[] {x}, new double[] {0}).setMarker(SeriesMarkers.NONE);
        }
        return chart;
    }

    private static String shortValues(List<String> values) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            String v = values.get(i).replace("\"", "");
            out.add(i + " = " + (v.length() > 24 ? v.substring(0, 22) + ".." : v));
        }
        return String.join(", ", out);
    }

    private static void style(XYChart chart) {
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setDecimalPattern("#,##0.####");
    }

    private static void png(FileSystem fs, Path target, XYChart chart) {
        try {
            HadoopFiles.writeAtomically(fs, target, BitmapEncoder.getBitmapBytes(chart,
                    BitmapEncoder.BitmapFormat.PNG));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot render " + target, e);
        }
    }

    static String html(Path dir, SearchConfig search, Scheduler scheduler, SearchState.Leaderboard board,
                       List<SearchState.TrialState> trials, List<String> paramPlots) {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Search ").append(Html.escape(dir.getName()))
                .append("</title><style>").append(CSS).append("</style></head><body>\n");
        b.append("<h1>Hyperparameter search</h1>\n<p class=\"lead\">").append(Html.escape(search.method().id()))
                .append(", eta ").append(search.eta()).append(", rungs ").append(board.rungs()).append(" epochs; ")
                .append(board.trials()).append(" of ").append(search.trials()).append(" trials started, ")
                .append(board.epochs()).append(" epochs trained (")
                .append(String.format(Locale.ROOT, "%.1f", board.trainSeconds() / 60)).append(" min of fitting); ")
                .append(board.finished() ? "finished" : "running").append(". Scored on the validation split only.")
                .append("</p>\n");
        if (board.winner() != 0) {
            SearchState.Entry w = board.entries().get(0);
            b.append("<p><b>Winner: trial ").append(w.trial()).append("</b>, validation accuracy ")
                    .append(pct(w.validationAccuracy())).append(" after ").append(w.rung()).append(" epochs, ")
                    .append(Html.escape(w.params().toString())).append(board.finished()
                            ? " &mdash; <a href=\"" + SearchJob.BEST_CONF + "\">best.conf</a> trains it" : "")
                    .append(".</p>\n");
        }
        b.append("<h2>Learning curves</h2>\n<img class=\"chart\" src=\"plots/curves.png\" alt=\"validation accuracy "
                + "of every trial against the epoch\"><p class=\"out\">Blue: trials; red: stopped by a rule; black: "
                + "the winner." + (curvesClipped(trials) ? String.format(Locale.ROOT, " The axis starts at %.0f%%: "
                + "scores of stopped trials below it are off the plot (the tables give them).",
                curvesAxisMin(trials)) : "") + "</p>\n");
        b.append("<h2>Parameters against score</h2>\n<div class=\"row\">");
        for (String p : paramPlots) {
            b.append("<img class=\"chart\" src=\"plots/").append(p).append("\" alt=\"parameter against score\">");
        }
        b.append("</div>\n");
        b.append("<h2>Trials ranked</h2>\n<table id=\"ranked\"><tr><th>rank</th><th class=\"l\">trial</th><th>rung</th>"
                + "<th>val. accuracy</th><th>epochs</th><th>fit min</th><th class=\"l\">stopped</th>");
        List<String> keys = search.space().parameters().stream().map(SearchSpace.Parameter::key).toList();
        for (String k : keys) {
            b.append("<th class=\"l\">").append(Html.escape(k)).append("</th>");
        }
        b.append("</tr>\n");
        for (SearchState.Entry e : board.entries()) {
            b.append(e.trial() == board.winner() ? "<tr class=\"win\">" : "<tr>").append("<td>").append(e.rank())
                    .append("</td><td class=\"l\"><a href=\"").append(SearchJob.TRIALS).append('/').append(e.runId())
                    .append("/report.html\">").append(e.runId()).append("</a></td><td>")
                    .append(e.rung() == 0 ? "-" : e.rung()).append("</td><td>").append(pct(e.validationAccuracy()))
                    .append("</td><td>").append(e.epochs()).append("</td><td>")
                    .append(String.format(Locale.ROOT, "%.1f", e.trainSeconds() / 60)).append("</td><td class=\"l\">")
                    .append(e.stopped() == null ? "" : "<span class=\"stop\">" + e.stopped() + "</span>")
                    .append("</td>");
            for (String k : keys) {
                b.append("<td class=\"l\"><code>").append(Html.escape(e.params().getOrDefault(k, ""))).append("</code></td>");
            }
            b.append("</tr>\n");
        }
        b.append("</table>\n");
        b.append("<h2>Rung decisions</h2>\n<div class=\"row\">");
        SortedMap<Integer, List<int[]>> decisions = scheduler.decisions(trials.stream()
                .map(SearchState.TrialState::scheduled).toList());
        Map<Integer, SearchState.TrialState> byId = new java.util.HashMap<>();
        trials.forEach(t -> byId.put(t.id(), t));
        for (Map.Entry<Integer, List<int[]>> rung : decisions.entrySet()) {
            boolean top = rung.getKey() == search.maxEpochs();
            b.append("<table><tr><th colspan=\"3\" class=\"l\">rung ").append(rung.getKey()).append(" (")
                    .append(rung.getValue().size()).append(" finished)</th></tr>\n");
            for (int[] row : rung.getValue()) {
                SearchState.TrialState t = byId.get(row[0]);
                Double acc = t.validationAccuracy().get(rung.getKey());
                String decision = t.stopped() != null && t.target() == rung.getKey() ? "<span class=\"stop\">stopped: "
                        + t.stopped() + "</span>" : row[1] == 1 ? "<span class=\"up\">promoted</span>"
                        : top ? "" : "<span class=\"out\">not promoted</span>";
                b.append("<tr><td class=\"l\">").append(t.runId()).append("</td><td>")
                        .append(acc == null ? "-" : pct(acc)).append("</td><td class=\"l\">").append(decision)
                        .append("</td></tr>\n");
            }
            b.append("</table>");
        }
        b.append("</div>\n<p class=\"out\">Files: <a href=\"").append(SearchJob.LEADERBOARD).append("\">")
                .append(SearchJob.LEADERBOARD).append("</a>, <a href=\"").append(SearchJob.STATE).append("\">")
                .append(SearchJob.STATE).append("</a>, <a href=\"").append(SearchJob.PLAN).append("\">")
                .append(SearchJob.PLAN).append("</a>.</p>\n</body></html>\n");
        return b.toString();
    }

    private static String pct(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.2f%%", 100 * v) : "-";
    }
}
