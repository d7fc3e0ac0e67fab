package io.cnnpipeline.image;

import java.io.Serializable;
import java.util.Arrays;

/**
 * An 8-bit image in HWC layout: {@code pixels[(y * width + x) * channels + c]}, channels RGB (3) or luma (1),
 * values 0..255 stored as unsigned bytes. Immutable by convention: transforms return new images.
 * Executor-safe (plain data, serializable).
 */
public final class UInt8Image implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int width;
    private final int height;
    private final int channels;
    private final byte[] pixels;

    /**
     * @param width    width in pixels, &gt; 0
     * @param height   height in pixels, &gt; 0
     * @param channels 1 (luma) or 3 (RGB)
     * @param pixels   HWC bytes, length {@code width * height * channels}; not copied
     * @throws IllegalArgumentException on a non-positive size, an unsupported channel count or a wrong length
     */
    public UInt8Image(int width, int height, int channels, byte[] pixels) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("Cannot create image: size must be positive (got " + width + "x" + height + ")");
        }
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("Cannot create image: channels must be 1 or 3 (got " + channels + ")");
        }
        if (pixels.length != (long) width * height * channels) {
            throw new IllegalArgumentException("Cannot create image: pixel buffer has " + pixels.length
                    + " bytes, expected " + ((long) width * height * channels));
        }
        this.width = width;
        this.height = height;
        this.channels = channels;
        this.pixels = pixels;
    }

    /** A black image of the given size. */
    public static UInt8Image zeros(int width, int height, int channels) {
        return new UInt8Image(width, height, channels, new byte[width * height * channels]);
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    public int channels() {
        return channels;
    }

    /** The backing HWC buffer (not a copy). */
    public byte[] pixels() {
        return pixels;
    }

    /** Pixel value 0..255 at column {@code x}, row {@code y}, channel {@code c}. */
    public int get(int x, int y, int c) {
        return pixels[(y * width + x) * channels + c] & 0xFF;
    }

    public int shortSide() {
        return Math.min(width, height);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof UInt8Image other)) {
            return false;
        }
        return width == other.width && height == other.height && channels == other.channels
                && Arrays.equals(pixels, other.pixels);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * (31 * width + height) + channels) + Arrays.hashCode(pixels);
    }

    @Override
    public String toString() {
        return "UInt8Image[" + width + "x" + height + "x" + channels + "]";
    }
}
