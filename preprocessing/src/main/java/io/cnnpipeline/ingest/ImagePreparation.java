package io.cnnpipeline.ingest;

import io.cnnpipeline.image.Crops;
import io.cnnpipeline.image.ImageDecodeException;
import io.cnnpipeline.image.ImageDecoder;
import io.cnnpipeline.image.Resize;
import io.cnnpipeline.image.UInt8Image;
import java.io.Serializable;

/**
 * What the preprocess stage does to one encoded image file before it is stored: decode (EXIF orientation applied,
 * alpha composited, {@code channels} channels, at most {@code maxPixels}), resize the short side, optionally
 * centre-crop to a square. The preprocess job and batch inference ({@code predict} on image files) share it, so a
 * file predicted directly sees the same pixels as its shard record (before the shard codec: with a lossy shard codec
 * such as JPEG the stored record differs by the re-encoding). Immutable and executor-safe; decoders are per thread.
 *
 * @param channels     1 (luma) or 3 (RGB)
 * @param shortSide    pixels the short side is resized to; 0 = as decoded
 * @param centreCrop   whether a non-square image is centre-cropped to its short side after the resize
 * @param maxPixels    largest width × height decoded, in pixels; larger images fail with {@code too-many-pixels}
 * @param turbojpegJar TurboJPEG's Java binding for JPEGs, or null for ImageIO
 * @param dctScaling   with TurboJPEG and a short side, decode JPEGs reduced in the DCT domain (see
 *                     {@link ImageDecoder#decode(byte[], int)})
 * @param maxOutputPixels largest width × height after the short-side resize, in pixels; 0 = no limit
 */
public record ImagePreparation(int channels, int shortSide, boolean centreCrop, long maxPixels, String turbojpegJar,
                               boolean dctScaling, long maxOutputPixels) implements Serializable {

    /** The preprocess stage's preparation for {@code config}. */
    public static ImagePreparation of(IngestConfig config) {
        return new ImagePreparation(config.channels(), config.shortSide(), config.centreCrop(), config.maxPixels(),
                config.jpegCodec() == IngestConfig.JpegCodec.TURBOJPEG ? config.turbojpegJar() : null,
                config.jpegDctScaling(), config.maxOutputPixels());
    }

    /** This preparation with {@code channels} output channels. */
    public ImagePreparation withChannels(int c) {
        return new ImagePreparation(c, shortSide, centreCrop, maxPixels, turbojpegJar, dctScaling, maxOutputPixels);
    }

    /**
     * A decoder for one thread.
     *
     * @throws IllegalStateException if TurboJPEG is configured and cannot be loaded
     */
    public ImageDecoder decoder() {
        return turbojpegJar != null ? new ImageDecoder(channels, maxPixels, turbojpegJar)
                : new ImageDecoder(channels, maxPixels);
    }

    /**
     * Decodes and resizes one file's bytes.
     *
     * @return HWC uint8, {@link #channels()} channels, short side {@link #shortSide()} (when not 0)
     * @throws ImageDecodeException with the decoder's reason ({@code empty-file}, {@code unsupported-format},
     *                              {@code too-many-pixels}, {@code corrupt}), or {@code output-too-large} when the
     *                              resized image would have more than {@link #maxOutputPixels()} pixels
     */
    public UInt8Image prepare(byte[] content, ImageDecoder decoder) throws ImageDecodeException {
        UInt8Image image = decoder.decode(content, dctScaling ? shortSide : 0);
        if (shortSide > 0 && maxOutputPixels > 0) {
            int[] size = Resize.shortSideSize(image.width(), image.height(), shortSide);
            long pixels = (long) size[0] * size[1];
            if (pixels > maxOutputPixels) {
                throw new ImageDecodeException("output-too-large", image.width() + "x" + image.height()
                        + " resized to short side " + shortSide + " would be " + size[0] + "x" + size[1] + " = "
                        + pixels + " pixels, more than preprocess.max-output-pixels = " + maxOutputPixels);
            }
        }
        if (shortSide > 0) {
            image = Resize.shortSide(image, shortSide);
        }
        if (centreCrop && image.width() != image.height()) {
            image = Crops.apply(image, Crops.centre(image.width(), image.height(), image.shortSide()));
        }
        return image;
    }
}
