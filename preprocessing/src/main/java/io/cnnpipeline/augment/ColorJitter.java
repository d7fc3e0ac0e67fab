package io.cnnpipeline.augment;

import io.cnnpipeline.image.UInt8Image;
import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * Brightness, contrast and saturation jitter, in that order, with torchvision's definitions: each factor f is drawn
 * uniformly from [max(0, 1 − j), 1 + j] for jitter j, and the image is blended with a reference —
 * black for brightness ({@code f·v}), the mean luma of the image for contrast ({@code f·v + (1 − f)·mean}), the
 * pixel's own luma for saturation ({@code f·v + (1 − f)·Y}, in 16.16 fixed point). Luma is ITU-R BT.601 (0.299 R + 0.587 G + 0.114 B).
 * Each step rounds to nearest and clamps to 0..255. Saturation does nothing on 1-channel images. Factors of 1 are
 * the identity.
 *
 * @param brightness jitter j &ge; 0 of the brightness factor
 * @param contrast   jitter of the contrast factor
 * @param saturation jitter of the saturation factor, at most 10
 */
public record ColorJitter(double brightness, double contrast, double saturation)
        implements Transform<ColorJitter.Params> {

    /** The sampled factors; 1 = unchanged. */
    public record Params(double brightness, double contrast, double saturation) implements Serializable {
    }


    public ColorJitter {
        Check.that(brightness >= 0 && Double.isFinite(brightness), "color-jitter", "brightness must be >= 0",
                brightness);
        Check.that(contrast >= 0 && Double.isFinite(contrast), "color-jitter", "contrast must be >= 0", contrast);
        Check.that(saturation >= 0 && saturation <= 10, "color-jitter", "saturation must be in [0, 10]",
                saturation);
    }

    @Override
    public String type() {
        return "color-jitter";
    }

    @Override
    public Params sample(SplittableRandom rng, int width, int height, int channels) {
        return new Params(factor(rng, brightness), factor(rng, contrast), factor(rng, saturation));
    }

    private static double factor(SplittableRandom rng, double jitter) {
        double lo = Math.max(0, 1 - jitter);
        double hi = 1 + jitter;
        double u = rng.nextDouble();
        return jitter == 0 ? 1.0 : lo + (hi - lo) * u;
    }

    @Override
    public UInt8Image apply(UInt8Image image, Params p) {
        return apply(image, p, null);
    }

    /**
     * Applies the jitter, then (when not null) per-channel lookup tables {@code post[ch][v]} in the same pass —
     * how {@link AugmentationPipeline} fuses a following {@link PcaLighting}; equal to applying the two in turn.
     */
    UInt8Image apply(UInt8Image image, Params p, byte[][] post) {
        byte[] src = image.pixels();
        int c = image.channels();
        // Brightness and contrast are per-value maps: one LUT. The contrast reference (mean luma of the
        // brightness-adjusted image) comes from per-channel histograms of the input, so the image is read once.
        int[] lut = new int[256];
        for (int v = 0; v < 256; v++) {
            lut[v] = p.brightness() == 1.0 ? v : clamp(p.brightness() * v) & 0xFF;
        }
        if (p.contrast() != 1.0) {
            int[] hist = new int[256 * c];
            if (c == 3) {
                for (int i = 0; i < src.length; i += 3) {
                    hist[src[i] & 0xFF]++;
                    hist[256 + (src[i + 1] & 0xFF)]++;
                    hist[512 + (src[i + 2] & 0xFF)]++;
                }
            } else {
                for (int i = 0; i < src.length; i++) {
                    hist[256 * (i % c) + (src[i] & 0xFF)]++;
                }
            }
            double mean = meanLuma(hist, lut, c, src.length / c);
            for (int v = 0; v < 256; v++) {
                lut[v] = clamp(p.contrast() * lut[v] + (1 - p.contrast()) * mean) & 0xFF;
            }
        }
        byte[] px = new byte[src.length];
        if (p.saturation() != 1.0 && c == 3) {
            // brightness/contrast LUT, saturation (and the post tables) in one pass
            float f = (float) p.saturation();
            float g = 1 - f;
            float kr = g * 0.299f;
            float kg = g * 0.587f;
            float kb = g * 0.114f;
            saturate(src, px, lut, f, kr, kg, kb);
            if (post != null) {
                byte[] p0 = post[0];
                byte[] p1 = post[1];
                byte[] p2 = post[2];
                for (int i = 0; i < px.length; i += 3) {
                    px[i] = p0[px[i] & 0xFF];
                    px[i + 1] = p1[px[i + 1] & 0xFF];
                    px[i + 2] = p2[px[i + 2] & 0xFF];
                }
            }
        } else {
            byte[][] table = new byte[c][256];
            for (int ch = 0; ch < c; ch++) {
                for (int v = 0; v < 256; v++) {
                    table[ch][v] = post != null ? post[ch][lut[v]] : (byte) lut[v];
                }
            }
            if (c == 3) {
                byte[] t0 = table[0];
                byte[] t1 = table[1];
                byte[] t2 = table[2];
                for (int i = 0; i < px.length; i += 3) {
                    px[i] = t0[src[i] & 0xFF];
                    px[i + 1] = t1[src[i + 1] & 0xFF];
                    px[i + 2] = t2[src[i + 2] & 0xFF];
                }
            } else {
                byte[] t0 = table[0];
                for (int i = 0; i < px.length; i++) {
                    px[i] = t0[src[i] & 0xFF];
                }
            }
        }
        return new UInt8Image(image.width(), image.height(), c, px);
    }

    /**
     * {@code f·v + (1 − f)·Y} per channel in 16.16 fixed point (coefficients rounded to 1/65536, so results may
     * differ from the exact blend by one level at most), rounded half up and clamped.
     */
    private static void saturate(byte[] src, byte[] px, int[] lut, float f, float kr, float kg, float kb) {
        int fi = Math.round(f * 65536f);
        int ri = Math.round(kr * 65536f);
        int gi = Math.round(kg * 65536f);
        int bi = Math.round(kb * 65536f);
        for (int i = 0; i < px.length; i += 3) {
            int r = lut[src[i] & 0xFF];
            int gr = lut[src[i + 1] & 0xFF];
            int b = lut[src[i + 2] & 0xFF];
            int y = ri * r + gi * gr + bi * b + 32768;
            px[i] = clamp16(fi * r + y);
            px[i + 1] = clamp16(fi * gr + y);
            px[i + 2] = clamp16(fi * b + y);
        }
    }

    private static byte clamp16(int v) {
        int r = v >> 16;
        return (byte) (r < 0 ? 0 : (r > 255 ? 255 : r));
    }

    /** Mean BT.601 luma (or mean value of a luma image) given per-channel histograms, after {@code lut}. */
    private static double meanLuma(int[] hist, int[] lut, int c, int pixels) {
        double[] mean = new double[c];
        for (int ch = 0; ch < c; ch++) {
            long sum = 0;
            for (int v = 0; v < 256; v++) {
                sum += (long) hist[256 * ch + v] * lut[v];
            }
            mean[ch] = (double) sum / pixels;
        }
        return c == 1 ? mean[0] : 0.299 * mean[0] + 0.587 * mean[1] + 0.114 * mean[2];
    }

    /** Round half up and clamp to 0..255 (no call to Math.round on the per-pixel path; NaN gives 0). */
    static byte clampRound(float v) {
        if (v <= 0f) {
            return 0;
        }
        if (v >= 255f) {
            return (byte) 255;
        }
        return (byte) (int) (v + 0.5f);
    }

    static byte clamp(double v) {
        long r = Math.round(v);
        return (byte) (r < 0 ? 0 : (r > 255 ? 255 : r));
    }

    static byte clamp(float v) {
        return clampRound(v);
    }
}
