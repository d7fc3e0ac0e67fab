package io.cnnpipeline.augment;

import io.cnnpipeline.image.CropBox;
import io.cnnpipeline.image.Crops;
import io.cnnpipeline.image.UInt8Image;
import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * Mirrors the image left-right ({@code horizontal}) or top-bottom. Whether it happens at all is the pipeline step's
 * probability; the transform itself has nothing to sample. The left-right mirror is {@link Crops#apply}'s flip, the
 * same code as the flipped test-time crops.
 *
 * @param horizontal true: mirror columns (the standard flip); false: mirror rows
 */
public record Flip(boolean horizontal) implements Transform<Flip.Params> {

    /** Nothing is sampled; the record exists so that a replayed sample lists the flip. */
    public record Params() implements Serializable {
    }

    @Override
    public String type() {
        return horizontal ? "flip" : "vertical-flip";
    }

    @Override
    public Params sample(SplittableRandom rng, int width, int height, int channels) {
        return new Params();
    }

    @Override
    public UInt8Image apply(UInt8Image image, Params params) {
        if (horizontal) {
            return Crops.apply(image, new CropBox(0, 0, image.width(), image.height(), true));
        }
        int row = image.width() * image.channels();
        byte[] src = image.pixels();
        byte[] out = new byte[src.length];
        for (int y = 0; y < image.height(); y++) {
            System.arraycopy(src, y * row, out, (image.height() - 1 - y) * row, row);
        }
        return new UInt8Image(image.width(), image.height(), image.channels(), out);
    }
}
