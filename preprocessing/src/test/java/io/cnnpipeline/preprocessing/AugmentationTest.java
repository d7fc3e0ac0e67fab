package io.cnnpipeline.preprocessing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AugmentationTest {
    @Test
    void sampledCropsAlwaysLieInsideTheRescaledPaddedImage() {
        Augmentation aug = new Augmentation(30, 48, 3, 28, 0.5);
        SplittableRandom rng = new SplittableRandom(1);
        int flips = 0;
        for (int i = 0; i < 5000; i++) {
            int w = 28 + rng.nextInt(40);
            int h = 28 + rng.nextInt(40);
            Augmentation.Params p = aug.sample(rng, w, h);
            assertTrue(p.shortSide() >= 30 && p.shortSide() <= 48);
            int[] size = Resize.shortSideSize(w, h, p.shortSide());
            assertTrue(p.crop().fitsIn(size[0] + 6, size[1] + 6), p + " for " + w + "x" + h);
            flips += p.crop().flip() ? 1 : 0;
        }
        assertTrue(flips > 2300 && flips < 2700, "flip rate " + flips / 5000.0);
    }

    @Test
    void outputHasTheCropSizeAndReplaysFromItsParameters() {
        Augmentation aug = new Augmentation(0, 0, 4, 24, 0.5);
        UInt8Image image = TestImages.pattern(1, 24, 3, 3);
        SplittableRandom a = RandomStreams.forRecord(42, RandomStreams.AUGMENTATION, 1, "train/x.png");
        Augmentation.Params params = aug.sample(a, 24, 24);
        UInt8Image out = aug.apply(image, params);
        assertEquals(24, out.width());
        assertEquals(24, out.height());
        assertEquals(out, aug.apply(image, params));
        assertEquals(out, aug.apply(image, RandomStreams.forRecord(42, RandomStreams.AUGMENTATION, 1, "train/x.png")));
    }

    @Test
    void identityParametersGiveTheIdentity() {
        Augmentation none = new Augmentation(0, 0, 0, 20, 0.0);
        UInt8Image image = TestImages.pattern(2, 20, 1, 5);
        for (int seed = 0; seed < 20; seed++) {
            assertEquals(image, none.apply(image, new SplittableRandom(seed)));
        }
    }

    @Test
    void streamsDifferByEpochAndKey() {
        long a = RandomStreams.seedFor(42, RandomStreams.AUGMENTATION, 1, "k");
        assertEquals(a, RandomStreams.seedFor(42, RandomStreams.AUGMENTATION, 1, "k"));
        assertNotEquals(a, RandomStreams.seedFor(42, RandomStreams.AUGMENTATION, 2, "k"));
        assertNotEquals(a, RandomStreams.seedFor(42, RandomStreams.AUGMENTATION, 1, "k2"));
        assertNotEquals(a, RandomStreams.seedFor(43, RandomStreams.AUGMENTATION, 1, "k"));
        assertNotEquals(a, RandomStreams.seedFor(42, RandomStreams.SHUFFLE, 1, "k"));
    }

    @Test
    void invalidSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Augmentation(10, 5, 0, 4, 0.5));
        assertThrows(IllegalArgumentException.class, () -> new Augmentation(0, 5, 0, 4, 0.5));
        assertThrows(IllegalArgumentException.class, () -> new Augmentation(0, 0, -1, 4, 0.5));
        assertThrows(IllegalArgumentException.class, () -> new Augmentation(0, 0, 0, 0, 0.5));
        assertThrows(IllegalArgumentException.class, () -> new Augmentation(0, 0, 0, 4, 1.5));
        Augmentation aug = new Augmentation(0, 0, 0, 32, 0.5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> aug.sample(new SplittableRandom(0), 28, 28));
        assertTrue(e.getMessage().contains("Cannot crop 32x32 from a 28x28 image"), e.getMessage());
    }
}
