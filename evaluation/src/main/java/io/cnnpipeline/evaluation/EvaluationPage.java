package io.cnnpipeline.evaluation;

import io.cnnpipeline.core.HadoopFiles;
import io.cnnpipeline.core.Html;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The evaluation's page, {@code report.html} in the report directory, with its pictures beside it:
 * {@code plots/accuracy-by-mode.png} and {@code plots/per-class-accuracy.png} (XChart), and
 * {@code mistakes/NNN.png}, the images of the most confident mistakes. The page shows top-1/top-k per crop mode, the
 * per-class accuracy, the confusion matrix of {@link EvaluationReport#DETAIL_MODE} as a table heatmap (a picture
 * above {@link #TABLE_CLASSES} classes) with its largest confusions, the mistakes' grid (image, true and predicted
 * class, probability) and the provenance (model, dataset and its content hash, configuration, build, Spark
 * application). Every link is relative and nothing is fetched from elsewhere, so the directory works offline and when
 * downloaded from HDFS. Every file is written atomically, the page last. Driver-side; no display needed.
 */
public final class EvaluationPage {
    /** The page's file name. */
    public static final String HTML = "report.html";
    static final String PLOTS = "plots";
    /** Up to this many classes the confusion matrix is a table with a cell per (true, predicted) pair. */
    public static final int TABLE_CLASSES = 30;
    /** Largest confusions listed. */
    static final int TOP_CONFUSIONS = 10;
    /** Mistakes smaller than this (pixels, long side) are shown enlarged by a whole factor, pixels kept square. */
    static final int THUMBNAIL_DISPLAY = 112;

    private static final String CSS = "body{font:15px/1.45 system-ui,sans-serif;color:#222;margin:1.5em auto;"
            + "max-width:1100px;padding:0 1em}h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;"
            + "margin-top:1.6em;border-bottom:1px solid #ddd;padding-bottom:.2em}.lead{color:#555;margin-top:0}"
            + "table{border-collapse:collapse}td,th{padding:3px 8px}.num td,.num th{text-align:right}"
            + ".num tr+tr td,.prov td{border-top:1px solid #eee}.prov th{text-align:left;font-weight:normal;"
            + "color:#666;padding-right:1.5em}.row{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start}"
            + "img.chart{max-width:100%;border:1px solid #eee}"
            + "table.cm td{width:2.6em;height:2.1em;text-align:center;font-size:13px;border:1px solid #fff}"
            + "table.cm th{font-weight:normal;font-size:13px}table.cm th.pred{writing-mode:vertical-rl;"
            + "transform:rotate(180deg);text-align:left;vertical-align:bottom;padding:4px 0}"
            + "table.cm th.true{text-align:right;white-space:nowrap}.axis{color:#666;font-size:13px}"
            + ".grid{display:flex;flex-wrap:wrap;gap:10px}figure{margin:0;width:128px;font-size:12px;line-height:1.3;text-align:center}"
            + "figure img{display:block;margin:0 auto 3px;background:#000}"
            + "img.px{image-rendering:pixelated}.t{color:#1a7f37}.p{color:#c62828}"
            + ".key{color:#888;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}"
            + "pre{background:#f6f8fa;padding:.6em;overflow:auto;font-size:13px}code{font-size:13px}";

    private EvaluationPage() {
    }

    /**
     * Writes the page and its pictures into {@code dir}.
     *
     * @param report     the evaluation's results; its {@link EvaluationReport#mistakes()} name their image files
     * @param thumbnails the PNG bytes of each of the report's mistakes, in the same order
     * @param configHocon the evaluation's settings as HOCON, shown as provenance
     * @param links      further relative links (path → label), e.g. the training run's report
     * @throws IllegalArgumentException if there are not as many thumbnails as mistakes
     */
    public static void write(FileSystem fs, Path dir, EvaluationReport report, List<byte[]> thumbnails,
                             String configHocon, Map<String, String> links) {
        List<EvaluationReport.Mistake> mistakes = report.mistakes() == null ? List.of() : report.mistakes();
        if (mistakes.size() != thumbnails.size()) {
            throw new IllegalArgumentException("Cannot write " + new Path(dir, HTML) + ": " + mistakes.size()
                    + " mistakes but " + thumbnails.size() + " thumbnails");
        }
        Path plots = new Path(dir, PLOTS);
        HadoopFiles.writeAtomically(fs, new Path(plots, "accuracy-by-mode.png"),
                EvaluationPlots.accuracyByMode(report, 560));
        HadoopFiles.writeAtomically(fs, new Path(plots, "per-class-accuracy.png"),
                EvaluationPlots.perClassAccuracy(report, 1000));
        boolean table = report.classes().size() <= TABLE_CLASSES;
        if (!table) {
            HadoopFiles.writeAtomically(fs, new Path(plots, "confusion.png"),
                    EvaluationPlots.confusionHeatmap(report, EvaluationReport.DETAIL_MODE.id(), 1000));
        }
        int[][] sizes = new int[mistakes.size()][];
        for (int i = 0; i < mistakes.size(); i++) {
            HadoopFiles.writeAtomically(fs, new Path(dir, mistakes.get(i).image()), thumbnails.get(i));
            sizes[i] = size(thumbnails.get(i), mistakes.get(i).key());
        }
        HadoopFiles.writeAtomically(fs, new Path(dir, HTML),
                html(report, sizes, table, configHocon, links).getBytes(StandardCharsets.UTF_8));
        removeStaleMistakes(fs, new Path(dir, EvaluationReport.MISTAKES_DIR), mistakes);
    }

    /** A previous evaluation into the same directory may have kept more mistakes: their files go. */
    private static void removeStaleMistakes(FileSystem fs, Path mistakesDir, List<EvaluationReport.Mistake> kept) {
        Set<String> names = new HashSet<>();
        for (EvaluationReport.Mistake m : kept) {
            names.add(new Path(m.image()).getName());
        }
        try {
            if (!fs.exists(mistakesDir)) {
                return;
            }
            for (FileStatus f : fs.listStatus(mistakesDir)) {
                if (!names.contains(f.getPath().getName())) {
                    fs.delete(f.getPath(), false);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot clean " + mistakesDir + ": " + e.getMessage(), e);
        }
    }

    private static int[] size(byte[] png, String key) {
        try {
            java.awt.image.BufferedImage image = javax.imageio.ImageIO.read(new ByteArrayInputStream(png));
            if (image == null) {
                throw new IllegalArgumentException("the thumbnail of " + key + " is not a PNG");
            }
            return new int[] {image.getWidth(), image.getHeight()};
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the thumbnail of " + key, e);
        }
    }

    static String html(EvaluationReport report, int[][] thumbnailSizes, boolean table, String configHocon,
                       Map<String, String> links) {
        EvaluationReport.ModeResult detail = report.modes().get(EvaluationReport.DETAIL_MODE.id());
        List<String> classes = report.classes();
        String title = "Evaluation of " + runName(report.model());
        StringBuilder b = new StringBuilder(16_384);
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(Html.escape(title))
                .append("</title>\n<style>").append(CSS).append("</style></head><body>\n");
        b.append("<h1>").append(Html.escape(title)).append("</h1>\n<p class=\"lead\">")
                .append(String.format(Locale.ROOT, "%,d images of the <b>%s</b> split, %d classes; crops of %d "
                                + "pixels, %d views per image; %.1f s.", report.images(), Html.escape(report.split()),
                        classes.size(), report.cropSize(), report.viewsPerImage(), report.seconds()))
                .append("<br>Also: <a href=\"report.json\">report.json</a> · <a href=\"report.txt\">report.txt</a>");
        for (Map.Entry<String, String> l : links.entrySet()) {
            b.append(" · <a href=\"").append(Html.escape(l.getKey())).append("\">").append(Html.escape(l.getValue())).append("</a>");
        }
        b.append("</p>\n");

        b.append("<h2>Accuracy by crop mode</h2>\n<div class=\"row\"><table class=\"num\" id=\"modes\"><tr><th></th>"
                + "<th>top-1 acc</th><th>top-").append(report.topK()).append(" acc</th><th>top-1 err</th><th>top-")
                .append(report.topK()).append(" err</th></tr>\n");
        for (Map.Entry<String, EvaluationReport.ModeResult> e : report.modes().entrySet()) {
            EvaluationReport.ModeResult r = e.getValue();
            b.append(String.format(Locale.ROOT, "<tr><td style=\"text-align:left\">%s</td><td><b>%s</b></td>"
                            + "<td>%s</td><td>%s</td><td>%s</td></tr>%n", Html.escape(e.getKey()), pct(1 - r.top1Error()),
                    pct(1 - r.topKError()), pct(r.top1Error()), pct(r.topKError())));
        }
        b.append("</table>\n<img class=\"chart\" src=\"").append(PLOTS).append("/accuracy-by-mode.png\" "
                + "alt=\"top-1 and top-").append(report.topK()).append(" accuracy by crop mode\"></div>\n")
                .append("<p class=\"axis\">centre-crop: one centre crop; 10-crop: four corners and centre, and their "
                        + "mirror images; multi-scale: 10 crops at each of the scales ")
                .append(Html.escape(String.valueOf(report.scales()))).append(", softmax outputs averaged.</p>\n");

        b.append("<h2>Accuracy per class</h2>\n<img class=\"chart\" src=\"").append(PLOTS)
                .append("/per-class-accuracy.png\" alt=\"accuracy per class and crop mode\">\n");

        String mode = EvaluationReport.DETAIL_MODE.id();
        b.append("<h2>Confusion matrix (").append(mode).append(")</h2>\n<div class=\"row\">");
        if (table) {
            confusionTable(b, classes, detail.confusion());
        } else {
            b.append("<div><img class=\"chart\" src=\"").append(PLOTS).append("/confusion.png\" alt=\"confusion "
                    + "matrix heatmap\"><p class=\"axis\">The ").append(classes.size()).append('×')
                    .append(classes.size()).append(" counts are in report.json.</p></div>");
        }
        b.append("<div><b>Largest confusions</b> (true → predicted: images)\n<ol id=\"confusions\">\n");
        for (long[] c : EvaluationReport.topConfusions(detail.confusion(), TOP_CONFUSIONS)) {
            b.append("<li>").append(Html.escape(classes.get((int) c[0]))).append(" → ").append(Html.escape(classes.get((int) c[1])))
                    .append(": ").append(c[2]).append("</li>\n");
        }
        b.append("</ol></div></div>\n");

        List<EvaluationReport.Mistake> mistakes = report.mistakes() == null ? List.of() : report.mistakes();
        b.append("<h2>Most confident mistakes (").append(mode).append(")</h2>\n");
        if (mistakes.isEmpty()) {
            b.append("<p>None kept (<code>evaluate.mistakes</code> = 0, or no image was misclassified).</p>\n");
        } else {
            b.append("<p class=\"axis\">The ").append(mistakes.size()).append(" wrong predictions with the highest "
                    + "probability: <span class=\"t\">true class</span> → <span class=\"p\">predicted class</span> and "
                    + "its probability; below, the image's file (hover: its key and the true class's probability).</p>\n"
                    + "<div class=\"grid\" id=\"mistakes\">\n");
            for (int i = 0; i < mistakes.size(); i++) {
                EvaluationReport.Mistake m = mistakes.get(i);
                int w = thumbnailSizes[i][0];
                int h = thumbnailSizes[i][1];
                int scale = Math.max(1, THUMBNAIL_DISPLAY / Math.max(w, h));
                b.append("<figure class=\"mistake\" title=\"").append(Html.escape(m.trueClass())).append(": ")
                        .append(pct1(m.trueClassProbability())).append("\" data-key=\"").append(Html.escape(m.key()))
                        .append("\" data-true=\"")
                        .append(Html.escape(m.trueClass())).append("\" data-predicted=\"").append(Html.escape(m.predictedClass()))
                        .append("\"><img").append(scale > 1 ? " class=\"px\"" : "").append(" src=\"")
                        .append(Html.escape(m.image())).append("\" width=\"").append(w * scale).append("\" height=\"")
                        .append(h * scale).append("\" alt=\"").append(Html.escape(m.key())).append("\"><figcaption>")
                        .append("<span class=\"t\">").append(Html.escape(m.trueClass())).append("</span><br>→ ")
                        .append("<span class=\"p\">").append(Html.escape(m.predictedClass())).append("</span> <b>")
                        .append(pct1(m.probability())).append("</b><div class=\"key\" title=\"")
                        .append(Html.escape(m.key())).append("\">")
                        .append(Html.escape(m.key().substring(m.key().lastIndexOf('/') + 1)))
                        .append("</div></figcaption></figure>\n");
            }
            b.append("</div>\n");
        }

        b.append("<h2>Provenance</h2>\n<table class=\"prov\">\n");
        row(b, "model", report.model());
        row(b, "dataset", report.dataset());
        row(b, "dataset content SHA-256", report.datasetContentSha256() == null ? "(not recorded)"
                : report.datasetContentSha256());
        row(b, "split", report.split());
        if (report.provenance() != null) {
            for (Map.Entry<String, String> e : report.provenance().asMap().entrySet()) {
                row(b, e.getKey(), e.getValue());
            }
        }
        b.append("</table>\n<p>Configuration of the evaluation:</p>\n<pre>").append(Html.escape(configHocon.strip()))
                .append("</pre>\n</body></html>\n");
        return b.toString();
    }

    /**
     * The confusion matrix as a table: a row per true class, a column per predicted class, the count in each cell;
     * the diagonal shaded blue by the class's accuracy, the other cells red by their share of the true class (the
     * largest confusion darkest).
     */
    private static void confusionTable(StringBuilder b, List<String> classes, long[][] confusion) {
        int n = classes.size();
        double maxOff = 0;
        double[][] fraction = new double[n][n];
        for (int t = 0; t < n; t++) {
            long row = 0;
            for (long v : confusion[t]) {
                row += v;
            }
            for (int p = 0; p < n; p++) {
                fraction[t][p] = row == 0 ? 0 : (double) confusion[t][p] / row;
                if (t != p) {
                    maxOff = Math.max(maxOff, fraction[t][p]);
                }
            }
        }
        b.append("<table class=\"cm\" id=\"confusion\"><tr><th class=\"axis\" style=\"vertical-align:bottom;"
                + "text-align:right;white-space:nowrap\">true ↓ &nbsp; predicted →</th>");
        for (String c : classes) {
            b.append("<th class=\"pred\">").append(Html.escape(c)).append("</th>");
        }
        b.append("</tr>\n");
        for (int t = 0; t < n; t++) {
            b.append("<tr><th class=\"true\">").append(Html.escape(classes.get(t))).append("</th>");
            for (int p = 0; p < n; p++) {
                double shade = t == p ? fraction[t][p] : maxOff == 0 ? 0 : fraction[t][p] / maxOff;
                String rgb = t == p ? "33,113,181" : "214,39,40";
                b.append(String.format(Locale.ROOT, "<td style=\"background:rgba(%s,%.2f)%s\" title=\"%s → %s: "
                                + "%.1f%%\">%d</td>", rgb, t == p ? shade : 0.85 * shade,
                        shade > 0.55 ? ";color:#fff" : "", Html.escape(classes.get(t)), Html.escape(classes.get(p)),
                        100 * fraction[t][p], confusion[t][p]));
            }
            b.append("</tr>\n");
        }
        b.append("</table>\n");
    }

    /** "run-20240101T000000Z" for {@code …/runs/run-20240101T000000Z/model.zip}; the file name otherwise. */
    static String runName(String model) {
        Path p = new Path(model);
        return p.getParent() != null && !p.getParent().getName().isEmpty()
                ? p.getParent().getName() + " (" + p.getName() + ")" : p.getName();
    }

    private static void row(StringBuilder b, String name, String value) {
        b.append("<tr><th>").append(Html.escape(name)).append("</th><td><code>").append(Html.escape(String.valueOf(value)))
                .append("</code></td></tr>\n");
    }

    private static String pct1(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * v);
    }

    private static String pct(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * v);
    }
}
