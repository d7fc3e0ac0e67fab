package io.cnnpipeline.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.dataset.ShardCodec;
import io.cnnpipeline.image.ImageDecodeException;
import io.cnnpipeline.image.ImageEncoder;
import io.cnnpipeline.image.UInt8Image;
import org.junit.jupiter.api.Test;

class ImagePreparationTest {
    private static byte[] png(int width, int height) {
        byte[] px = new byte[width * height];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i * 7);
        }
        return new ImageEncoder(ShardCodec.PNG, 90).encode(new UInt8Image(width, height, 1, px));
    }

    @Test
    void anExtremeAspectRatioIsRefusedBeforeTheResizeWithItsSizes() throws Exception {
        ImagePreparation p = new ImagePreparation(1, 64, false, 1L << 26, null, false, 4_194_304L);
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> p.prepare(png(3, 4000), p.decoder()));
        assertEquals("output-too-large", e.reason());
        assertTrue(e.getMessage().contains("3x4000 resized to short side 64 would be 64x85333 = 5461312 pixels"),
                e.getMessage());
        // An ordinary photo's shape passes, as does the same strip without a limit or with a centre crop's limit met.
        UInt8Image ok = p.prepare(png(300, 400), p.decoder());
        assertEquals(64, ok.width());
        assertEquals(85, ok.height());
        ImagePreparation unlimited = new ImagePreparation(1, 64, false, 1L << 26, null, false, 0);
        assertEquals(85333, unlimited.prepare(png(3, 4000), unlimited.decoder()).height());
        ImagePreparation cropped = new ImagePreparation(1, 64, true, 1L << 26, null, false, 0);
        UInt8Image square = cropped.prepare(png(3, 4000), cropped.decoder());
        assertEquals(64, square.width());
        assertEquals(64, square.height());
    }
}
