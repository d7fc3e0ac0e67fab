package io.cnnpipeline.augment;

import io.cnnpipeline.image.Resize;
import io.cnnpipeline.image.UInt8Image;
import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * Inception-style random-resized-crop (Szegedy et al. 2015, as torchvision's {@code RandomResizedCrop}): a source
 * rectangle covering a fraction A ~ U[areaMin, areaMax] of the image's area with aspect ratio r (width / height,
 * log-uniform in [ratioMin, ratioMax]) is placed uniformly at random and resampled to {@code size}×{@code size}
 * (area filter when shrinking, bilinear when enlarging; {@link Resize#region}). Up to 10 attempts are made to fit the
 * rectangle; then the largest centred rectangle with the ratio clamped to the range is used.
 *
 * @param size     output side in pixels
 * @param areaMin  smallest area fraction, in (0, 1] (Inception: 0.08)
 * @param areaMax  largest area fraction, in [areaMin, 1]
 * @param ratioMin smallest aspect ratio width / height (Inception: 3/4)
 * @param ratioMax largest aspect ratio (Inception: 4/3)
 */
public record RandomResizedCrop(int size, double areaMin, double areaMax, double ratioMin, double ratioMax)
        implements Transform.FlipFusable<RandomResizedCrop.Params> {

    /** The source rectangle in pixels. */
    public record Params(int x, int y, int width, int height) implements Serializable {
    }

    public RandomResizedCrop {
        Check.that(size > 0, "random-resized-crop", "size must be positive", size);
        Check.that(areaMin > 0 && areaMin <= areaMax && areaMax <= 1, "random-resized-crop",
                "area fractions must satisfy 0 < min <= max <= 1", "[" + areaMin + ", " + areaMax + "]");
        Check.that(ratioMin > 0 && ratioMin <= ratioMax && Double.isFinite(ratioMax), "random-resized-crop",
                "aspect ratios must satisfy 0 < min <= max", "[" + ratioMin + ", " + ratioMax + "]");
    }

    @Override
    public String type() {
        return "random-resized-crop";
    }

    @Override
    public int outputSide() {
        return size;
    }

    @Override
    public Params sample(SplittableRandom rng, int width, int height, int channels) {
        double area = (double) width * height;
        double logMin = Math.log(ratioMin);
        double logMax = Math.log(ratioMax);
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * (areaMin + (areaMax - areaMin) * rng.nextDouble());
            double ratio = Math.exp(logMin + (logMax - logMin) * rng.nextDouble());
            int w = (int) Math.round(Math.sqrt(target * ratio));
            int h = (int) Math.round(Math.sqrt(target / ratio));
            if (w > 0 && h > 0 && w <= width && h <= height) {
                return new Params(rng.nextInt(width - w + 1), rng.nextInt(height - h + 1), w, h);
            }
        }
        double ratio = (double) width / height;
        int w;
        int h;
        if (ratio < ratioMin) {
            w = width;
            h = Math.max(1, Math.min(height, (int) Math.round(w / ratioMin)));
        } else if (ratio > ratioMax) {
            h = height;
            w = Math.max(1, Math.min(width, (int) Math.round(h * ratioMax)));
        } else {
            w = width;
            h = height;
        }
        return new Params((width - w) / 2, (height - h) / 2, w, h);
    }

    @Override
    public UInt8Image apply(UInt8Image image, Params p) {
        return Resize.region(image, p.x(), p.y(), p.width(), p.height(), size, size, false);
    }

    @Override
    public UInt8Image applyFlipped(UInt8Image image, Params p) {
        return Resize.region(image, p.x(), p.y(), p.width(), p.height(), size, size, true);
    }
}
