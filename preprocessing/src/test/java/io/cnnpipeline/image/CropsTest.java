package io.cnnpipeline.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.core.TestImages;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class CropsTest {
    private final UInt8Image image = TestImages.pattern(3, 10, 3, 7);

    @Test
    void tenCropIsFourCornersAndCentreAndTheirFlips() {
        List<CropBox> ten = Crops.tenCrop(10, 8, 6);
        assertEquals(10, ten.size());
        assertEquals(new CropBox(0, 0, 6, 6, false), ten.get(0));
        assertEquals(new CropBox(4, 0, 6, 6, false), ten.get(1));
        assertEquals(new CropBox(0, 2, 6, 6, false), ten.get(2));
        assertEquals(new CropBox(4, 2, 6, 6, false), ten.get(3));
        assertEquals(new CropBox(2, 1, 6, 6, false), ten.get(4));
        for (int i = 0; i < 5; i++) {
            assertEquals(ten.get(i).flipped(), ten.get(i + 5));
        }
        assertEquals(10, new HashSet<>(ten).size());
    }

    @Test
    void cropCopiesTheBoxAndFlipMirrorsIt() {
        UInt8Image crop = Crops.apply(image, new CropBox(2, 3, 4, 5, false));
        UInt8Image flipped = Crops.apply(image, new CropBox(2, 3, 4, 5, true));
        for (int y = 0; y < 5; y++) {
            for (int x = 0; x < 4; x++) {
                for (int c = 0; c < 3; c++) {
                    assertEquals(image.get(2 + x, 3 + y, c), crop.get(x, y, c));
                    assertEquals(image.get(2 + 3 - x, 3 + y, c), flipped.get(x, y, c));
                }
            }
        }
    }

    @Test
    void flippingTwiceIsTheIdentity() {
        assertEquals(image, Crops.flipHorizontal(Crops.flipHorizontal(image)));
        assertTrue(!image.equals(Crops.flipHorizontal(image)));
    }

    @Test
    void padSurroundsWithZeros() {
        UInt8Image padded = Crops.pad(image, 2);
        assertEquals(14, padded.width());
        assertEquals(0, padded.get(0, 0, 0));
        assertEquals(0, padded.get(13, 13, 2));
        assertEquals(image.get(0, 0, 1), padded.get(2, 2, 1));
        assertEquals(image, Crops.apply(padded, new CropBox(2, 2, 10, 10, false)));
        assertEquals(image, Crops.padTo(image, 10));
        assertEquals(padded, Crops.padTo(image, 14));
        assertEquals(padded, Crops.padTo(image, 13), "odd deficits pad the extra pixel on every side");
    }

    @Test
    void cropsOutsideTheImageAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Crops.apply(image, new CropBox(6, 0, 5, 5, false)));
        assertTrue(e.getMessage().startsWith("Cannot crop"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Crops.centre(10, 10, 11));
    }
}
