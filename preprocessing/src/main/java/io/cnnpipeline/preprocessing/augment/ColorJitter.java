package io.cnnpipeline.preprocessing.augment;

import io.cnnpipeline.preprocessing.UInt8Image;
import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * Brightness, contrast and saturation jitter, in that order, with torchvision's definitions: each factor f is drawn
 * uniformly from [max(0, 1 − j), 1 + j] for jitter j, and the image is blended with a reference —
 * black for brightness ({@code f·v}), the mean luma of the image for contrast ({@code f·v + (1 − f)·mean}), the
 * pixel's own luma for saturation ({@code f·v + (1 − f)·Y}). Luma is ITU-R BT.601 (0.299 R + 0.587 G + 0.114 B).
 * Each step rounds to nearest and clamps to 0..255. Saturation does nothing on 1-channel images. Factors of 1 are
 * the identity.
 *
 * @param brightness jitter j &ge; 0 of the brightness factor
 * @param contrast   jitter of the contrast factor
 * @param saturation jitter of the saturation factor
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
        Check.that(saturation >= 0 && Double.isFinite(saturation), "color-jitter", "saturation must be >= 0",
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
        byte[] px = image.pixels().clone();
        int c = image.channels();
        if (p.brightness() != 1.0) {
            byte[] lut = new byte[256];
            for (int v = 0; v < 256; v++) {
                lut[v] = clamp(p.brightness() * v);
            }
            for (int i = 0; i < px.length; i++) {
                px[i] = lut[px[i] & 0xFF];
            }
        }
        if (p.contrast() != 1.0) {
            double mean = meanLuma(px, c);
            byte[] lut = new byte[256];
            for (int v = 0; v < 256; v++) {
                lut[v] = clamp(p.contrast() * v + (1 - p.contrast()) * mean);
            }
            for (int i = 0; i < px.length; i++) {
                px[i] = lut[px[i] & 0xFF];
            }
        }
        if (p.saturation() != 1.0 && c == 3) {
            float f = (float) p.saturation();
            float g = 1 - f;
            for (int i = 0; i < px.length; i += 3) {
                int r = px[i] & 0xFF;
                int gr = px[i + 1] & 0xFF;
                int b = px[i + 2] & 0xFF;
                float y = g * (0.299f * r + 0.587f * gr + 0.114f * b);
                px[i] = clamp(f * r + y);
                px[i + 1] = clamp(f * gr + y);
                px[i + 2] = clamp(f * b + y);
            }
        }
        return new UInt8Image(image.width(), image.height(), c, px);
    }

    static double meanLuma(byte[] px, int c) {
        long sum0 = 0;
        if (c == 1) {
            for (byte b : px) {
                sum0 += b & 0xFF;
            }
            return (double) sum0 / px.length;
        }
        long r = 0;
        long g = 0;
        long b = 0;
        for (int i = 0; i < px.length; i += 3) {
            r += px[i] & 0xFF;
            g += px[i + 1] & 0xFF;
            b += px[i + 2] & 0xFF;
        }
        return (0.299 * r + 0.587 * g + 0.114 * b) / (px.length / 3);
    }

    static byte clamp(double v) {
        long r = Math.round(v);
        return (byte) (r < 0 ? 0 : (r > 255 ? 255 : r));
    }

    static byte clamp(float v) {
        int r = Math.round(v);
        return (byte) (r < 0 ? 0 : (r > 255 ? 255 : r));
    }
}
