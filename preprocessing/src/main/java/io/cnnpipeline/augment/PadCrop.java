package io.cnnpipeline.augment;

import io.cnnpipeline.image.CropBox;
import io.cnnpipeline.image.Crops;
import io.cnnpipeline.image.UInt8Image;
import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * Pad-and-crop for small images (CIFAR-style, He et al. 2015 §4.2): {@code padding} zero (black) pixels on every side,
 * then a random {@code size}×{@code size} crop — a random translation of up to ±padding pixels for an image of side
 * {@code size}.
 *
 * @param padding zero pixels added on each side, &ge; 0
 * @param size    crop side in pixels
 */
public record PadCrop(int padding, int size) implements Transform.FlipFusable<PadCrop.Params> {

    /** The crop box in the padded image. */
    public record Params(CropBox crop) implements Serializable {
    }

    public PadCrop {
        Check.that(padding >= 0, "pad-crop", "padding must be >= 0", padding);
        Check.that(size > 0, "pad-crop", "size must be positive", size);
    }

    @Override
    public String type() {
        return "pad-crop";
    }

    @Override
    public int outputSide() {
        return size;
    }

    @Override
    public Params sample(SplittableRandom rng, int width, int height, int channels) {
        int w = width + 2 * padding;
        int h = height + 2 * padding;
        if (size > w || size > h) {
            throw new IllegalArgumentException("Cannot crop " + size + "x" + size + " from a " + w + "x" + h
                    + " image (after padding " + padding + ")");
        }
        return new Params(new CropBox(rng.nextInt(w - size + 1), rng.nextInt(h - size + 1), size, size, false));
    }

    @Override
    public UInt8Image apply(UInt8Image image, Params params) {
        return Crops.apply(Crops.pad(image, padding), params.crop());
    }

    @Override
    public UInt8Image applyFlipped(UInt8Image image, Params params) {
        return Crops.apply(Crops.pad(image, padding), params.crop().flipped());
    }
}
