package io.cnnpipeline.evaluation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;

/**
 * Pictures of an {@link EvaluationReport}, as PNG bytes (XChart, headless AWT): the confusion-matrix heatmap, the
 * top-1 accuracy of each crop mode and the per-class accuracy. For notebooks and pages; nothing here touches Spark.
 */
public final class EvaluationPlots {
    private EvaluationPlots() {
    }

    /**
     * Heatmap of one mode's confusion matrix, rows = true class, columns = predicted class, each row normalized to
     * the fraction of that class's images (so classes of different sizes compare).
     *
     * @param mode {@code centre-crop}, {@code 10-crop} or {@code multi-scale}
     * @throws IllegalArgumentException if the report has no such mode
     */
    public static byte[] confusionHeatmap(EvaluationReport report, String mode, int widthPixels) {
        EvaluationReport.ModeResult r = report.modes().get(mode);
        if (r == null) {
            throw new IllegalArgumentException("no mode " + mode + " in the report; modes: " + report.modes().keySet());
        }
        io.cnnpipeline.training.dl4j.JvmSettings.install();
        List<String> classes = report.classes();
        int n = classes.size();
        HeatMapChart chart = new HeatMapChartBuilder().width(widthPixels).height(widthPixels * 9 / 10)
                .title("Confusion matrix (" + mode + "), fraction of each true class").xAxisTitle("predicted")
                .yAxisTitle("true").build();
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setShowValue(false);
        chart.getStyler().setRangeColors(new java.awt.Color[] {java.awt.Color.WHITE, new java.awt.Color(198, 219, 239),
            new java.awt.Color(33, 113, 181), new java.awt.Color(8, 48, 107)});
        chart.getStyler().setXAxisLabelRotation(45);
        chart.getStyler().setPlotContentSize(1.0);
        chart.getStyler().setMin(0);
        chart.getStyler().setMax(1);
        List<Number[]> cells = new ArrayList<>(n * n);
        for (int t = 0; t < n; t++) {
            long row = 0;
            for (long v : r.confusion()[t]) {
                row += v;
            }
            for (int p = 0; p < n; p++) {
                // XChart's y axis runs upwards: put the first class on top.
                cells.add(new Number[] {p, n - 1 - t, row == 0 ? 0.0 : (double) r.confusion()[t][p] / row});
            }
        }
        List<String> reversed = new ArrayList<>(classes);
        java.util.Collections.reverse(reversed);
        chart.addSeries("fraction", classes, reversed, cells);
        return png(chart);
    }

    /** Bars of top-1 and top-k accuracy per crop mode, side by side. */
    public static byte[] accuracyByMode(EvaluationReport report, int widthPixels) {
        io.cnnpipeline.training.dl4j.JvmSettings.install();
        CategoryChart chart = new CategoryChartBuilder().width(widthPixels).height(widthPixels / 2)
                .title("Accuracy by crop mode (" + report.images() + " images)").yAxisTitle("accuracy").build();
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setDecimalPattern("0.0000");
        List<String> modes = new ArrayList<>(report.modes().keySet());
        List<Double> top1 = new ArrayList<>();
        List<Double> topK = new ArrayList<>();
        for (String m : modes) {
            top1.add(1 - report.modes().get(m).top1Error());
            topK.add(1 - report.modes().get(m).topKError());
        }
        chart.addSeries("top-1", modes, top1);
        chart.addSeries("top-" + report.topK(), modes, topK);
        return png(chart);
    }

    /** Up to this many classes, {@link #perClassAccuracy} draws every class; above, the lowest ones. */
    public static final int PER_CLASS_BARS = 20;

    /**
     * Bars of each class's accuracy (recall: the fraction of its images classified correctly), one series per crop
     * mode; every class when there are at most {@link #PER_CLASS_BARS}, else the {@link #PER_CLASS_BARS} lowest under
     * {@link EvaluationReport#DETAIL_MODE}. Height is half the width.
     */
    public static byte[] perClassAccuracy(EvaluationReport report, int widthPixels) {
        io.cnnpipeline.training.dl4j.JvmSettings.install();
        List<String> shown = shownClasses(report);
        boolean all = shown.size() == report.classes().size();
        CategoryChart chart = new CategoryChartBuilder().width(widthPixels).height(widthPixels / 2)
                .title(all ? "Accuracy per class" : "The " + shown.size() + " classes of lowest accuracy ("
                        + EvaluationReport.DETAIL_MODE.id() + ")").yAxisTitle("accuracy").build();
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setXAxisLabelRotation(shown.size() > 6 ? 45 : 0);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(1.0);
        chart.getStyler().setDecimalPattern("0.00");
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(org.knowm.xchart.style.Styler.LegendLayout.Horizontal);
        for (Map.Entry<String, EvaluationReport.ModeResult> e : report.modes().entrySet()) {
            List<Double> values = new ArrayList<>();
            for (String c : shown) {
                Double v = e.getValue().perClassAccuracy().get(c);
                values.add(v == null || v.isNaN() ? 0.0 : v);
            }
            chart.addSeries(e.getKey(), shown, values);
        }
        return png(chart);
    }

    /** The classes {@link #perClassAccuracy} draws, in the order it draws them. */
    static List<String> shownClasses(EvaluationReport report) {
        if (report.classes().size() <= PER_CLASS_BARS) {
            return report.classes();
        }
        Map<String, Double> detail = report.modes().get(EvaluationReport.DETAIL_MODE.id()).perClassAccuracy();
        return report.classes().stream()
                .sorted(java.util.Comparator.comparingDouble((String c) -> detail.get(c).isNaN() ? 2 : detail.get(c)))
                .limit(PER_CLASS_BARS).toList();
    }

    private static byte[] png(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart) {
        try {
            return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot render " + chart.getTitle(), e);
        }
    }
}
