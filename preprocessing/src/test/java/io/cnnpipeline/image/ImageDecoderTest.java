package io.cnnpipeline.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.dataset.ShardCodec;
import io.cnnpipeline.core.TestImages;
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
    void colourJpegsReadDirectlyFromTheRasterEqualTheColourModelsRgb() throws Exception {
        int checked = 0;
        for (Path photo : TestImages.huginPhotos()) {
            BufferedImage reference = ImageIO.read(photo.toFile());
            if (reference == null || reference.getType() != BufferedImage.TYPE_3BYTE_BGR
                    || ExifOrientation.read(Files.readAllBytes(photo)) != 1) {
                continue;
            }
            UInt8Image image = rgb.decode(Files.readAllBytes(photo));
            for (int y = 0; y < reference.getHeight(); y += 7) {
                for (int x = 0; x < reference.getWidth(); x += 5) {
                    int p = reference.getRGB(x, y);
                    assertEquals((p >> 16) & 0xFF, image.get(x, y, 0), photo + " R at " + x + "," + y);
                    assertEquals((p >> 8) & 0xFF, image.get(x, y, 1), photo + " G at " + x + "," + y);
                    assertEquals(p & 0xFF, image.get(x, y, 2), photo + " B at " + x + "," + y);
                }
            }
            checked++;
        }
        assertTrue(checked >= 20, "colour JPEGs checked: " + checked);
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

    /** A JPEG with an APP1 EXIF segment (big-endian TIFF, IFD0 with the single tag 0x0112) right after SOI. */
    static byte[] withExifOrientation(byte[] jpeg, int orientation) {
        byte[] tiff = {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (byte) orientation, 0, 0,
            0, 0, 0, 0};
        byte[] exif = new byte[6 + tiff.length];
        System.arraycopy("Exif\0\0".getBytes(StandardCharsets.ISO_8859_1), 0, exif, 0, 6);
        System.arraycopy(tiff, 0, exif, 6, tiff.length);
        int length = exif.length + 2;
        byte[] out = new byte[jpeg.length + 2 + length];
        out[0] = (byte) 0xFF;
        out[1] = (byte) 0xD8;
        out[2] = (byte) 0xFF;
        out[3] = (byte) 0xE1;
        out[4] = (byte) (length >> 8);
        out[5] = (byte) length;
        System.arraycopy(exif, 0, out, 6, exif.length);
        System.arraycopy(jpeg, 2, out, 6 + exif.length, jpeg.length - 2);
        return out;
    }

    @Test
    void exifOrientationIsAppliedAsTheSpecificationDefinesIt() throws Exception {
        // 64x48 grey with solid 16x16 corner blocks: red top-left, green top-right, blue bottom-left, white
        // bottom-right (as stored).
        BufferedImage img = new BufferedImage(64, 48, BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = img.createGraphics();
        g.setColor(java.awt.Color.GRAY);
        g.fillRect(0, 0, 64, 48);
        g.setColor(java.awt.Color.RED);
        g.fillRect(0, 0, 16, 16);
        g.setColor(java.awt.Color.GREEN);
        g.fillRect(48, 0, 16, 16);
        g.setColor(java.awt.Color.BLUE);
        g.fillRect(0, 32, 16, 16);
        g.setColor(java.awt.Color.WHITE);
        g.fillRect(48, 32, 16, 16);
        g.dispose();
        byte[] jpeg = new ImageEncoder(ShardCodec.JPEG, 100).encode(ImageDecoder.toUInt8(img, 3));
        // Where stored row 0 starts (red) and ends (green) in the upright image, per EXIF 2.3 tag 0x0112:
        // 1 top-left/top-right, 2 top-right/top-left, 3 bottom-right/bottom-left, 4 bottom-left/bottom-right,
        // 5 top-left/bottom-left, 6 top-right/bottom-right, 7 bottom-right/top-right, 8 bottom-left/top-left.
        String[][] expected = {{"TL", "TR"}, {"TR", "TL"}, {"BR", "BL"}, {"BL", "BR"}, {"TL", "BL"}, {"TR", "BR"},
            {"BR", "TR"}, {"BL", "TL"}};
        for (int o = 1; o <= 8; o++) {
            byte[] tagged = withExifOrientation(jpeg, o);
            assertEquals(o, ExifOrientation.read(tagged));
            UInt8Image upright = rgb.decode(tagged);
            assertEquals(o >= 5 ? 48 : 64, upright.width(), "orientation " + o);
            assertEquals(o >= 5 ? 64 : 48, upright.height(), "orientation " + o);
            assertEquals(expected[o - 1][0], cornerOf(upright, new int[] {255, 0, 0}), "red, orientation " + o);
            assertEquals(expected[o - 1][1], cornerOf(upright, new int[] {0, 255, 0}), "green, orientation " + o);
        }
        assertEquals(1, ExifOrientation.read(jpeg), "no EXIF: as stored");
        assertEquals(1, ExifOrientation.read(withExifOrientation(jpeg, 9)), "out-of-range values are ignored");
    }

    private static String cornerOf(UInt8Image image, int[] rgb) {
        int w = image.width();
        int h = image.height();
        int[][] centres = {{8, 8}, {w - 9, 8}, {8, h - 9}, {w - 9, h - 9}};
        String[] names = {"TL", "TR", "BL", "BR"};
        for (int i = 0; i < 4; i++) {
            int d = 0;
            for (int c = 0; c < 3; c++) {
                d += Math.abs(image.get(centres[i][0], centres[i][1], c) - rgb[c]);
            }
            if (d < 90) {
                return names[i];
            }
        }
        return "none";
    }

    /** A real photograph, 96x72, as a BufferedImage of the given type. */
    private static BufferedImage photo(int type) throws Exception {
        Path file = TestImages.huginPhotos().stream().filter(p -> p.getFileName().toString().startsWith("250px"))
                .findFirst().orElseThrow();
        UInt8Image small = Resize.to(new ImageDecoder(3, 1L << 26).decode(Files.readAllBytes(file)), 96, 72);
        BufferedImage rgbImage = ImageEncoder.toBufferedImage(small);
        BufferedImage out = new BufferedImage(96, 72, type);
        java.awt.Graphics2D g = out.createGraphics();
        g.drawImage(rgbImage, 0, 0, null);
        g.dispose();
        return out;
    }

    private static byte[] write(BufferedImage image, String format, java.util.function.Consumer<
            javax.imageio.ImageWriteParam> settings) throws IOException {
        javax.imageio.ImageWriter writer = ImageIO.getImageWritersByFormatName(format).next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (javax.imageio.stream.ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            javax.imageio.ImageWriteParam param = writer.getDefaultWriteParam();
            settings.accept(param);
            writer.write(null, new javax.imageio.IIOImage(image, null, null), param);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    private static double meanAbsDiff(UInt8Image a, BufferedImage b) {
        double sum = 0;
        for (int y = 0; y < a.height(); y++) {
            for (int x = 0; x < a.width(); x++) {
                int p = b.getRGB(x, y);
                sum += Math.abs(a.get(x, y, 0) - ((p >> 16) & 0xFF)) + Math.abs(a.get(x, y, 1) - ((p >> 8) & 0xFF))
                        + Math.abs(a.get(x, y, 2) - (p & 0xFF));
            }
        }
        return sum / (3.0 * a.width() * a.height());
    }

    @Test
    void everyFormatTheJavaWritersProduceDecodesFromARealPhoto() throws Exception {
        BufferedImage rgbPhoto = photo(BufferedImage.TYPE_3BYTE_BGR);
        // lossless: exact
        byte[] interlacedPng = write(rgbPhoto, "png",
                p -> p.setProgressiveMode(javax.imageio.ImageWriteParam.MODE_DEFAULT));
        assertEquals(1, interlacedPng[28], "IHDR interlace method: Adam7");
        assertEquals(0.0, meanAbsDiff(rgb.decode(interlacedPng), rgbPhoto), "interlaced (Adam7) PNG");
        assertEquals(0.0, meanAbsDiff(rgb.decode(write(rgbPhoto, "bmp", p -> { })), rgbPhoto), "BMP");
        assertEquals(0.0, meanAbsDiff(rgb.decode(write(rgbPhoto, "tiff", p -> { })), rgbPhoto), "TIFF");
        // lossy or palette: close to the source
        byte[] baseline = write(rgbPhoto, "jpeg", p -> {
            p.setCompressionMode(javax.imageio.ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(0.95f);
        });
        byte[] progressive = write(rgbPhoto, "jpeg", p -> {
            p.setCompressionMode(javax.imageio.ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(0.95f);
            p.setProgressiveMode(javax.imageio.ImageWriteParam.MODE_DEFAULT);
        });
        assertTrue(meanAbsDiff(rgb.decode(baseline), rgbPhoto) < 4, "baseline JPEG");
        assertTrue(meanAbsDiff(rgb.decode(progressive), rgbPhoto) < 4, "progressive JPEG");
        assertTrue(hasMarker(progressive, 0xC2) && !hasMarker(baseline, 0xC2), "SOF2 (progressive) only in the second");
        assertEquals(rgb.decode(baseline).width(), rgb.decode(progressive).width());
        BufferedImage indexed = photo(BufferedImage.TYPE_BYTE_INDEXED);
        assertEquals(0.0, meanAbsDiff(rgb.decode(write(indexed, "gif", p -> { })), indexed), "GIF through its palette");
        BufferedImage grey = photo(BufferedImage.TYPE_BYTE_GRAY);
        UInt8Image greyJpeg = luma.decode(write(grey, "jpeg", p -> { }));
        assertEquals(96, greyJpeg.width());
        double d = 0;
        for (int y = 0; y < 72; y++) {
            for (int x = 0; x < 96; x++) {
                d += Math.abs(greyJpeg.get(x, y, 0) - grey.getRaster().getSample(x, y, 0));
            }
        }
        assertTrue(d / (96 * 72) < 4, "grayscale JPEG, read as stored: " + d / (96 * 72));
    }

    @Test
    void gifsDecodeTheirFirstFrame() throws Exception {
        BufferedImage first = photo(BufferedImage.TYPE_BYTE_INDEXED);
        BufferedImage second = new BufferedImage(96, 72, BufferedImage.TYPE_BYTE_INDEXED);
        javax.imageio.ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (javax.imageio.stream.ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.prepareWriteSequence(null);
            writer.writeToSequence(new javax.imageio.IIOImage(first, null, null), null);
            writer.writeToSequence(new javax.imageio.IIOImage(second, null, null), null);
            writer.endWriteSequence();
        } finally {
            writer.dispose();
        }
        assertEquals(0.0, meanAbsDiff(rgb.decode(bytes.toByteArray()), first));
    }

    private static boolean hasMarker(byte[] jpeg, int marker) {
        for (int i = 0; i + 1 < jpeg.length; i++) {
            if ((jpeg[i] & 0xFF) == 0xFF && (jpeg[i + 1] & 0xFF) == marker) {
                return true;
            }
        }
        return false;
    }

    @Test
    void turboJpegDecodesTheRealPhotosLikeImageIoAndFallsBackForTheRest() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(new java.io.File(TurboJpeg.DEBIAN_JAR).isFile(),
                "libturbojpeg-java is installed by .ci/run");
        ImageDecoder turbo = new ImageDecoder(3, 50_000_000L, TurboJpeg.DEBIAN_JAR);
        int photos = 0;
        for (Path photo : TestImages.huginPhotos()) {
            byte[] bytes = Files.readAllBytes(photo);
            UInt8Image a = rgb.decode(bytes);
            UInt8Image b = turbo.decode(bytes);
            assertEquals(a.width(), b.width(), photo.toString());
            assertEquals(a.height(), b.height(), photo.toString());
            long sum = 0;
            int max = 0;
            for (int i = 0; i < a.pixels().length; i++) {
                int d = Math.abs((a.pixels()[i] & 0xFF) - (b.pixels()[i] & 0xFF));
                sum += d;
                max = Math.max(max, d);
            }
            // Both are libjpeg's accurate integer IDCT with fancy upsampling; SIMD rounding moves a few values by 1.
            assertTrue((double) sum / a.pixels().length < 0.5, photo + ": mean difference " + (double) sum
                    / a.pixels().length);
            assertTrue(max <= 8, photo + ": max difference " + max);
            photos++;
        }
        assertTrue(photos >= 20);
        // EXIF orientation, the pixel limit and corrupt files behave as with ImageIO
        byte[] jpeg = new ImageEncoder(ShardCodec.JPEG, 95).encode(TestImages.pattern(1, 32, 3, 1));
        UInt8Image rotated = turbo.decode(withExifOrientation(jpeg, 6));
        assertEquals(ExifOrientation.apply(turbo.decode(jpeg), 6), rotated);
        assertEquals("too-many-pixels", assertThrows(ImageDecodeException.class,
                () -> new ImageDecoder(3, 100, TurboJpeg.DEBIAN_JAR).decode(jpeg)).reason());
        byte[] photo = Files.readAllBytes(TestImages.huginPhotos().get(0));
        assertEquals("corrupt", assertThrows(ImageDecodeException.class,
                () -> turbo.decode(Arrays.copyOf(photo, photo.length / 2))).reason());
        IllegalStateException missing = assertThrows(IllegalStateException.class,
                () -> new ImageDecoder(3, 100, "/no/turbojpeg.jar"));
        assertTrue(missing.getMessage().contains("apt-get install libturbojpeg-java"), missing.getMessage());
    }

    /** A hugin photo as a 3-channel image at its own size. */
    private static UInt8Image realPhoto() throws Exception {
        Path file = TestImages.huginPhotos().stream().filter(p -> p.getFileName().toString().startsWith("250px"))
                .findFirst().orElseThrow();
        return new ImageDecoder(3, 1L << 26).decode(Files.readAllBytes(file));
    }

    private static double meanAbsDiff(UInt8Image a, UInt8Image b) {
        assertEquals(a.width(), b.width());
        assertEquals(a.height(), b.height());
        long sum = 0;
        for (int i = 0; i < a.pixels().length; i++) {
            sum += Math.abs((a.pixels()[i] & 0xFF) - (b.pixels()[i] & 0xFF));
        }
        return (double) sum / a.pixels().length;
    }

    /** The photo's colours as Adobe-style CMYK (C = 1 - R, ..., K = 0), stored inverted as Photoshop does. */
    private static byte[] adobeCmyk(UInt8Image photo) {
        byte[] cmyk = new byte[photo.width() * photo.height() * 4];
        for (int i = 0, o = 0; o < cmyk.length; i += 3, o += 4) {
            cmyk[o] = photo.pixels()[i];
            cmyk[o + 1] = photo.pixels()[i + 1];
            cmyk[o + 2] = photo.pixels()[i + 2];
            cmyk[o + 3] = (byte) 255;
        }
        return cmyk;
    }

    @Test
    void cmykAndYcckJpegsMadeFromARealPhotoDecodeToItsColours() throws Exception {
        UInt8Image photo = realPhoto();
        int w = photo.width();
        int h = photo.height();
        // CMYK (Adobe APP14 transform 0): ImageIO's writer stores a 4-band raster as four components; the APP14
        // segment Photoshop writes is inserted after SOI.
        java.awt.image.WritableRaster raster = java.awt.image.Raster.createInterleavedRaster(
                new java.awt.image.DataBufferByte(adobeCmyk(photo), w * h * 4), w, h, w * 4, 4,
                new int[] {0, 1, 2, 3}, null);
        javax.imageio.ImageWriter writer = null;
        for (var it = ImageIO.getImageWritersByFormatName("jpeg"); it.hasNext(); ) {
            javax.imageio.ImageWriter candidate = it.next();
            if (candidate.getClass().getName().startsWith("com.sun.imageio")) {
                writer = candidate;
            }
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (javax.imageio.stream.ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.write(null, new javax.imageio.IIOImage(raster, null, null), null);
        } finally {
            writer.dispose();
        }
        byte[] plain = bytes.toByteArray();
        byte[] app14 = {(byte) 0xFF, (byte) 0xEE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 0};
        byte[] cmyk = new byte[plain.length + app14.length];
        System.arraycopy(plain, 0, cmyk, 0, 2);
        System.arraycopy(app14, 0, cmyk, 2, app14.length);
        System.arraycopy(plain, 2, cmyk, 2 + app14.length, plain.length - 2);
        // 4 components in the frame header (SOF0: FF C0, length, precision, height, width, components)
        int sof = indexOfMarker(cmyk, 0xC0);
        assertEquals(4, cmyk[sof + 9]);
        UInt8Image fromCmyk = rgb.decode(cmyk);
        assertTrue(meanAbsDiff(fromCmyk, photo) < 8, "CMYK JPEG: mean difference " + meanAbsDiff(fromCmyk, photo));
        assertEquals(1, luma.decode(cmyk).channels());

        // YCCK (Adobe APP14 transform 2): what libjpeg writes for CMYK input; TurboJPEG rejects it on decode, so the
        // turbojpeg decoder falls back to ImageIO.
        org.junit.jupiter.api.Assumptions.assumeTrue(new java.io.File(TurboJpeg.DEBIAN_JAR).isFile(),
                "libturbojpeg-java is installed by .ci/run");
        byte[] ycck = TurboJpeg.load(TurboJpeg.DEBIAN_JAR).encode(adobeCmyk(photo), w, h, TurboJpeg.PF_CMYK, 95);
        int adobe = indexOf(ycck, "Adobe".getBytes(StandardCharsets.US_ASCII));
        assertEquals(2, ycck[adobe + 11], "APP14 transform: YCCK");
        UInt8Image fromYcck = rgb.decode(ycck);
        assertTrue(meanAbsDiff(fromYcck, photo) < 4, "YCCK JPEG: mean difference " + meanAbsDiff(fromYcck, photo));
        assertEquals(fromYcck, new ImageDecoder(3, 1L << 26, TurboJpeg.DEBIAN_JAR).decode(ycck));
    }

    @Test
    void webpLosslessAndLossyFromCwebpDecode(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        assertTrue(new java.io.File("/usr/bin/cwebp").isFile(), "needs cwebp: apt-get install webp (.ci/run does)");
        UInt8Image photo = realPhoto();
        Path png = tmp.resolve("photo.png");
        Files.write(png, new ImageEncoder(ShardCodec.PNG, 90).encode(photo));
        for (String mode : List.of("-lossless", "-q")) {
            Path webp = tmp.resolve("photo" + mode + ".webp");
            List<String> command = new java.util.ArrayList<>(List.of("cwebp", "-quiet", mode));
            if (mode.equals("-q")) {
                command.add("90");
            }
            command.addAll(List.of(png.toString(), "-o", webp.toString()));
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), "cwebp " + mode + ": " + output);
            byte[] bytes = Files.readAllBytes(webp);
            assertEquals("WEBP", new String(bytes, 8, 4, StandardCharsets.US_ASCII));
            assertEquals(mode.equals("-lossless") ? "VP8L" : "VP8 ", new String(bytes, 12, 4, StandardCharsets.US_ASCII));
            UInt8Image decoded = rgb.decode(bytes);
            if (mode.equals("-lossless")) {
                assertEquals(photo, decoded, "lossless WebP is exact");
            } else {
                assertTrue(meanAbsDiff(decoded, photo) < 4, "lossy WebP: mean difference " + meanAbsDiff(decoded, photo));
            }
        }
    }

    @Test
    void turboJpegEncodesLikeImageIo() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(new java.io.File(TurboJpeg.DEBIAN_JAR).isFile(),
                "libturbojpeg-java is installed by .ci/run");
        UInt8Image photo = realPhoto();
        for (int quality : new int[] {75, 90}) {
            byte[] imageio = new ImageEncoder(ShardCodec.JPEG, quality).encode(photo);
            byte[] turbo = new ImageEncoder(ShardCodec.JPEG, quality, TurboJpeg.DEBIAN_JAR).encode(photo);
            UInt8Image a = rgb.decode(imageio);
            UInt8Image b = rgb.decode(turbo);
            // Same IJG tables, subsampling and DCT: the decoded pixels agree to rounding, and both stay close to
            // the source.
            assertTrue(meanAbsDiff(a, b) < 1.0, "q" + quality + ": " + meanAbsDiff(a, b));
            assertTrue(meanAbsDiff(b, photo) < 6, "q" + quality + ": " + meanAbsDiff(b, photo));
            assertTrue(Math.abs(turbo.length - imageio.length) < imageio.length / 10,
                    "sizes " + turbo.length + " vs " + imageio.length);
        }
        UInt8Image grey = new ImageDecoder(1, 1L << 26).decode(new ImageEncoder(ShardCodec.PNG, 90).encode(photo));
        byte[] greyJpeg = new ImageEncoder(ShardCodec.JPEG, 90, TurboJpeg.DEBIAN_JAR).encode(grey);
        assertEquals(1, ImageIO.read(new java.io.ByteArrayInputStream(greyJpeg)).getRaster().getNumBands());
        assertTrue(meanAbsDiff(luma.decode(greyJpeg), grey) < 3);
    }

    private static int indexOfMarker(byte[] jpeg, int marker) {
        for (int i = 0; i + 1 < jpeg.length; i++) {
            if ((jpeg[i] & 0xFF) == 0xFF && (jpeg[i + 1] & 0xFF) == marker) {
                return i;
            }
        }
        return -1;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
