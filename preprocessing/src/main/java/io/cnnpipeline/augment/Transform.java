package io.cnnpipeline.augment;

import io.cnnpipeline.image.UInt8Image;
import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * One augmentation transform, split in two as in torchvision v2 and albumentations: {@link #sample} draws the
 * parameters of one application from an explicit random stream (never a global one), and {@link #apply} applies
 * given parameters deterministically. A record's augmentation can therefore be replayed from its parameters, and the
 * same geometry code serves training (sampled parameters) and evaluation (fixed ones).
 *
 * <p>Images are {@link UInt8Image}s (HWC, uint8, RGB or luma); results are rounded to nearest and clamped to 0..255.
 * Implementations are immutable records and executor-safe.
 *
 * @param <P> the parameter record of one application (serializable, with value equality)
 */
public interface Transform<P extends Serializable> extends Serializable {

    /** The configuration name of the transform, e.g. {@code "scale-crop"}. */
    String type();

    /**
     * Draws the parameters for an image of {@code width} × {@code height} pixels with {@code channels} channels.
     *
     * @throws IllegalArgumentException if the transform cannot apply to an image of that size or channel count
     */
    P sample(SplittableRandom rng, int width, int height, int channels);

    /**
     * Applies parameters drawn by {@link #sample} (or built by hand) to {@code image}.
     *
     * @throws IllegalArgumentException if the parameters do not fit the image
     */
    UInt8Image apply(UInt8Image image, P params);

    /**
     * The side of the square images this transform outputs, in pixels, or 0 if it keeps the input size. Sizing
     * transforms (crops) fix the network's input size; the others must come after them or preserve size.
     */
    default int outputSide() {
        return 0;
    }

    /**
     * A crop that can mirror its output left-right at no extra cost: {@code applyFlipped(image, p)} equals
     * {@code new Flip(true).apply(apply(image, p), ...)} pixel for pixel. {@link AugmentationPipeline} uses it to
     * fuse a crop with a following horizontal flip.
     */
    interface FlipFusable<P extends Serializable> extends Transform<P> {
        UInt8Image applyFlipped(UInt8Image image, P params);
    }

    /** Samples and applies in one step. */
    default UInt8Image apply(UInt8Image image, SplittableRandom rng) {
        return apply(image, sample(rng, image.width(), image.height(), image.channels()));
    }
}
