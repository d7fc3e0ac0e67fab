package io.cnnpipeline.image;

import java.io.Serializable;

/**
 * A crop rectangle in pixels: top-left corner ({@code x}, {@code y}) and size, plus whether the crop is mirrored
 * left-right afterwards. Training's random crops and evaluation's fixed test crops are both expressed as boxes and
 * cut by the same {@link Crops#apply(UInt8Image, CropBox)}.
 */
public record CropBox(int x, int y, int width, int height, boolean flip) implements Serializable {
    public CropBox {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("Cannot create crop: size must be positive (got " + width + "x" + height + ")");
        }
    }

    /** Whether the box lies entirely inside an image of the given size. */
    public boolean fitsIn(int imageWidth, int imageHeight) {
        return x >= 0 && y >= 0 && x + width <= imageWidth && y + height <= imageHeight;
    }

    public CropBox flipped() {
        return new CropBox(x, y, width, height, !flip);
    }
}
