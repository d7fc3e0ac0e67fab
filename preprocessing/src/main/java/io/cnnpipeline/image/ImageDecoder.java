package io.cnnpipeline.image;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes encoded image bytes (JPEG, PNG, GIF first frame, BMP, TIFF, WebP — whatever ImageIO plus the TwelveMonkeys
 * plugins on the classpath read) into an 8-bit {@link UInt8Image} with 1 (luma) or 3 (RGB) channels.
 *
 * <p>Conversions, stated once: alpha is composited on a white background; 16-bit samples keep their high byte;
 * palette and CMYK images go through the colour model to sRGB; grey images are read as stored (no gamma change);
 * RGB to luma uses ITU-R BT.601 weights (0.299 R + 0.587 G + 0.114 B). CMYK and YCCK JPEGs without an ICC profile
 * are converted with the reader's default CMYK profile (colours approximate). The image size is read from the header first
 * and images above {@code maxPixels} are rejected before any pixel is decoded (decompression bombs). A decoder
 * warning (such as a truncated JPEG that the reader would pad with grey) counts as corruption. The EXIF orientation
 * is applied ({@link ExifOrientation}), so images come out upright as viewers show them.
 *
 * <p>Executor-safe: stateless apart from its two settings.
 */
public final class ImageDecoder implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    static {
        ImageIO.setUseCache(false);
        ImageIO.scanForPlugins();
    }

    private final int channels;
    private final long maxPixels;
    private final String turboJpegJar;

    /**
     * @param channels  1 (luma) or 3 (RGB) output channels
     * @param maxPixels largest width × height accepted, in pixels
     */
    public ImageDecoder(int channels, long maxPixels) {
        this(channels, maxPixels, null);
    }

    /**
     * A decoder that reads JPEGs with libjpeg-turbo ({@link TurboJpeg}) from {@code turboJpegJar}, falling back to
     * ImageIO for what TurboJPEG rejects (CMYK, corrupt data — ImageIO then decides the reason); other formats go
     * to ImageIO.
     *
     * @param turboJpegJar the binding's jar, or null for ImageIO only
     * @throws IllegalStateException if TurboJPEG cannot be loaded from {@code turboJpegJar}
     */
    public ImageDecoder(int channels, long maxPixels, String turboJpegJar) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("Cannot create decoder: channels must be 1 or 3 (got " + channels + ")");
        }
        if (maxPixels <= 0) {
            throw new IllegalArgumentException("Cannot create decoder: maxPixels must be positive (got " + maxPixels + ")");
        }
        if (turboJpegJar != null) {
            TurboJpeg.load(turboJpegJar);
        }
        this.channels = channels;
        this.maxPixels = maxPixels;
        this.turboJpegJar = turboJpegJar;
    }

    /**
     * Decodes one image.
     *
     * @param bytes the encoded file content
     * @return the image, HWC uint8, {@link #channels()} channels
     * @throws ImageDecodeException with reason {@code empty-file}, {@code unsupported-format}, {@code too-many-pixels}
     *                              or {@code corrupt}
     * @throws OutOfMemoryError     when the heap cannot hold the image: not recorded as a bad input, so that the task
     *                              fails loudly and the memory setting is raised instead of good images quarantined
     */
    public UInt8Image decode(byte[] bytes) throws ImageDecodeException {
        return decode(bytes, 0);
    }

    /**
     * Decodes one image that will be resized to a short side of {@code minShortSide} pixels: with TurboJPEG, JPEGs are
     * reduced in the DCT domain by the largest factor (1/2, 1/4, 1/8) that keeps the short side at or above it
     * ({@link TurboJpeg#decode(byte[], int, long, int)}), which saves most of the decoding and resizing work on large
     * photos; other decoders and formats return the full size. Callers resize the result to the exact size.
     *
     * @param minShortSide pixels; 0 = full size
     * @return the image, HWC uint8, {@link #channels()} channels, short side at least {@code minShortSide} (or as
     *         stored when it is smaller)
     * @throws ImageDecodeException as {@link #decode(byte[])}
     */
    public UInt8Image decode(byte[] bytes, int minShortSide) throws ImageDecodeException {
        if (bytes == null || bytes.length == 0) {
            throw new ImageDecodeException("empty-file", "file has 0 bytes");
        }
        if (turboJpegJar != null && TurboJpeg.isJpeg(bytes)) {
            try {
                UInt8Image image = TurboJpeg.load(turboJpegJar).decode(bytes, channels, maxPixels, minShortSide);
                return ExifOrientation.apply(image, ExifOrientation.read(bytes));
            } catch (ImageDecodeException | VirtualMachineError e) {
                throw e;
            } catch (Throwable e) {
                // TurboJPEG rejected it: ImageIO reads what it can and names the reason for the rest.
            }
        }
        BufferedImage image;
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new ImageDecodeException("unsupported-format", "no image reader recognises the content");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                if (pixels > maxPixels) {
                    throw new ImageDecodeException("too-many-pixels", reader.getWidth(0) + "x" + reader.getHeight(0)
                            + " = " + pixels + " pixels exceeds the limit of " + maxPixels);
                }
                String[] warning = new String[1];
                reader.addIIOReadWarningListener((source, message) -> {
                    if (warning[0] == null && !isColourProfileNote(message)) {
                        warning[0] = message;
                    }
                });
                image = reader.read(0);
                if (warning[0] != null) {
                    // e.g. "Premature end of JPEG file": the reader filled the missing part with grey.
                    throw new ImageDecodeException("corrupt", "decoder warning: " + warning[0]);
                }
            } finally {
                reader.dispose();
            }
        } catch (ImageDecodeException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // ImageIO's readers wrap what they catch (the PNG reader: "Caught exception during read"), an
            // OutOfMemoryError too: that is this JVM's heap, not the file's fault.
            for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
                if (cause instanceof OutOfMemoryError oom) {
                    throw oom;
                }
            }
            throw new ImageDecodeException("corrupt", String.valueOf(e.getMessage()), e);
        }
        if (image == null) {
            throw new ImageDecodeException("corrupt", "reader returned no image");
        }
        try {
            return ExifOrientation.apply(toUInt8(image, channels), ExifOrientation.read(bytes));
        } catch (RuntimeException e) {
            throw new ImageDecodeException("corrupt", "cannot convert pixels: " + e.getMessage(), e);
        }
    }

    public int channels() {
        return channels;
    }

    /** Converts any BufferedImage to an 8-bit image with the given channel count (see class doc for the rules). */
    static UInt8Image toUInt8(BufferedImage image, int channels) {
        int w = image.getWidth();
        int h = image.getHeight();
        Raster raster = image.getRaster();
        int bands = raster.getNumBands();
        boolean indexed = image.getColorModel() instanceof java.awt.image.IndexColorModel;
        byte[] out = new byte[w * h * channels];
        if (!indexed && (bands == 1 || bands == 2)) {
            // Grey (+ alpha): read samples as stored, keep the high byte of 16-bit samples.
            int shift = Math.max(0, raster.getSampleModel().getSampleSize(0) - 8);
            int alphaShift = bands == 2 ? Math.max(0, raster.getSampleModel().getSampleSize(1) - 8) : 0;
            int[] row = new int[w * bands];
            for (int y = 0; y < h; y++) {
                raster.getPixels(0, y, w, 1, row);
                for (int x = 0; x < w; x++) {
                    int v = row[x * bands] >>> shift;
                    if (bands == 2) {
                        int a = row[x * bands + 1] >>> alphaShift;
                        v = composite(v, a);
                    }
                    int o = (y * w + x) * channels;
                    for (int c = 0; c < channels; c++) {
                        out[o + c] = (byte) v;
                    }
                }
            }
            return new UInt8Image(w, h, channels, out);
        }
        if (image.getType() == BufferedImage.TYPE_3BYTE_BGR
                && raster.getDataBuffer() instanceof java.awt.image.DataBufferByte buffer
                && raster.getSampleModel() instanceof java.awt.image.PixelInterleavedSampleModel model
                && model.getPixelStride() == 3 && model.getScanlineStride() == w * 3
                && raster.getSampleModelTranslateX() == 0 && raster.getSampleModelTranslateY() == 0
                && buffer.getNumBanks() == 1 && buffer.getOffset() == 0) {
            // What the JPEG reader returns for colour photos: BGR bytes, no alpha, sRGB. Read them directly instead
            // of going through the colour model pixel by pixel (the same values, several times faster).
            byte[] bgr = buffer.getData();
            int[] offsets = model.getBandOffsets();
            int ri = offsets[0];
            int gi = offsets[1];
            int bi = offsets[2];
            for (int i = 0, o = 0; i < w * h * 3; i += 3, o += channels) {
                if (channels == 3) {
                    out[o] = bgr[i + ri];
                    out[o + 1] = bgr[i + gi];
                    out[o + 2] = bgr[i + bi];
                } else {
                    out[o] = (byte) luma(bgr[i + ri] & 0xFF, bgr[i + gi] & 0xFF, bgr[i + bi] & 0xFF);
                }
            }
            return new UInt8Image(w, h, channels, out);
        }
        int[] argb = new int[w];
        for (int y = 0; y < h; y++) {
            image.getRGB(0, y, w, 1, argb, 0, w);
            for (int x = 0; x < w; x++) {
                int p = argb[x];
                int a = p >>> 24;
                int r = composite((p >> 16) & 0xFF, a);
                int g = composite((p >> 8) & 0xFF, a);
                int b = composite(p & 0xFF, a);
                int o = (y * w + x) * channels;
                if (channels == 3) {
                    out[o] = (byte) r;
                    out[o + 1] = (byte) g;
                    out[o + 2] = (byte) b;
                } else {
                    out[o] = (byte) luma(r, g, b);
                }
            }
        }
        return new UInt8Image(w, h, channels, out);
    }

    /**
     * Whether a reader warning only says how colours will be converted (e.g. TwelveMonkeys' "No embedded ICC color
     * profile, will convert using inaccurate CMYK to RGB conversion" for CMYK JPEGs without a profile, which are
     * common): the pixels are complete, so it is not corruption.
     */
    static boolean isColourProfileNote(String message) {
        String m = message == null ? "" : message.toLowerCase(java.util.Locale.ROOT);
        return m.contains("icc") || m.contains("color profile") || m.contains("colour profile");
    }

    /** Composites an 8-bit value with 8-bit alpha over white. */
    private static int composite(int v, int alpha) {
        if (alpha == 255) {
            return v;
        }
        return (v * alpha + 255 * (255 - alpha) + 127) / 255;
    }

    /** ITU-R BT.601 luma of 8-bit RGB, rounded. */
    static int luma(int r, int g, int b) {
        return (299 * r + 587 * g + 114 * b + 500) / 1000;
    }
}
