package io.cnnpipeline.augment;

import io.cnnpipeline.dataset.DatasetStats;
import io.cnnpipeline.image.UInt8Image;
import java.io.Serializable;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * AlexNet's PCA lighting noise (Krizhevsky et al. 2012, §4.1): with λᵢ, pᵢ the eigenvalues and unit eigenvectors of
 * the training set's 3×3 RGB covariance (of values in [0, 1], from {@code stats.json}), draw αᵢ ~ N(0, σ) once per
 * image and add the same vector Σᵢ αᵢλᵢpᵢ (in [0, 1] units, so × 255 on uint8 values) to every pixel; results are
 * rounded to nearest and clamped to 0..255. Needs RGB images.
 *
 * <p>Configured with σ alone ({@link #unbound}); {@link #bind} supplies the eigen-decomposition from the dataset's
 * statistics before training.
 *
 * @param sigma        standard deviation σ of each αᵢ (AlexNet: 0.1)
 * @param eigenvalues  λ₁ ≥ λ₂ ≥ λ₃ (in [0, 1]² units), or null while unbound
 * @param eigenvectors pᵢ = {@code eigenvectors[i]}, RGB, unit length, or null while unbound
 * @param stddev       false: the paper's formula with λᵢ; true: √λᵢ (the standard deviation along each component)
 *                     in place of λᵢ. With eigenvalues of [0, 1] values (λ₁ is typically 0.02–0.15) the literal
 *                     formula shifts colours by about one level at σ = 0.1; √λᵢ gives the few-level shifts that
 *                     common ResNet training code applies.
 */
public record PcaLighting(double sigma, double[] eigenvalues, double[][] eigenvectors, boolean stddev)
        implements Transform<PcaLighting.Params> {

    /** The sampled αᵢ, one per principal component. */
    public record Params(double[] alpha) implements Serializable {
        @Override
        public boolean equals(Object o) {
            return o instanceof Params p && Arrays.equals(alpha, p.alpha);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(alpha);
        }

        @Override
        public String toString() {
            return "Params[alpha=" + Arrays.toString(alpha) + "]";
        }
    }

    /** The paper's formula (λᵢ, not √λᵢ). */
    public PcaLighting(double sigma, double[] eigenvalues, double[][] eigenvectors) {
        this(sigma, eigenvalues, eigenvectors, false);
    }

    public PcaLighting {
        Check.that(sigma >= 0 && Double.isFinite(sigma), "pca-lighting", "sigma must be >= 0", sigma);
        Check.that((eigenvalues == null) == (eigenvectors == null), "pca-lighting",
                "eigenvalues and eigenvectors go together", eigenvalues == null ? "no eigenvalues" : "no eigenvectors");
        if (eigenvalues != null) {
            Check.that(eigenvalues.length == 3 && eigenvectors.length == 3, "pca-lighting",
                    "needs the 3 principal components of RGB (the dataset has " + eigenvalues.length
                            + " channel(s))", eigenvalues.length);
            for (double[] v : eigenvectors) {
                Check.that(v.length == 3, "pca-lighting", "eigenvectors must have 3 components", v.length);
            }
        }
    }

    /** σ only; {@link #bind} adds the dataset's principal components. */
    public static PcaLighting unbound(double sigma) {
        return new PcaLighting(sigma, null, null, false);
    }

    /** σ and the magnitude rule ({@code stddev}: √λᵢ instead of λᵢ); {@link #bind} adds the components. */
    public static PcaLighting unbound(double sigma, boolean stddev) {
        return new PcaLighting(sigma, null, null, stddev);
    }

    /**
     * This transform with the principal components of {@code stats}.
     *
     * @throws IllegalArgumentException if the dataset is not RGB
     */
    public PcaLighting bind(DatasetStats stats) {
        return new PcaLighting(sigma, stats.eigenvalues(), stats.eigenvectors(), stddev);
    }

    public boolean bound() {
        return eigenvalues != null;
    }

    @Override
    public String type() {
        return "pca-lighting";
    }

    @Override
    public Params sample(SplittableRandom rng, int width, int height, int channels) {
        double[] alpha = new double[3];
        for (int i = 0; i < 3; i++) {
            alpha[i] = sigma * Gaussian.next(rng);
        }
        return new Params(alpha);
    }

    /**
     * The RGB offset Σᵢ αᵢλᵢpᵢ in [0, 1] units.
     *
     * @throws IllegalStateException if not {@link #bind bound}
     */
    public double[] offset(Params p) {
        if (!bound()) {
            throw new IllegalStateException("Cannot apply pca-lighting: no principal components (bind it to the "
                    + "dataset's stats.json first)");
        }
        double[] d = new double[3];
        for (int i = 0; i < 3; i++) {
            for (int ch = 0; ch < 3; ch++) {
                double magnitude = stddev ? Math.sqrt(eigenvalues[i]) : eigenvalues[i];
                d[ch] += p.alpha()[i] * magnitude * eigenvectors[i][ch];
            }
        }
        return d;
    }

    /** Per-channel lookup tables of the lighting offset: {@code lut[ch][v] = clamp(round(v + 255·offset[ch]))}. */
    byte[][] luts(Params p) {
        double[] d = offset(p);
        byte[][] lut = new byte[3][256];
        for (int ch = 0; ch < 3; ch++) {
            for (int v = 0; v < 256; v++) {
                lut[ch][v] = ColorJitter.clamp(v + 255.0 * d[ch]);
            }
        }
        return lut;
    }

    @Override
    public UInt8Image apply(UInt8Image image, Params p) {
        if (image.channels() != 3) {
            throw new IllegalArgumentException("Cannot apply pca-lighting: needs an RGB image (got "
                    + image.channels() + " channel)");
        }
        byte[][] lut = luts(p);
        byte[] src = image.pixels();
        byte[] out = new byte[src.length];
        for (int i = 0; i < src.length; i += 3) {
            out[i] = lut[0][src[i] & 0xFF];
            out[i + 1] = lut[1][src[i + 1] & 0xFF];
            out[i + 2] = lut[2][src[i + 2] & 0xFF];
        }
        return new UInt8Image(image.width(), image.height(), 3, out);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PcaLighting p && sigma == p.sigma && stddev == p.stddev
                && Arrays.equals(eigenvalues, p.eigenvalues)
                && Arrays.deepEquals(eigenvectors, p.eigenvectors);
    }

    @Override
    public int hashCode() {
        return Double.hashCode(sigma) * 31 + Arrays.hashCode(eigenvalues);
    }

    @Override
    public String toString() {
        return "PcaLighting[sigma=" + sigma + (stddev ? ", sqrt(eigenvalues)" : "") + (bound() ? ", eigenvalues=" + Arrays.toString(eigenvalues) : ", unbound")
                + "]";
    }
}
