package io.cnnpipeline.dataset;

import java.util.Map;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;

/**
 * Training-set statistics, as stored in {@code stats.json}. All pixel statistics are of values scaled to [0, 1]
 * ({@code v / 255}), per channel in RGB order (or luma), over every pixel of every stored training image.
 *
 * @param channels     1 or 3
 * @param images       number of images
 * @param pixels       number of pixels per channel
 * @param mean         per-channel mean
 * @param std          per-channel population standard deviation
 * @param covariance   C×C channel covariance
 * @param eigenvalues  eigenvalues of the covariance, descending (AlexNet PCA lighting: λᵢ)
 * @param eigenvectors eigenvectors, {@code eigenvectors[i]} belongs to {@code eigenvalues[i]} (pᵢ, unit length)
 * @param classCounts  images per class name
 * @param imageSizes   images per stored size {@code "<width>x<height>"}
 */
public record DatasetStats(int channels, long images, long pixels, double[] mean, double[] std, double[][] covariance,
                           double[] eigenvalues, double[][] eigenvectors, Map<String, Long> classCounts,
                           Map<String, Long> imageSizes) {

    /**
     * Computes the statistics from summed {@link PixelMoments}.
     *
     * @throws IllegalArgumentException if there are no pixels
     */
    public static DatasetStats fromMoments(long[] moments, int channels, long images, Map<String, Long> classCounts,
                                           Map<String, Long> imageSizes) {
        if (moments.length != PixelMoments.length(channels)) {
            throw new IllegalArgumentException("moments have length " + moments.length + ", expected "
                    + PixelMoments.length(channels));
        }
        long n = moments[0];
        if (n <= 0) {
            throw new IllegalArgumentException("Cannot compute dataset statistics: the training split has no pixels");
        }
        double[] mean = new double[channels];
        for (int a = 0; a < channels; a++) {
            mean[a] = moments[1 + a] / (255.0 * n);
        }
        double[][] cov = new double[channels][channels];
        double[] std = new double[channels];
        for (int a = 0; a < channels; a++) {
            for (int b = 0; b < channels; b++) {
                cov[a][b] = moments[1 + channels + a * channels + b] / (255.0 * 255.0 * n) - mean[a] * mean[b];
            }
            std[a] = Math.sqrt(Math.max(0, cov[a][a]));
        }
        EigenDecomposition eig = new EigenDecomposition(new Array2DRowRealMatrix(cov, false));
        double[] values = eig.getRealEigenvalues();
        Integer[] order = new Integer[channels];
        for (int i = 0; i < channels; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (i, j) -> Double.compare(values[j], values[i]));
        double[] sortedValues = new double[channels];
        double[][] vectors = new double[channels][];
        for (int i = 0; i < channels; i++) {
            sortedValues[i] = Math.max(0, values[order[i]]);
            vectors[i] = eig.getEigenvector(order[i]).toArray();
        }
        return new DatasetStats(channels, images, n, mean, std, cov, sortedValues, vectors, classCounts, imageSizes);
    }
}
