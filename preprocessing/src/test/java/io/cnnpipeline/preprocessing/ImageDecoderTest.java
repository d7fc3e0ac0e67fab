package io.cnnpipeline.preprocessing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class ImageDecoderTest {
    private final ImageDecoder rgb = new ImageDecoder(3, 50_000_000L);
    private final ImageDecoder luma = new ImageDecoder(1, 50_000_000L);

    private static byte[] png(BufferedImage image) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(image, "png", out));
        return out.toByteArray();
    }

    @Test
    void pngRoundTripsExactlyInRgbAndGrey() throws Exception {
        UInt8Image colour = TestImages.pattern(1, 17, 3, 9);
        assertEquals(colour, rgb.decode(new ImageEncoder(ShardCodec.PNG, 90).encode(colour)));
        UInt8Image grey = TestImages.pattern(2, 13, 1, 9);
        byte[] bytes = new ImageEncoder(ShardCodec.PNG, 90).encode(grey);
        assertEquals(grey, luma.decode(bytes));
        UInt8Image asRgb = rgb.decode(bytes);
        for (int i = 0; i < 13 * 13; i++) {
            for (int c = 0; c < 3; c++) {
                assertEquals(grey.pixels()[i], asRgb.pixels()[i * 3 + c], "grey must be read as stored, no gamma");
            }
        }
    }

    @Test
    void alphaIsCompositedOnWhite() throws Exception {
        BufferedImage argb = new BufferedImage(3, 1, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(0, 0, 0x00102030);           // fully transparent
        argb.setRGB(1, 0, 0xFF102030);           // opaque
        argb.setRGB(2, 0, 0x80000000);           // half-transparent black
        UInt8Image out = rgb.decode(png(argb));
        assertEquals(List.of(255, 255, 255), px(out, 0));
        assertEquals(List.of(0x10, 0x20, 0x30), px(out, 1));
        assertEquals(127, out.get(2, 0, 0), 1);
    }

    @Test
    void sixteenBitGreyKeepsTheHighByteAndPaletteGoesThroughTheColourModel() throws Exception {
        BufferedImage grey16 = new BufferedImage(2, 1, BufferedImage.TYPE_USHORT_GRAY);
        grey16.getRaster().setSample(0, 0, 0, 200 * 257);
        grey16.getRaster().setSample(1, 0, 0, 7 * 257);
        UInt8Image g = luma.decode(png(grey16));
        assertEquals(200, g.get(0, 0, 0));
        assertEquals(7, g.get(1, 0, 0));

        IndexColorModel palette = new IndexColorModel(8, 2, new byte[] {10, (byte) 250}, new byte[] {20, 0},
                new byte[] {30, 5});
        BufferedImage indexed = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_INDEXED, palette);
        indexed.getRaster().setSample(1, 0, 0, 1);
        UInt8Image p = rgb.decode(png(indexed));
        assertEquals(List.of(10, 20, 30), px(p, 0));
        assertEquals(List.of(250, 0, 5), px(p, 1));
    }

    @Test
    void realJpegPhotosDecodeToTheirHeaderSize() throws Exception {
        List<Path> photos = TestImages.huginPhotos();
        assertTrue(photos.size() >= 20, "hugin-data photos: " + photos.size());
        for (Path photo : photos.subList(0, 5)) {
            byte[] bytes = Files.readAllBytes(photo);
            BufferedImage reference = ImageIO.read(photo.toFile());
            UInt8Image image = rgb.decode(bytes);
            assertEquals(reference.getWidth(), image.width());
            assertEquals(reference.getHeight(), image.height());
            UInt8Image y = luma.decode(bytes);
            int r = image.get(5, 5, 0);
            int gr = image.get(5, 5, 1);
            int b = image.get(5, 5, 2);
            assertEquals(ImageDecoder.luma(r, gr, b), y.get(5, 5, 0));
        }
    }

    @Test
    void badInputsFailWithAReason() throws Exception {
        assertEquals("empty-file", assertThrows(ImageDecodeException.class, () -> rgb.decode(new byte[0])).reason());
        assertEquals("unsupported-format", assertThrows(ImageDecodeException.class,
                () -> rgb.decode("not an image at all".getBytes(StandardCharsets.UTF_8))).reason());
        byte[] jpeg = Files.readAllBytes(TestImages.huginPhotos().get(0));
        assertEquals("corrupt", assertThrows(ImageDecodeException.class,
                () -> rgb.decode(Arrays.copyOf(jpeg, jpeg.length / 2))).reason());
        byte[] png = new ImageEncoder(ShardCodec.PNG, 90).encode(TestImages.pattern(0, 64, 3, 1));
        assertEquals("corrupt", assertThrows(ImageDecodeException.class,
                () -> rgb.decode(Arrays.copyOf(png, png.length / 2))).reason());
        ImageDecoder small = new ImageDecoder(3, 1000);
        ImageDecodeException bomb = assertThrows(ImageDecodeException.class, () -> small.decode(jpeg));
        assertEquals("too-many-pixels", bomb.reason());
        assertTrue(bomb.getMessage().contains("exceeds the limit of 1000"), bomb.getMessage());
    }

    private static List<Integer> px(UInt8Image image, int x) {
        return List.of(image.get(x, 0, 0), image.get(x, 0, 1), image.get(x, 0, 2));
    }
}
