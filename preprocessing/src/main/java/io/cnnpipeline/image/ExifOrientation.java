package io.cnnpipeline.image;

import com.drew.imaging.ImageMetadataReader;
import com.drew.imaging.ImageProcessingException;
import com.drew.metadata.Metadata;
import com.drew.metadata.MetadataException;
import com.drew.metadata.exif.ExifIFD0Directory;
import java.io.ByteArrayInputStream;
import java.io.IOException;

/**
 * EXIF orientation (tag 0x0112, values 1–8, as cameras record how the sensor was held), read with
 * metadata-extractor, and the transform that turns the stored pixels upright: 1 as stored, 2 mirror left-right,
 * 3 rotate 180°, 4 mirror top-bottom, 5 transpose, 6 rotate 90° clockwise, 7 transverse, 8 rotate 90°
 * counter-clockwise. Stateless and executor-safe.
 */
public final class ExifOrientation {
    private ExifOrientation() {
    }

    /**
     * The orientation recorded in {@code bytes} (JPEG, TIFF, WebP, PNG eXIf, …), or 1 when there is none or it
     * cannot be read (metadata problems never make an image unreadable).
     */
    public static int read(byte[] bytes) {
        try {
            Metadata metadata = ImageMetadataReader.readMetadata(new ByteArrayInputStream(bytes), bytes.length);
            ExifIFD0Directory dir = metadata.getFirstDirectoryOfType(ExifIFD0Directory.class);
            if (dir == null || !dir.containsTag(ExifIFD0Directory.TAG_ORIENTATION)) {
                return 1;
            }
            int o = dir.getInt(ExifIFD0Directory.TAG_ORIENTATION);
            return o >= 1 && o <= 8 ? o : 1;
        } catch (ImageProcessingException | IOException | MetadataException | RuntimeException e) {
            return 1;
        }
    }

    /**
     * Applies orientation {@code orientation} so the image is upright (width and height swap for 5–8).
     *
     * @throws IllegalArgumentException if {@code orientation} is not in 1..8
     */
    public static UInt8Image apply(UInt8Image image, int orientation) {
        if (orientation < 1 || orientation > 8) {
            throw new IllegalArgumentException("Cannot orient image: EXIF orientation must be 1..8 (got "
                    + orientation + ")");
        }
        if (orientation == 1) {
            return image;
        }
        int w = image.width();
        int h = image.height();
        int c = image.channels();
        boolean swap = orientation >= 5;
        int ow = swap ? h : w;
        int oh = swap ? w : h;
        byte[] in = image.pixels();
        byte[] out = new byte[in.length];
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                int sx;
                int sy;
                switch (orientation) {
                    case 2 -> { sx = w - 1 - x; sy = y; }
                    case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }
                    case 4 -> { sx = x; sy = h - 1 - y; }
                    case 5 -> { sx = y; sy = x; }
                    case 6 -> { sx = y; sy = h - 1 - x; }
                    case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }
                    default -> { sx = w - 1 - y; sy = x; }
                }
                System.arraycopy(in, (sy * w + sx) * c, out, (y * ow + x) * c, c);
            }
        }
        return new UInt8Image(ow, oh, c, out);
    }
}
