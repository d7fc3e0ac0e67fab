package io.cnnpipeline.evaluation;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code report.json}: results per evaluation mode.
 *
 * @param model         URI of the evaluated {@code model.zip}
 * @param dataset       URI of the dataset
 * @param split         evaluated split
 * @param images        images evaluated
 * @param classes       class names
 * @param cropSize      crop side in pixels
 * @param centreScale   short side before centre/10-crop (0 = stored)
 * @param scales        multi-scale short sides
 * @param viewsPerImage network forward passes per image
 * @param topK          k of the top-k error (5, or the number of classes if fewer)
 * @param modes         mode id ({@code centre-crop}, {@code 10-crop}, {@code multi-scale}) → result
 * @param seconds       wall time of the job
 * @param datasetContentSha256 the evaluated dataset's content fingerprint ({@code _manifest.json}'s
 *                      {@code contentSha256}; null for datasets written before it)
 * @param provenance    what ran the evaluation
 * @param mistakes      the most confident wrong predictions of {@link #DETAIL_MODE}, most confident first, at most
 *                      {@code evaluate.mistakes} (null in reports written before they were kept)
 */
public record EvaluationReport(String model, String dataset, String split, long images, List<String> classes,
                               int cropSize, int centreScale, List<Integer> scales, int viewsPerImage, int topK,
                               Map<String, ModeResult> modes, double seconds, String datasetContentSha256,
                               io.cnnpipeline.core.Provenance provenance, List<Mistake> mistakes) {

    /** The mode whose per-class results, confusions and mistakes the summary and the page detail. */
    public static final CropPlan.Mode DETAIL_MODE = CropPlan.Mode.MULTI_SCALE;

    /**
     * One of the most confident wrong predictions.
     *
     * @param key                  the shard record's key
     * @param trueClass            the class it belongs to
     * @param predictedClass       the class the network gave it (never the true one)
     * @param probability          the predicted class's softmax output averaged over the mode's views, in [0, 1]
     * @param trueClassProbability the true class's, in [0, 1]
     * @param image                the image's file, relative to the report directory ({@code mistakes/001.png})
     */
    public record Mistake(String key, String trueClass, String predictedClass, double probability,
                          double trueClassProbability, String image) {
    }

    /**
     * Results of one mode.
     *
     * @param top1Error        fraction of images whose highest-scoring class is wrong
     * @param topKError        fraction of images whose true class is not among the top k
     * @param perClassAccuracy class name → fraction of that class's images classified correctly (recall)
     * @param confusion        rows = true class, columns = predicted class, counts of images
     */
    public record ModeResult(double top1Error, double topKError, Map<String, Double> perClassAccuracy,
                             long[][] confusion) {
    }

    static EvaluationReport of(EvaluationCounts counts, EvaluationConfig config, String model, List<String> classes,
                               CropPlan plan, double seconds, String datasetContentSha256,
                               io.cnnpipeline.core.Provenance provenance) {
        Map<String, ModeResult> modes = new LinkedHashMap<>();
        for (CropPlan.Mode mode : CropPlan.Mode.values()) {
            long[][] cm = counts.confusion[mode.ordinal()];
            long correct = 0;
            Map<String, Double> perClass = new LinkedHashMap<>();
            for (int i = 0; i < classes.size(); i++) {
                long row = 0;
                for (long v : cm[i]) {
                    row += v;
                }
                correct += cm[i][i];
                perClass.put(classes.get(i), row == 0 ? Double.NaN : (double) cm[i][i] / row);
            }
            double n = Math.max(1, counts.images);
            modes.put(mode.id(), new ModeResult(1 - correct / n, 1 - counts.topKCorrect[mode.ordinal()] / n,
                    perClass, cm));
        }
        List<Mistake> mistakes = new java.util.ArrayList<>();
        for (EvaluationCounts.Mistake m : counts.mistakes) {
            mistakes.add(new Mistake(m.key(), classes.get(m.label()), classes.get(m.predicted()), m.probability(),
                    m.labelProbability(), mistakeImage(mistakes.size())));
        }
        return new EvaluationReport(model, config.dataset(), config.split().id(), counts.images, classes,
                config.cropSize(), config.centreScale(), config.scales(), plan.viewsPerImage(), counts.topK, modes,
                seconds, datasetContentSha256, provenance, List.copyOf(mistakes));
    }

    /** Directory of the mistakes' images, beside {@code report.html}. */
    static final String MISTAKES_DIR = "mistakes";

    /** The file of the {@code index}-th (0-based) mistake's image, relative to the report directory. */
    static String mistakeImage(int index) {
        return String.format(java.util.Locale.ROOT, "%s/%03d.png", MISTAKES_DIR, index + 1);
    }

    /** Up to this many classes, the summary lists every class and prints the confusion matrix. */
    static final int FULL_LISTING_CLASSES = 20;
    /** Off-diagonal cells the summary lists. */
    static final int TOP_CONFUSIONS = 10;

    /**
     * The largest off-diagonal cells of a confusion matrix, largest first (ties: lower true, then predicted class).
     *
     * @return up to {@code n} triples {true class, predicted class, images}; cells with 0 images are left out
     */
    static List<long[]> topConfusions(long[][] confusion, int n) {
        List<long[]> cells = new java.util.ArrayList<>();
        for (int i = 0; i < confusion.length; i++) {
            for (int j = 0; j < confusion[i].length; j++) {
                if (i != j && confusion[i][j] > 0) {
                    cells.add(new long[] {i, j, confusion[i][j]});
                }
            }
        }
        cells.sort((a, b) -> a[2] != b[2] ? Long.compare(b[2], a[2])
                : a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
        return cells.subList(0, Math.min(n, cells.size()));
    }

    /** The human-readable summary printed at the end of the job and written to {@code report.txt}. */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(java.util.Locale.ROOT, "Evaluation of %s%n  on %s split of %s: %d images, crop %d, centre scale %s, "
                        + "scales %s, %d views per image, %.1f s%n%n", model, split, dataset, images, cropSize,
                centreScale == 0 ? "as stored" : centreScale, scales, viewsPerImage, seconds));
        sb.append(String.format(java.util.Locale.ROOT, "  %-12s %12s %12s %12s%n", "mode", "top-1 error", "top-" + topK + " error",
                "top-1 acc"));
        for (Map.Entry<String, ModeResult> e : modes.entrySet()) {
            ModeResult r = e.getValue();
            sb.append(String.format(java.util.Locale.ROOT, "  %-12s %11.2f%% %11.2f%% %11.2f%%%n", e.getKey(), 100 * r.top1Error(),
                    100 * r.topKError(), 100 * (1 - r.top1Error())));
        }
        ModeResult best = modes.get(DETAIL_MODE.id());
        boolean small = classes.size() <= FULL_LISTING_CLASSES;
        sb.append(String.format(java.util.Locale.ROOT, "%n  per-class accuracy (multi-scale%s):%n",
                small ? "" : "; the " + FULL_LISTING_CLASSES + " lowest of " + classes.size()));
        best.perClassAccuracy().entrySet().stream()
                .sorted(small ? (a, b) -> 0 : Map.Entry.comparingByValue())
                .limit(small ? classes.size() : FULL_LISTING_CLASSES)
                .forEach(e -> sb.append(String.format(java.util.Locale.ROOT, "    %-20s %6.2f%%%n", e.getKey(),
                        100 * e.getValue())));
        sb.append(String.format(java.util.Locale.ROOT, "%n  top confusions (multi-scale; true -> predicted: images):%n"));
        for (long[] c : topConfusions(best.confusion(), TOP_CONFUSIONS)) {
            sb.append(String.format(java.util.Locale.ROOT, "    %-20s -> %-20s %6d%n", classes.get((int) c[0]),
                    classes.get((int) c[1]), c[2]));
        }
        if (small) {
            sb.append(String.format(java.util.Locale.ROOT,
                    "%n  confusion matrix (multi-scale; rows = true, columns = predicted):%n"));
            for (int i = 0; i < classes.size(); i++) {
                sb.append(String.format(java.util.Locale.ROOT, "    %3d", i));
                for (long v : best.confusion()[i]) {
                    sb.append(String.format(java.util.Locale.ROOT, " %6d", v));
                }
                sb.append("  ").append(classes.get(i)).append(System.lineSeparator());
            }
        } else {
            sb.append(String.format(java.util.Locale.ROOT,
                    "%n  (the %dx%d confusion matrices are in report.json)%n", classes.size(), classes.size()));
        }
        if (mistakes != null && !mistakes.isEmpty()) {
            sb.append(String.format(java.util.Locale.ROOT,
                    "%n  most confident mistakes (multi-scale; true -> predicted: probability; report.html shows %d):%n",
                    mistakes.size()));
            for (Mistake m : mistakes.subList(0, Math.min(TOP_CONFUSIONS, mistakes.size()))) {
                sb.append(String.format(java.util.Locale.ROOT, "    %-20s -> %-20s %6.4f  %s%n", m.trueClass(),
                        m.predictedClass(), m.probability(), m.key()));
            }
        }
        return sb.toString();
    }
}
