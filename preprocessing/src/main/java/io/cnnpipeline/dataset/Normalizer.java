package io.cnnpipeline.dataset;

import io.cnnpipeline.image.UInt8Image;
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
    private transient float[][] luts;

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
        if (c == 3) {
            float[] l0 = lut(0);
            float[] l1 = lut(1);
            float[] l2 = lut(2);
            for (int i = 0, j = 0; i < hw; i++, j += 3) {
                dst[offset + i] = l0[px[j] & 0xFF];
                dst[offset + hw + i] = l1[px[j + 1] & 0xFF];
                dst[offset + 2 * hw + i] = l2[px[j + 2] & 0xFF];
            }
            return;
        }
        for (int ch = 0; ch < c; ch++) {
            float[] lut = lut(ch);
            int base = offset + ch * hw;
            for (int i = 0, j = ch; i < hw; i++, j += c) {
                dst[base + i] = lut[px[j] & 0xFF];
            }
        }
    }

    /** The 256 normalized values of channel {@code ch}, computed once per instance (also after deserialization). */
    private float[] lut(int ch) {
        float[][] l = luts;
        if (l == null) {
            l = new float[mean.length][256];
            for (int k = 0; k < mean.length; k++) {
                float s = invStd[k] / 255f;
                float m2 = mean[k] * invStd[k];
                for (int v = 0; v < 256; v++) {
                    l[k][v] = v * s - m2;
                }
            }
            luts = l;
        }
        return l[ch];
    }
}
