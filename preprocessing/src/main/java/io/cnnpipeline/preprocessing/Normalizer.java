package io.cnnpipeline.preprocessing;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Per-channel normalization to network input: {@code (v / 255 - mean[c]) / std[c]} with mean and standard deviation
 * in [0, 1] units (as in {@code stats.json}), written as float32 in CHW order into an NCHW minibatch buffer.
 * Immutable and executor-safe.
 */
public final class Normalizer implements Serializable {
    private static final long serialVersionUID = 1L;

    private final float[] mean;
    private final float[] invStd;

    /**
     * @throws IllegalArgumentException if lengths differ or a standard deviation is not positive
     */
    public Normalizer(double[] mean, double[] std) {
        if (mean.length != std.length || mean.length == 0) {
            throw new IllegalArgumentException("Cannot create normalizer: mean and std need the same non-zero length (got "
                    + mean.length + " and " + std.length + ")");
        }
        this.mean = new float[mean.length];
        this.invStd = new float[std.length];
        for (int c = 0; c < mean.length; c++) {
            if (!(std[c] > 0)) {
                throw new IllegalArgumentException("Cannot create normalizer: std must be positive (got "
                        + Arrays.toString(std) + ")");
            }
            this.mean[c] = (float) mean[c];
            this.invStd[c] = (float) (1.0 / std[c]);
        }
    }

    public int channels() {
        return mean.length;
    }

    /**
     * Writes {@code image} as normalized CHW float32 into {@code dst} starting at {@code offset} (the image's slot in
     * an NCHW buffer: {@code offset = n * C * H * W}).
     *
     * @throws IllegalArgumentException if the image's channel count differs from the normalizer's
     */
    public void writeChw(UInt8Image image, float[] dst, int offset) {
        int c = image.channels();
        if (c != mean.length) {
            throw new IllegalArgumentException("Cannot normalize a " + c + "-channel image with " + mean.length
                    + "-channel statistics");
        }
        int hw = image.width() * image.height();
        byte[] px = image.pixels();
        for (int ch = 0; ch < c; ch++) {
            float m = mean[ch];
            float s = invStd[ch] / 255f;
            float m2 = m * invStd[ch];
            int base = offset + ch * hw;
            for (int i = 0; i < hw; i++) {
                dst[base + i] = (px[i * c + ch] & 0xFF) * s - m2;
            }
        }
    }
}
