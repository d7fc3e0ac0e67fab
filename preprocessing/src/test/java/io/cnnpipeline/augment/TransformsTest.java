package io.cnnpipeline.augment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.image.CropBox;
import io.cnnpipeline.image.Crops;
import io.cnnpipeline.dataset.DatasetStats;
import io.cnnpipeline.image.ImageDecoder;
import io.cnnpipeline.dataset.PixelMoments;
import io.cnnpipeline.image.Resize;
import io.cnnpipeline.core.TestImages;
import io.cnnpipeline.image.UInt8Image;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Properties of each transform that can fail: shapes, ranges, identities, bounds, exact formulas. */
class TransformsTest {
    static UInt8Image photo;

    @BeforeAll
    static void decodePhoto() throws Exception {
        Path file = TestImages.huginPhotos().stream().filter(p -> p.getFileName().toString().startsWith("250px"))
                .findFirst().orElseThrow();
        photo = new ImageDecoder(3, 1L << 26).decode(Files.readAllBytes(file));
    }

    /** Every transform with broad ranges, for the property sweeps. */
    static List<Transform<?>> all(int size) {
        return List.of(new Flip(true), new Flip(false), new ScaleCrop(size, 2 * size, size),
                new RandomResizedCrop(size, 0.08, 1, 0.75, 4.0 / 3), new PadCrop(4, size),
                new ColorJitter(0.4, 0.4, 0.4), new PcaLighting(0.1, new double[] {0.05, 0.01, 0.002},
                        new double[][] {{0.58, 0.58, 0.57}, {-0.7, 0.0, 0.7}, {0.41, -0.82, 0.41}}),
                new Affine(0.1, 30, 0.8, 1.2, 0.2, 10, Border.REFLECT, 0),
                new LensDistortion(0.3, Border.CONSTANT, 0), new RandomErasing(0.02, 0.4, 0.3, 1 / 0.3, true, 0));
    }

    @Test
    void shapesChannelsAndSizesHoldForEverySampledParameter() {
        SplittableRandom rng = new SplittableRandom(1);
        for (int trial = 0; trial < 40; trial++) {
            int w = 20 + rng.nextInt(60);
            int h = 20 + rng.nextInt(60);
            UInt8Image image = Resize.to(photo, w, h);
            for (Transform<?> t : all(16)) {
                UInt8Image out = t.apply(image, rng);
                int side = t.outputSide();
                assertEquals(side == 0 ? w : side, out.width(), t.type());
                assertEquals(side == 0 ? h : side, out.height(), t.type());
                assertEquals(3, out.channels(), t.type());
            }
        }
    }

    @Test
    void cropsStayInsideTheImageForEverySampledParameter() {
        SplittableRandom rng = new SplittableRandom(2);
        for (int trial = 0; trial < 2000; trial++) {
            int w = 1 + rng.nextInt(300);
            int h = 1 + rng.nextInt(300);
            RandomResizedCrop.Params r = new RandomResizedCrop(24, 0.08, 1, 0.75, 4.0 / 3).sample(rng, w, h, 3);
            assertTrue(r.x() >= 0 && r.y() >= 0 && r.width() >= 1 && r.height() >= 1
                    && r.x() + r.width() <= w && r.y() + r.height() <= h, r + " in " + w + "x" + h);
            ScaleCrop.Params s = new ScaleCrop(24, 64, 24).sample(rng, w, h, 3);
            assertTrue(s.crop().fitsIn(s.scaledWidth(), s.scaledHeight()), s + " from " + w + "x" + h);
            assertTrue(s.shortSide() >= 24 && s.shortSide() <= 64);
            RandomErasing.Params e = new RandomErasing(0.02, 0.4, 0.3, 1 / 0.3, true, 0).sample(rng, w, h, 3);
            assertTrue(e.x() >= 0 && e.y() >= 0 && e.x() + e.width() <= w && e.y() + e.height() <= h, e.toString());
            if (w + 8 >= 24 && h + 8 >= 24) {
                PadCrop.Params p = new PadCrop(4, 24).sample(rng, w, h, 3);
                assertTrue(p.crop().fitsIn(w + 8, h + 8), p.toString());
            }
        }
    }

    @Test
    void valuesStayInRangeAndImagesWithinRangeAreNotClipped() {
        // Saturated colours under strong jitter: the LUT/clamp path must not wrap around (a byte overflow would turn
        // 255 * 1.4 into a dark value).
        byte[] px = new byte[8 * 8 * 3];
        for (int i = 0; i < px.length; i += 3) {
            px[i] = (byte) 250;
            px[i + 1] = (byte) 5;
            px[i + 2] = (byte) 128;
        }
        UInt8Image saturated = new UInt8Image(8, 8, 3, px);
        UInt8Image brighter = new ColorJitter(0, 0, 0).apply(saturated, new ColorJitter.Params(1.4, 1, 1));
        assertEquals(255, brighter.get(0, 0, 0));
        assertEquals(7, brighter.get(0, 0, 1));
        assertEquals(179, brighter.get(0, 0, 2));
    }

    @Test
    void identityParametersGiveTheIdentity() {
        Flip flip = new Flip(true);
        assertEquals(photo, flip.apply(flip.apply(photo, new Flip.Params()), new Flip.Params()));
        assertNotEquals(photo, flip.apply(photo, new Flip.Params()));
        Flip vflip = new Flip(false);
        assertEquals(photo, vflip.apply(vflip.apply(photo, new Flip.Params()), new Flip.Params()));
        Affine affine = new Affine(0, 0, 1, 1, 0, 0, Border.CONSTANT, 0);
        assertEquals(photo, affine.apply(photo, new SplittableRandom(3)), "all-zero ranges");
        // rotate 0 through the warp itself (not the identity shortcut): bilinear at exact pixel centres
        assertEquals(photo, affine.apply(photo, new Affine.Params(0, 0, 0, 1, 1, 1e-300)));
        assertEquals(photo, new LensDistortion(0.2, Border.CONSTANT, 0).apply(photo, new LensDistortion.Params(0)));
        assertEquals(photo, new ColorJitter(0.5, 0.5, 0.5).apply(photo, new ColorJitter.Params(1, 1, 1)));
        assertEquals(photo, new ColorJitter(0, 0, 0).apply(photo, new SplittableRandom(4)), "zero jitter");
        PcaLighting lighting = all(16).stream().filter(t -> t instanceof PcaLighting).map(t -> (PcaLighting) t)
                .findFirst().orElseThrow();
        assertEquals(photo, lighting.apply(photo, new PcaLighting.Params(new double[3])), "zero lighting");
        assertEquals(photo, new RandomErasing(0.02, 0.4, 0.3, 3, true, 0).apply(photo,
                new RandomErasing.Params(0, 0, 0, 0, 1)));
        UInt8Image square = Crops.apply(photo, new CropBox(0, 0, 150, 150, false));
        assertEquals(square, new PadCrop(3, 150).apply(square, new PadCrop.Params(new CropBox(3, 3, 150, 150, false))));
        assertEquals(square, new ScaleCrop(0, 0, 150).apply(square, new ScaleCrop.Params(0, 150, 150,
                new CropBox(0, 0, 150, 150, false))));
        assertEquals(square, new RandomResizedCrop(150, 0.1, 1, 0.5, 2).apply(square,
                new RandomResizedCrop.Params(0, 0, 150, 150)));
    }

    @Test
    void resizedCropIsPixelIdenticalToResizeThenCrop() {
        SplittableRandom rng = new SplittableRandom(5);
        for (int trial = 0; trial < 60; trial++) {
            int sw = 30 + rng.nextInt(400);
            int sh = 30 + rng.nextInt(400);
            int bw = 1 + rng.nextInt(sw);
            int bh = 1 + rng.nextInt(sh);
            CropBox box = new CropBox(rng.nextInt(sw - bw + 1), rng.nextInt(sh - bh + 1), bw, bh, rng.nextBoolean());
            assertEquals(Crops.apply(Resize.to(photo, sw, sh), box), Resize.resizedCrop(photo, sw, sh, box),
                    box + " of " + sw + "x" + sh);
        }
    }

    @Test
    void scaleCropReplaysTheEvaluationsResizeAndCrop() {
        ScaleCrop t = new ScaleCrop(256, 480, 224);
        SplittableRandom rng = new SplittableRandom(6);
        for (int i = 0; i < 5; i++) {
            ScaleCrop.Params p = t.sample(rng, photo.width(), photo.height(), 3);
            UInt8Image viaEvaluationCode = Crops.apply(Resize.shortSide(photo, p.shortSide()), p.crop());
            assertEquals(viaEvaluationCode, t.apply(photo, p));
        }
    }

    @Test
    void pcaLightingAddsExactlyTheWeightedPrincipalComponents() {
        double[] eigenvalues = {0.06, 0.012, 0.003};
        double[][] eigenvectors = {{0.57735, 0.57735, 0.57735}, {-0.70711, 0, 0.70711}, {0.40825, -0.8165, 0.40825}};
        PcaLighting lighting = new PcaLighting(0.1, eigenvalues, eigenvectors);
        UInt8Image grey = constant(10, 6, 100, 128, 160);
        SplittableRandom rng = new SplittableRandom(7);
        for (int trial = 0; trial < 20; trial++) {
            PcaLighting.Params p = lighting.sample(rng, 10, 6, 3);
            UInt8Image out = lighting.apply(grey, p);
            for (int ch = 0; ch < 3; ch++) {
                double add = 0;
                for (int i = 0; i < 3; i++) {
                    add += p.alpha()[i] * eigenvalues[i] * eigenvectors[i][ch];
                }
                long expected = Math.round(grey.get(0, 0, ch) + 255 * add);
                for (int y = 0; y < 6; y++) {
                    for (int x = 0; x < 10; x++) {
                        assertEquals(expected, out.get(x, y, ch), "channel " + ch);
                    }
                }
            }
        }
        // alpha ~ N(0, sigma): the sample standard deviation is near sigma
        double sum = 0;
        double sumSq = 0;
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            double a = lighting.sample(rng, 1, 1, 3).alpha()[i % 3];
            sum += a;
            sumSq += a * a;
        }
        double sd = Math.sqrt(sumSq / n - (sum / n) * (sum / n));
        assertEquals(0.1, sd, 0.003);
        assertEquals(0, sum / n, 0.003);
    }

    @Test
    void pcaLightingWithStddevMagnitudeUsesTheSquareRootsOfTheEigenvalues() {
        double[] eigenvalues = {0.04, 0.01, 0.0025};
        double[][] eigenvectors = {{0.57735, 0.57735, 0.57735}, {-0.70711, 0, 0.70711}, {0.40825, -0.8165, 0.40825}};
        PcaLighting.Params p = new PcaLighting.Params(new double[] {0.1, -0.2, 0.3});
        double[] literal = new PcaLighting(0.1, eigenvalues, eigenvectors, false).offset(p);
        double[] stddev = new PcaLighting(0.1, eigenvalues, eigenvectors, true).offset(p);
        for (int ch = 0; ch < 3; ch++) {
            double expected = 0.1 * 0.2 * eigenvectors[0][ch] - 0.2 * 0.1 * eigenvectors[1][ch]
                    + 0.3 * 0.05 * eigenvectors[2][ch];
            assertEquals(expected, stddev[ch], 1e-12);
            double expectedLiteral = 0.1 * 0.04 * eigenvectors[0][ch] - 0.2 * 0.01 * eigenvectors[1][ch]
                    + 0.3 * 0.0025 * eigenvectors[2][ch];
            assertEquals(expectedLiteral, literal[ch], 1e-12);
        }
    }

    @Test
    void pcaLightingBindsToRgbStatisticsAndRefusesLuma() {
        DatasetStats rgb = DatasetStats.fromMoments(PixelMoments.of(photo), 3, 1, Map.of(), Map.of());
        PcaLighting bound = PcaLighting.unbound(0.1).bind(rgb);
        assertArrayEquals(rgb.eigenvalues(), bound.eigenvalues());
        IllegalStateException unbound = assertThrows(IllegalStateException.class,
                () -> PcaLighting.unbound(0.1).apply(photo, new SplittableRandom(1)));
        assertTrue(unbound.getMessage().contains("bind it to the dataset's stats.json"), unbound.getMessage());
        UInt8Image luma = UInt8Image.zeros(4, 4, 1);
        DatasetStats grey = DatasetStats.fromMoments(PixelMoments.of(luma), 1, 1, Map.of(), Map.of());
        AugmentationPipeline p = AugmentationPipeline.of(4, PcaLighting.unbound(0.1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.withStats(grey));
        assertTrue(e.getMessage().contains("PCA lighting needs RGB"), e.getMessage());
    }

    @Test
    void colourJitterFollowsTorchvisionsDefinitions() {
        ColorJitter t = new ColorJitter(1, 1, 1);
        UInt8Image black = t.apply(photo, new ColorJitter.Params(0, 1, 1));
        assertEquals(UInt8Image.zeros(photo.width(), photo.height(), 3), black, "brightness 0 is black");
        UInt8Image grey = t.apply(photo, new ColorJitter.Params(1, 1, 0));
        for (int i = 0; i < grey.pixels().length; i += 3) {
            assertEquals(grey.pixels()[i], grey.pixels()[i + 1]);
            assertEquals(grey.pixels()[i], grey.pixels()[i + 2]);
        }
        UInt8Image flat = t.apply(photo, new ColorJitter.Params(1, 0, 1));
        long mean = Math.round(meanLuma(photo));
        for (byte b : flat.pixels()) {
            assertEquals(mean, b & 0xFF, "contrast 0 is the mean luma everywhere");
        }
        SplittableRandom rng = new SplittableRandom(8);
        for (int i = 0; i < 1000; i++) {
            ColorJitter.Params p = new ColorJitter(0.4, 0.2, 1.5).sample(rng, 1, 1, 3);
            assertTrue(p.brightness() >= 0.6 && p.brightness() <= 1.4, p.toString());
            assertTrue(p.contrast() >= 0.8 && p.contrast() <= 1.2, p.toString());
            assertTrue(p.saturation() >= 0 && p.saturation() <= 2.5, p.toString());
        }
    }

    @Test
    void affineTranslationByWholePixelsShiftsExactlyAndFillsTheBorder() {
        UInt8Image img = TestImages.pattern(3, 20, 3, 9);
        UInt8Image shifted = new Affine(0.5, 0, 1, 1, 0, 0, Border.CONSTANT, 7).apply(img,
                new Affine.Params(3, -2, 0, 1, 1, 0));
        for (int y = 0; y < 20; y++) {
            for (int x = 0; x < 20; x++) {
                int sx = x - 3;
                int sy = y + 2;
                int expected = sx >= 0 && sy < 20 ? img.get(sx, sy, 1) : 7;
                assertEquals(expected, shifted.get(x, y, 1), x + "," + y);
            }
        }
        UInt8Image replicated = new Affine(0.5, 0, 1, 1, 0, 0, Border.REPLICATE, 0).apply(img,
                new Affine.Params(3, 0, 0, 1, 1, 0));
        assertEquals(img.get(0, 5, 0), replicated.get(1, 5, 0));
        UInt8Image reflected = new Affine(0.5, 0, 1, 1, 0, 0, Border.REFLECT, 0).apply(img,
                new Affine.Params(3, 0, 0, 1, 1, 0));
        assertEquals(img.get(1, 5, 0), reflected.get(2, 5, 0), "reflect-101: -1 -> 1");
        assertEquals(img.get(3, 5, 0), reflected.get(0, 5, 0), "reflect-101: -3 -> 3");
    }

    @Test
    void affineRotationByNinetyDegreesAboutTheCentreIsExact() {
        UInt8Image img = TestImages.pattern(2, 16, 1, 10);
        UInt8Image rotated = new Affine(0, 90, 1, 1, 0, 0, Border.CONSTANT, 0).apply(img,
                new Affine.Params(0, 0, 90, 1, 1, 0));
        // x' = -y + ..., y' = x: output (x', y') reads source (y', W - 1 - x')
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                assertEquals(img.get(y, 15 - x, 0), rotated.get(x, y, 0), x + "," + y);
            }
        }
        // stretch 2x horizontally keeps the centre row's centre pixel
        double[] m = Affine.forward(new Affine.Params(0, 0, 0, 2, 1, 0), 16, 16);
        assertEquals(8.0, m[0] * 8 + m[1] * 8 + m[2], 1e-12);
        // shear moves rows by tan(phi) * (y - centre)
        double[] sh = Affine.forward(new Affine.Params(0, 0, 0, 1, 1, 45), 16, 16);
        assertEquals(8.0 + 4.0, sh[0] * 8 + sh[1] * 12 + sh[2], 1e-9);
    }

    @Test
    void lensDistortionKeepsTheCentreAndBendsTowardsIt() {
        UInt8Image img = TestImages.pattern(1, 41, 1, 11);
        LensDistortion lens = new LensDistortion(0.5, Border.CONSTANT, 0);
        UInt8Image barrel = lens.apply(img, new LensDistortion.Params(0.5));
        assertEquals(img.get(20, 20, 0), barrel.get(20, 20, 0), "centre pixel");
        // barrel (k > 0) reads the corners from outside the image: constant fill there
        assertEquals(0, barrel.get(0, 0, 0));
        UInt8Image pincushion = lens.apply(img, new LensDistortion.Params(-0.5));
        assertNotEquals(img, pincushion);
        // pincushion (k < 0) reads every output pixel from inside the image: the fill value never shows
        assertEquals(pincushion, new LensDistortion(0.5, Border.CONSTANT, 255).apply(img,
                new LensDistortion.Params(-0.5)));
        assertNotEquals(barrel, new LensDistortion(0.5, Border.CONSTANT, 255).apply(img,
                new LensDistortion.Params(0.5)));
    }

    @Test
    void randomErasingChangesOnlyTheRectangleAndReplaysItsFill() {
        RandomErasing erase = new RandomErasing(0.1, 0.3, 0.5, 2, true, 0);
        SplittableRandom rng = new SplittableRandom(12);
        RandomErasing.Params p = erase.sample(rng, photo.width(), photo.height(), 3);
        UInt8Image out = erase.apply(photo, p);
        assertEquals(out, erase.apply(photo, p), "same params, same fill");
        int changedInside = 0;
        for (int y = 0; y < photo.height(); y++) {
            for (int x = 0; x < photo.width(); x++) {
                boolean inside = x >= p.x() && x < p.x() + p.width() && y >= p.y() && y < p.y() + p.height();
                for (int c = 0; c < 3; c++) {
                    if (!inside) {
                        assertEquals(photo.get(x, y, c), out.get(x, y, c));
                    } else if (photo.get(x, y, c) != out.get(x, y, c)) {
                        changedInside++;
                    }
                }
            }
        }
        assertTrue(changedInside > 0.9 * p.width() * p.height() * 3, changedInside + " of " + p);
        UInt8Image constant = new RandomErasing(0.1, 0.3, 0.5, 2, false, 127).apply(photo, p);
        assertEquals(127, constant.get(p.x(), p.y(), 2));
    }

    @Test
    void invalidSettingsAreRejectedWithTheReason() {
        assertMessage("Cannot configure scale-crop: scale range must be 0, 0 (off) or 0 < min <= max (got [300, 200])",
                () -> new ScaleCrop(300, 200, 224));
        assertMessage("Cannot configure pad-crop: padding must be >= 0 (got -1)", () -> new PadCrop(-1, 28));
        assertMessage("Cannot configure affine: shear must be in [0, 90) degrees (got 90.0)",
                () -> new Affine(0, 0, 1, 1, 0, 90, Border.CONSTANT, 0));
        assertMessage("Cannot configure flip: probability must be in [0, 1] (got 1.5)",
                () -> new AugmentationPipeline.Step(new Flip(true), 1.5));
        assertMessage("Cannot configure augmentation: step [0] (pad-crop) outputs 24x24 but the network input is "
                + "28x28 (got 24)", () -> AugmentationPipeline.of(28, new PadCrop(2, 24)));
        assertMessage("Cannot crop 40x40 from a 32x32 image (after padding 2)",
                () -> new PadCrop(2, 40).sample(new SplittableRandom(1), 28, 28, 1));
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable e) {
        assertEquals(expected, assertThrows(IllegalArgumentException.class, e).getMessage());
    }

    /** Mean BT.601 luma of an RGB image, straight from the definition. */
    static double meanLuma(UInt8Image image) {
        double sum = 0;
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++) {
                sum += 0.299 * image.get(x, y, 0) + 0.587 * image.get(x, y, 1) + 0.114 * image.get(x, y, 2);
            }
        }
        return sum / (image.width() * image.height());
    }

    static UInt8Image constant(int w, int h, int r, int g, int b) {
        byte[] px = new byte[w * h * 3];
        for (int i = 0; i < px.length; i += 3) {
            px[i] = (byte) r;
            px[i + 1] = (byte) g;
            px[i + 2] = (byte) b;
        }
        return new UInt8Image(w, h, 3, px);
    }
}
