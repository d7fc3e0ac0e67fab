package io.cnnpipeline.image;

import io.cnnpipeline.dataset.ShardCodec;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.Locale;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * Encodes {@link UInt8Image}s for storage in shards: {@link ShardCodec#PNG} (lossless), {@link ShardCodec#JPEG}
 * (lossy, quality 1..100, 4:2:0 chroma subsampling for colour) or {@link ShardCodec#RAW} (the HWC bytes as they are).
 * JPEGs are written by ImageIO's writer (IJG libjpeg) or, when given TurboJPEG's jar, by libjpeg-turbo
 * ({@link TurboJpeg}); both use the IJG quantization tables scaled by quality and the accurate integer DCT.
 * Executor-safe.
 */
public final class ImageEncoder implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    private final ShardCodec codec;
    private final int jpegQuality;
    private final String turboJpegJar;

    /**
     * @param codec       storage codec
     * @param jpegQuality JPEG quality 1..100 (ignored for other codecs)
     */
    public ImageEncoder(ShardCodec codec, int jpegQuality) {
        this(codec, jpegQuality, null);
    }

    /**
     * An encoder that writes JPEGs with libjpeg-turbo.
     *
     * @param turboJpegJar TurboJPEG's jar ({@link TurboJpeg#load}), or null for ImageIO
     * @throws IllegalStateException if TurboJPEG cannot be loaded from {@code turboJpegJar}
     */
    public ImageEncoder(ShardCodec codec, int jpegQuality, String turboJpegJar) {
        if (jpegQuality < 1 || jpegQuality > 100) {
            throw new IllegalArgumentException("Cannot create encoder: JPEG quality must be in 1..100 (got " + jpegQuality + ")");
        }
        this.codec = codec;
        this.jpegQuality = jpegQuality;
        this.turboJpegJar = turboJpegJar;
        if (turboJpegJar != null) {
            TurboJpeg.load(turboJpegJar);
        }
    }

    public ShardCodec codec() {
        return codec;
    }

    /** Encodes an image; the result decodes with {@link #decodeStored(ShardCodec, byte[], int, int, int)}. */
    public byte[] encode(UInt8Image image) {
        switch (codec) {
            case RAW:
                return image.pixels().clone();
            case PNG:
                return write(image, "png", null);
            case JPEG:
                return turboJpegJar != null ? TurboJpeg.load(turboJpegJar).encode(image, jpegQuality)
                        : write(image, "jpeg", jpegQuality);
            default:
                throw new IllegalStateException("unknown codec " + codec);
        }
    }

    /** Wraps an image's bytes (no copy) as a BufferedImage with a grey or sRGB component colour model. */
    public static BufferedImage toBufferedImage(UInt8Image image) {
        int c = image.channels();
        ColorSpace cs = ColorSpace.getInstance(c == 1 ? ColorSpace.CS_GRAY : ColorSpace.CS_sRGB);
        ComponentColorModel cm = new ComponentColorModel(cs, false, false, Transparency.OPAQUE, DataBuffer.TYPE_BYTE);
        int[] offsets = c == 1 ? new int[] {0} : new int[] {0, 1, 2};
        WritableRaster raster = Raster.createInterleavedRaster(new DataBufferByte(image.pixels(), image.pixels().length),
                image.width(), image.height(), image.width() * c, c, offsets, null);
        return new BufferedImage(cm, raster, false, null);
    }

    private static byte[] write(UInt8Image image, String format, Integer quality) {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName(format);
        if (!writers.hasNext()) {
            throw new IllegalStateException("no ImageIO writer for " + format);
        }
        ImageWriter writer = writers.next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(image.pixels().length / 2 + 1024);
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            if (quality != null) {
                param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
                param.setCompressionQuality(quality / 100f);
            }
            writer.write(null, new IIOImage(toBufferedImage(image), null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot encode image as " + format.toUpperCase(Locale.ROOT), e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    /**
     * Decodes bytes stored in a shard row.
     *
     * @throws ImageDecodeException if the bytes do not decode or do not match the row's declared size
     */
    public static UInt8Image decodeStored(ShardCodec codec, byte[] bytes, int width, int height, int channels)
            throws ImageDecodeException {
        UInt8Image image = codec == ShardCodec.RAW
                ? new UInt8Image(width, height, channels, bytes)
                : new ImageDecoder(channels, (long) width * height).decode(bytes);
        if (image.width() != width || image.height() != height) {
            throw new ImageDecodeException("corrupt", "stored image is " + image.width() + "x" + image.height()
                    + " but its row says " + width + "x" + height);
        }
        return image;
    }
}
