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
 */
public record EvaluationReport(String model, String dataset, String split, long images, List<String> classes,
                               int cropSize, int centreScale, List<Integer> scales, int viewsPerImage, int topK,
                               Map<String, ModeResult> modes, double seconds) {

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
                               CropPlan plan, double seconds) {
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
        return new EvaluationReport(model, config.dataset(), config.split(), counts.images, classes,
                config.cropSize(), config.centreScale(), config.scales(), plan.viewsPerImage(), counts.topK, modes,
                seconds);
    }

    /** The human-readable summary printed at the end of the job and written to {@code report.txt}. */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("Evaluation of %s%n  on %s split of %s: %d images, crop %d, centre scale %s, "
                        + "scales %s, %d views per image, %.1f s%n%n", model, split, dataset, images, cropSize,
                centreScale == 0 ? "as stored" : centreScale, scales, viewsPerImage, seconds));
        sb.append(String.format("  %-12s %12s %12s %12s%n", "mode", "top-1 error", "top-" + topK + " error",
                "top-1 acc"));
        for (Map.Entry<String, ModeResult> e : modes.entrySet()) {
            ModeResult r = e.getValue();
            sb.append(String.format("  %-12s %11.2f%% %11.2f%% %11.2f%%%n", e.getKey(), 100 * r.top1Error(),
                    100 * r.topKError(), 100 * (1 - r.top1Error())));
        }
        ModeResult best = modes.get(CropPlan.Mode.MULTI_SCALE.id());
        sb.append(String.format("%n  per-class accuracy (multi-scale):%n"));
        for (Map.Entry<String, Double> e : best.perClassAccuracy().entrySet()) {
            sb.append(String.format("    %-20s %6.2f%%%n", e.getKey(), 100 * e.getValue()));
        }
        sb.append(String.format("%n  confusion matrix (multi-scale; rows = true, columns = predicted):%n"));
        for (int i = 0; i < classes.size(); i++) {
            sb.append(String.format("    %3d", i));
            for (long v : best.confusion()[i]) {
                sb.append(String.format(" %6d", v));
            }
            sb.append("  ").append(classes.get(i)).append(System.lineSeparator());
        }
        return sb.toString();
    }
}
