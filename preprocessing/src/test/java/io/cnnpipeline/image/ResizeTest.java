package io.cnnpipeline.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ResizeTest {
    private static UInt8Image grey(int w, int h, java.util.function.IntBinaryOperator f) {
        byte[] px = new byte[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                px[y * w + x] = (byte) f.applyAsInt(x, y);
            }
        }
        return new UInt8Image(w, h, 1, px);
    }

    @Test
    void downscaleByTwoIsTheMeanOfEachTwoByTwoBlock() {
        UInt8Image in = grey(8, 6, (x, y) -> (x * 29 + y * 13) % 256);
        UInt8Image out = Resize.to(in, 4, 3);
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 4; x++) {
                double mean = (in.get(2 * x, 2 * y, 0) + in.get(2 * x + 1, 2 * y, 0) + in.get(2 * x, 2 * y + 1, 0)
                        + in.get(2 * x + 1, 2 * y + 1, 0)) / 4.0;
                assertEquals(mean, out.get(x, y, 0), 0.51, "pixel " + x + "," + y);
            }
        }
    }

    @Test
    void downscalingACheckerboardAveragesInsteadOfAliasing() {
        UInt8Image checker = grey(64, 64, (x, y) -> (x + y) % 2 == 0 ? 255 : 0);
        UInt8Image out = Resize.to(checker, 20, 20);
        for (byte b : out.pixels()) {
            int v = b & 0xFF;
            assertTrue(v > 100 && v < 155, "aliased value " + v);
        }
    }

    @Test
    void constantImagesStayConstantAtAnyScale() {
        UInt8Image flat = grey(37, 23, (x, y) -> 77);
        for (int[] size : new int[][] {{10, 7}, {37, 23}, {80, 51}, {1, 1}}) {
            UInt8Image out = Resize.to(flat, size[0], size[1]);
            for (byte b : out.pixels()) {
                assertEquals(77, b & 0xFF);
            }
        }
    }

    @Test
    void shortSideKeepsTheAspectRatio() {
        UInt8Image landscape = UInt8Image.zeros(400, 300, 3);
        UInt8Image out = Resize.shortSide(landscape, 150);
        assertEquals(200, out.width());
        assertEquals(150, out.height());
        assertArrayEquals(new int[] {256, 341}, Resize.shortSideSize(300, 400, 256));
        assertSame(landscape, Resize.shortSide(landscape, 300));
        assertThrows(IllegalArgumentException.class, () -> Resize.shortSide(landscape, 0));
    }

    @Test
    void upscalingInterpolatesBetweenNeighbours() {
        UInt8Image two = grey(2, 1, (x, y) -> x == 0 ? 0 : 200);
        UInt8Image out = Resize.to(two, 4, 1);
        assertEquals(0, out.get(0, 0, 0));
        assertEquals(50, out.get(1, 0, 0));
        assertEquals(150, out.get(2, 0, 0));
        assertEquals(200, out.get(3, 0, 0));
    }
}
