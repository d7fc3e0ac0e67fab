package io.cnnpipeline.evaluation;

import io.cnnpipeline.dataset.Normalizer;
import io.cnnpipeline.image.UInt8Image;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Test-time views of images through a network, averaged per crop mode: the one place the evaluation job, batch
 * inference ({@code predict}) and {@code TrainedModel.predict} turn images into scores, so the three agree image for
 * image. Each image's distinct views ({@link CropPlan#uniqueViews}) that a requested mode uses are normalized
 * ({@link Normalizer}: NCHW float32, (pixel / 255 − mean) / std) and run as one batch with the other images' views;
 * a mode's score is the mean of the network's output rows over its logical views (shared views counted as often as
 * they occur). The network may return any number of columns per row (softmax probabilities, or probabilities
 * followed by an embedding). Not thread-safe when the network is not.
 */
public final class ViewScorer {
    private final CropPlan plan;
    private final Normalizer normalizer;
    private final UnaryOperator<INDArray> network;

    /**
     * @param plan       the views of each image
     * @param normalizer per-channel normalization of the training set
     * @param network    NCHW float32 batch [rows, C, crop, crop] → outputs [rows, width]
     */
    public ViewScorer(CropPlan plan, Normalizer normalizer, UnaryOperator<INDArray> network) {
        this.plan = plan;
        this.normalizer = normalizer;
        this.network = network;
    }

    /** Views per image in the largest mode of {@code modes} (how many rows one image adds to a batch at most). */
    public int viewsPerImage(List<CropPlan.Mode> modes) {
        int n = 0;
        for (CropPlan.Mode m : modes) {
            int[] r = plan.range(m);
            n += r[1] - r[0];
        }
        return Math.max(1, n);
    }

    /**
     * Scores images as one forward pass.
     *
     * @param images HWC uint8 images with the normalizer's channels, any size (views are zero-padded when smaller
     *               than the crop)
     * @param modes  the modes wanted, at least one
     * @return {@code [image][index of the mode in modes][column]}: the mean output row over the mode's views
     * @throws IllegalArgumentException if an image's channels differ from the normalizer's
     */
    public double[][][] score(List<UInt8Image> images, List<CropPlan.Mode> modes) {
        int c = normalizer.channels();
        int size = plan.cropSize();
        int chw = c * size * size;
        List<CropPlan.Views> views = new ArrayList<>(images.size());
        List<int[]> rowOfUnique = new ArrayList<>(images.size());
        int rows = 0;
        for (int i = 0; i < images.size(); i++) {
            UInt8Image image = images.get(i);
            if (image.channels() != c) {
                throw new IllegalArgumentException("image " + i + " has " + image.channels() + " channel(s), the "
                        + "model takes " + c);
            }
            CropPlan.Views v = plan.uniqueViews(image);
            int[] row = new int[v.unique().size()];
            java.util.Arrays.fill(row, -1);
            for (CropPlan.Mode m : modes) {
                int[] r = plan.range(m);
                for (int l = r[0]; l < r[1]; l++) {
                    if (row[v.index()[l]] < 0) {
                        row[v.index()[l]] = rows++;
                    }
                }
            }
            views.add(v);
            rowOfUnique.add(row);
        }
        float[] features = new float[rows * chw];
        for (int i = 0; i < images.size(); i++) {
            int[] row = rowOfUnique.get(i);
            for (int u = 0; u < row.length; u++) {
                if (row[u] >= 0) {
                    normalizer.writeChw(views.get(i).unique().get(u), features, row[u] * chw);
                }
            }
        }
        double[][][] out = new double[images.size()][modes.size()][];
        if (rows == 0) {
            return out;
        }
        INDArray output = network.apply(Nd4j.create(features, new long[] {rows, c, size, size}, 'c'));
        int width = (int) output.size(1);
        float[] values = output.castTo(DataType.FLOAT).dup('c').data().asFloat();
        for (int i = 0; i < images.size(); i++) {
            int[] index = views.get(i).index();
            int[] row = rowOfUnique.get(i);
            for (int m = 0; m < modes.size(); m++) {
                int[] r = plan.range(modes.get(m));
                double[] mean = new double[width];
                for (int l = r[0]; l < r[1]; l++) {
                    int base = row[index[l]] * width;
                    for (int k = 0; k < width; k++) {
                        mean[k] += values[base + k];
                    }
                }
                for (int k = 0; k < width; k++) {
                    mean[k] /= r[1] - r[0];
                }
                out[i][m] = mean;
            }
        }
        return out;
    }
}
