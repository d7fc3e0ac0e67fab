package io.cnnpipeline.preprocessing;

import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * Online training augmentation, "change the pixels without changing the label": optional random rescale of the short
 * side to L ~ U[scaleMin, scaleMax] (ResNet recipe, He et al. 2015), zero padding (CIFAR-style pad-and-crop), a random
 * {@code cropSize}×{@code cropSize} crop, and a horizontal flip with probability {@code flipProbability}.
 *
 * <p>Parameters are first {@link #sample sampled} from an explicit random stream and then {@link #apply applied}, so
 * a record's augmentation can be replayed from its {@link Params}. Crops are cut by {@link Crops#apply}, the same code
 * the evaluation's test-time crops use. Immutable and executor-safe.
 *
 * @param scaleMin        smallest short side for random rescale in pixels, or 0 for no rescale
 * @param scaleMax        largest short side for random rescale in pixels (inclusive), or 0
 * @param padding         zero pixels added on each side before cropping
 * @param cropSize        side of the square crop in pixels (the network's input size)
 * @param flipProbability probability of a horizontal flip, in [0, 1]
 */
public record Augmentation(int scaleMin, int scaleMax, int padding, int cropSize, double flipProbability)
        implements Serializable {

    /** The sampled parameters of one application: rescaled short side (0 = unchanged) and the crop box. */
    public record Params(int shortSide, CropBox crop) implements Serializable {
    }

    public Augmentation {
        if (scaleMin < 0 || scaleMax < scaleMin || (scaleMin == 0) != (scaleMax == 0)) {
            throw new IllegalArgumentException("Cannot configure augmentation: scale range must be 0,0 (off) or "
                    + "0 < min <= max (got [" + scaleMin + ", " + scaleMax + "])");
        }
        if (padding < 0) {
            throw new IllegalArgumentException("Cannot configure augmentation: padding must be >= 0 (got " + padding + ")");
        }
        if (cropSize <= 0) {
            throw new IllegalArgumentException("Cannot configure augmentation: crop size must be positive (got " + cropSize + ")");
        }
        if (!(flipProbability >= 0 && flipProbability <= 1)) {
            throw new IllegalArgumentException("Cannot configure augmentation: flip probability must be in [0, 1] (got "
                    + flipProbability + ")");
        }
    }

    /**
     * Samples parameters for an image of the given size.
     *
     * @throws IllegalArgumentException if the crop does not fit the (rescaled, padded) image
     */
    public Params sample(SplittableRandom rng, int width, int height) {
        int shortSide = 0;
        int w = width;
        int h = height;
        if (scaleMin > 0) {
            shortSide = scaleMin + rng.nextInt(scaleMax - scaleMin + 1);
            int[] size = Resize.shortSideSize(width, height, shortSide);
            w = size[0];
            h = size[1];
        }
        w += 2 * padding;
        h += 2 * padding;
        if (cropSize > w || cropSize > h) {
            throw new IllegalArgumentException("Cannot crop " + cropSize + "x" + cropSize + " from a " + w + "x" + h
                    + " image (after rescale and padding)");
        }
        int x = rng.nextInt(w - cropSize + 1);
        int y = rng.nextInt(h - cropSize + 1);
        boolean flip = rng.nextDouble() < flipProbability;
        return new Params(shortSide, new CropBox(x, y, cropSize, cropSize, flip));
    }

    /** Applies sampled parameters: rescale, pad, crop (and flip). */
    public UInt8Image apply(UInt8Image image, Params params) {
        UInt8Image scaled = params.shortSide() > 0 ? Resize.shortSide(image, params.shortSide()) : image;
        return Crops.apply(Crops.pad(scaled, padding), params.crop());
    }

    /** Samples and applies in one step. */
    public UInt8Image apply(UInt8Image image, SplittableRandom rng) {
        return apply(image, sample(rng, image.width(), image.height()));
    }
}
