package io.cnnpipeline.augment;

import io.cnnpipeline.image.CropBox;
import io.cnnpipeline.image.Crops;
import io.cnnpipeline.image.Resize;
import io.cnnpipeline.image.UInt8Image;
import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * Random scale + crop, the ResNet recipe (He et al. 2015, after Simonyan &amp; Zisserman 2014): the short side is
 * resized to L ~ U{scaleMin..scaleMax} pixels (aspect ratio kept) and a random {@code size}×{@code size} crop is taken.
 * With {@code scaleMin = scaleMax = 0} the image is not rescaled (a plain random crop). Images smaller than the crop
 * after rescaling are zero-padded to it first (as {@link Crops#padTo}).
 *
 * <p>The resize and the crop are one {@link Resize#resizedCrop} call — pixel-identical to resizing the whole image and
 * then cutting the box, which is how the evaluation's test-time views are made, but only the box is resampled.
 *
 * @param scaleMin smallest short side in pixels (inclusive), 0 = no rescale
 * @param scaleMax largest short side in pixels (inclusive), 0 = no rescale
 * @param size     crop side in pixels (the network's input size)
 */
public record ScaleCrop(int scaleMin, int scaleMax, int size) implements Transform.FlipFusable<ScaleCrop.Params> {

    /**
     * @param shortSide the sampled short side L in pixels (0 = not rescaled)
     * @param scaledWidth width after rescaling and padding, pixels
     * @param scaledHeight height after rescaling and padding, pixels
     * @param crop the crop box in the rescaled (and padded) image
     */
    public record Params(int shortSide, int scaledWidth, int scaledHeight, CropBox crop) implements Serializable {
    }

    public ScaleCrop {
        Check.that(scaleMin >= 0 && scaleMax >= scaleMin && (scaleMin == 0) == (scaleMax == 0), "scale-crop",
                "scale range must be 0, 0 (off) or 0 < min <= max", "[" + scaleMin + ", " + scaleMax + "]");
        Check.that(size > 0, "scale-crop", "size must be positive", size);
    }

    @Override
    public String type() {
        return "scale-crop";
    }

    @Override
    public int outputSide() {
        return size;
    }

    @Override
    public Params sample(SplittableRandom rng, int width, int height, int channels) {
        int shortSide = 0;
        int w = width;
        int h = height;
        if (scaleMin > 0) {
            shortSide = scaleMin + rng.nextInt(scaleMax - scaleMin + 1);
            int[] scaled = Resize.shortSideSize(width, height, shortSide);
            w = scaled[0];
            h = scaled[1];
        }
        int pad = padding(w, h);
        w += 2 * pad;
        h += 2 * pad;
        return new Params(shortSide, w, h, new CropBox(rng.nextInt(w - size + 1), rng.nextInt(h - size + 1), size, size,
                false));
    }

    @Override
    public UInt8Image apply(UInt8Image image, Params params) {
        return apply(image, params.shortSide(), params.crop());
    }

    @Override
    public UInt8Image applyFlipped(UInt8Image image, Params params) {
        return apply(image, params.shortSide(), params.crop().flipped());
    }

    private UInt8Image apply(UInt8Image image, int shortSide, CropBox crop) {
        int[] scaled = shortSide > 0
                ? Resize.shortSideSize(image.width(), image.height(), shortSide)
                : new int[] {image.width(), image.height()};
        int pad = padding(scaled[0], scaled[1]);
        if (pad == 0) {
            return Resize.resizedCrop(image, scaled[0], scaled[1], crop);
        }
        return Crops.apply(Crops.pad(Resize.to(image, scaled[0], scaled[1]), pad), crop);
    }

    private int padding(int w, int h) {
        int deficit = Math.max(size - w, size - h);
        return deficit > 0 ? (deficit + 1) / 2 : 0;
    }
}
