package io.cnnpipeline.augment;

import io.cnnpipeline.image.UInt8Image;
import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * Random erasing (Zhong et al. 2017, "Random Erasing Data Augmentation"): a rectangle covering a fraction
 * S ~ U[areaMin, areaMax] of the image with aspect ratio r (height / width, log-uniform in [ratioMin, ratioMax]) is
 * placed uniformly at random and filled with random uint8 values per pixel and channel (the paper's choice) or with a
 * constant. Up to 10 attempts are made to fit the rectangle; if none fits, nothing is erased.
 *
 * @param areaMin     smallest erased area fraction, in (0, 1] (paper: 0.02)
 * @param areaMax     largest erased area fraction (paper: 0.4)
 * @param ratioMin    smallest aspect ratio (paper: 0.3)
 * @param ratioMax    largest aspect ratio (paper: 1/0.3)
 * @param randomFill  true: random values; false: {@code fill}
 * @param fill        the constant fill value 0..255 when not random
 */
public record RandomErasing(double areaMin, double areaMax, double ratioMin, double ratioMax, boolean randomFill,
                            int fill) implements Transform<RandomErasing.Params> {

    /**
     * The erased rectangle in pixels (width 0 = nothing erased) and the seed of its random fill.
     */
    public record Params(int x, int y, int width, int height, long fillSeed) implements Serializable {
    }

    public RandomErasing {
        Check.that(areaMin > 0 && areaMin <= areaMax && areaMax <= 1, "random-erasing",
                "area fractions must satisfy 0 < min <= max <= 1", "[" + areaMin + ", " + areaMax + "]");
        Check.that(ratioMin > 0 && ratioMin <= ratioMax && Double.isFinite(ratioMax), "random-erasing",
                "aspect ratios must satisfy 0 < min <= max", "[" + ratioMin + ", " + ratioMax + "]");
        Check.that(fill >= 0 && fill <= 255, "random-erasing", "fill must be in 0..255", fill);
    }

    @Override
    public String type() {
        return "random-erasing";
    }

    @Override
    public Params sample(SplittableRandom rng, int width, int height, int channels) {
        double area = (double) width * height;
        double logMin = Math.log(ratioMin);
        double logMax = Math.log(ratioMax);
        long fillSeed = rng.nextLong();
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * (areaMin + (areaMax - areaMin) * rng.nextDouble());
            double ratio = Math.exp(logMin + (logMax - logMin) * rng.nextDouble());
            int h = (int) Math.round(Math.sqrt(target * ratio));
            int w = (int) Math.round(Math.sqrt(target / ratio));
            if (w > 0 && h > 0 && w < width && h < height) {
                return new Params(rng.nextInt(width - w + 1), rng.nextInt(height - h + 1), w, h, fillSeed);
            }
        }
        return new Params(0, 0, 0, 0, fillSeed);
    }

    @Override
    public UInt8Image apply(UInt8Image image, Params p) {
        if (p.width() == 0) {
            return image;
        }
        if (p.x() < 0 || p.y() < 0 || p.x() + p.width() > image.width() || p.y() + p.height() > image.height()) {
            throw new IllegalArgumentException("Cannot erase " + p + " in a " + image.width() + "x" + image.height()
                    + " image");
        }
        int c = image.channels();
        byte[] out = image.pixels().clone();
        SplittableRandom fillRng = new SplittableRandom(p.fillSeed());
        for (int y = p.y(); y < p.y() + p.height(); y++) {
            int row = (y * image.width() + p.x()) * c;
            int n = p.width() * c;
            if (randomFill) {
                for (int i = 0; i < n; i++) {
                    out[row + i] = (byte) fillRng.nextInt(256);
                }
            } else {
                java.util.Arrays.fill(out, row, row + n, (byte) fill);
            }
        }
        return new UInt8Image(image.width(), image.height(), c, out);
    }
}
