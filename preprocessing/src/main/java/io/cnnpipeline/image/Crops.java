package io.cnnpipeline.image;

import java.util.ArrayList;
import java.util.List;

/**
 * Crop geometry shared by training augmentation and test-time evaluation: centre crop, the five-crop (four corners and
 * centre) and ten-crop (five-crop plus horizontal flips) of Krizhevsky et al. 2012 / He et al. 2015, zero padding,
 * and the cut itself. Stateless and executor-safe.
 */
public final class Crops {
    private Crops() {
    }

    /**
     * The centred {@code size}×{@code size} box; odd margins put the extra pixel right/bottom.
     *
     * @throws IllegalArgumentException if the crop is larger than the image
     */
    public static CropBox centre(int imageWidth, int imageHeight, int size) {
        requireFits(imageWidth, imageHeight, size);
        return new CropBox((imageWidth - size) / 2, (imageHeight - size) / 2, size, size, false);
    }

    /**
     * Four corner crops (top-left, top-right, bottom-left, bottom-right) and the centre crop, in that order.
     *
     * @throws IllegalArgumentException if the crop is larger than the image
     */
    public static List<CropBox> fiveCrop(int imageWidth, int imageHeight, int size) {
        requireFits(imageWidth, imageHeight, size);
        int r = imageWidth - size;
        int b = imageHeight - size;
        List<CropBox> boxes = new ArrayList<>(5);
        boxes.add(new CropBox(0, 0, size, size, false));
        boxes.add(new CropBox(r, 0, size, size, false));
        boxes.add(new CropBox(0, b, size, size, false));
        boxes.add(new CropBox(r, b, size, size, false));
        boxes.add(centre(imageWidth, imageHeight, size));
        return boxes;
    }

    /** {@link #fiveCrop} followed by the horizontal flip of each of the five: 10 boxes. */
    public static List<CropBox> tenCrop(int imageWidth, int imageHeight, int size) {
        List<CropBox> five = fiveCrop(imageWidth, imageHeight, size);
        List<CropBox> ten = new ArrayList<>(five);
        for (CropBox box : five) {
            ten.add(box.flipped());
        }
        return ten;
    }

    /**
     * Cuts {@code box} out of {@code image}, mirroring it left-right if {@link CropBox#flip()}.
     *
     * @throws IllegalArgumentException if the box does not lie inside the image
     */
    public static UInt8Image apply(UInt8Image image, CropBox box) {
        if (!box.fitsIn(image.width(), image.height())) {
            throw new IllegalArgumentException("Cannot crop " + box + ": outside the " + image.width() + "x"
                    + image.height() + " image");
        }
        int c = image.channels();
        int w = box.width();
        byte[] src = image.pixels();
        byte[] out = new byte[w * box.height() * c];
        for (int y = 0; y < box.height(); y++) {
            int inRow = ((box.y() + y) * image.width() + box.x()) * c;
            int outRow = y * w * c;
            if (!box.flip()) {
                System.arraycopy(src, inRow, out, outRow, w * c);
            } else if (c == 3) {
                for (int x = 0, i = inRow + (w - 1) * 3; x < w; x++, i -= 3) {
                    int o = outRow + x * 3;
                    out[o] = src[i];
                    out[o + 1] = src[i + 1];
                    out[o + 2] = src[i + 2];
                }
            } else {
                for (int x = 0; x < w; x++) {
                    System.arraycopy(src, inRow + (w - 1 - x) * c, out, outRow + x * c, c);
                }
            }
        }
        return new UInt8Image(w, box.height(), c, out);
    }

    /** Mirrors an image left-right. */
    public static UInt8Image flipHorizontal(UInt8Image image) {
        return apply(image, new CropBox(0, 0, image.width(), image.height(), true));
    }

    /**
     * Pads every side with {@code padding} zero (black) pixels.
     *
     * @throws IllegalArgumentException if {@code padding < 0}
     */
    public static UInt8Image pad(UInt8Image image, int padding) {
        if (padding < 0) {
            throw new IllegalArgumentException("Cannot pad: padding must be >= 0 (got " + padding + ")");
        }
        if (padding == 0) {
            return image;
        }
        int c = image.channels();
        int w = image.width() + 2 * padding;
        int h = image.height() + 2 * padding;
        byte[] out = new byte[w * h * c];
        for (int y = 0; y < image.height(); y++) {
            System.arraycopy(image.pixels(), y * image.width() * c, out, ((y + padding) * w + padding) * c,
                    image.width() * c);
        }
        return new UInt8Image(w, h, c, out);
    }

    /**
     * Zero-pads an image just enough (the same on every side) that a {@code size}×{@code size} crop fits; returns it
     * unchanged when it already does. Used where small images meet a fixed input size (validation and test crops).
     */
    public static UInt8Image padTo(UInt8Image image, int size) {
        int deficit = Math.max(size - image.width(), size - image.height());
        return deficit > 0 ? pad(image, (deficit + 1) / 2) : image;
    }

    private static void requireFits(int imageWidth, int imageHeight, int size) {
        if (size <= 0 || size > imageWidth || size > imageHeight) {
            throw new IllegalArgumentException("Cannot crop " + size + "x" + size + " from a " + imageWidth + "x"
                    + imageHeight + " image");
        }
    }
}
