package io.cnnpipeline.augment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.image.CropBox;
import io.cnnpipeline.image.ImageDecoder;
import io.cnnpipeline.image.ImageEncoder;
import io.cnnpipeline.image.Resize;
import io.cnnpipeline.dataset.ShardCodec;
import io.cnnpipeline.core.TestImages;
import io.cnnpipeline.image.UInt8Image;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * One golden image per transform for fixed parameters, applied to a real photograph (hugin-data) resized to 64×48:
 * any change to a transform's pixels fails here. After an intended change, regenerate with
 * {@code ./mvnw -pl preprocessing test -Dtest=GoldenImagesTest -Dgolden.update=true}, look at the PNGs in
 * {@code src/test/resources/golden/augment/} and commit them with the change.
 */
class GoldenImagesTest {
    private static final Path SOURCE_DIR = Path.of("src/test/resources/golden/augment");

    /** Transforms with fixed parameters, by golden file name. */
    @SuppressWarnings({"rawtypes"})
    static Map<String, Object[]> cases() {
        Map<String, Object[]> c = new LinkedHashMap<>();
        c.put("flip", new Object[] {new Flip(true), new Flip.Params()});
        c.put("vertical-flip", new Object[] {new Flip(false), new Flip.Params()});
        c.put("scale-crop", new Object[] {new ScaleCrop(40, 80, 32),
                new ScaleCrop.Params(60, 80, 60, new CropBox(30, 14, 32, 32, false))});
        c.put("random-resized-crop", new Object[] {new RandomResizedCrop(32, 0.08, 1, 0.75, 4.0 / 3),
                new RandomResizedCrop.Params(10, 6, 30, 24)});
        c.put("pad-crop", new Object[] {new PadCrop(4, 48), new PadCrop.Params(new CropBox(1, 6, 48, 48, false))});
        c.put("color-jitter", new Object[] {new ColorJitter(0.4, 0.4, 0.4), new ColorJitter.Params(1.3, 0.7, 1.4)});
        c.put("pca-lighting", new Object[] {new PcaLighting(0.1, new double[] {0.06, 0.012, 0.003},
                new double[][] {{0.577, 0.577, 0.577}, {-0.707, 0, 0.707}, {0.408, -0.816, 0.408}}),
                new PcaLighting.Params(new double[] {0.2, -0.15, 0.1})});
        c.put("affine", new Object[] {new Affine(0.1, 20, 0.9, 1.1, 0.2, 10, Border.CONSTANT, 0),
                new Affine.Params(4, -3, 15, 1.1, 0.9, 8)});
        c.put("affine-reflect", new Object[] {new Affine(0.1, 20, 0.9, 1.1, 0.2, 10, Border.REFLECT, 0),
                new Affine.Params(4, -3, 15, 1.1, 0.9, 8)});
        c.put("lens-barrel", new Object[] {new LensDistortion(0.3, Border.REPLICATE, 0), new LensDistortion.Params(0.3)});
        c.put("lens-pincushion", new Object[] {new LensDistortion(0.3, Border.CONSTANT, 0),
                new LensDistortion.Params(-0.3)});
        c.put("random-erasing", new Object[] {new RandomErasing(0.02, 0.4, 0.3, 3.3, true, 0),
                new RandomErasing.Params(20, 10, 18, 14, 12345L)});
        return c;
    }

    private static String diff(UInt8Image a, UInt8Image b) {
        if (a.width() != b.width() || a.height() != b.height() || a.channels() != b.channels()) {
            return a + " vs " + b;
        }
        int n = 0;
        int max = 0;
        for (int i = 0; i < a.pixels().length; i++) {
            int d = Math.abs((a.pixels()[i] & 0xFF) - (b.pixels()[i] & 0xFF));
            n += d > 0 ? 1 : 0;
            max = Math.max(max, d);
        }
        return n + " of " + a.pixels().length + " values differ, by up to " + max;
    }

    static UInt8Image source() throws Exception {
        Path file = TestImages.huginPhotos().stream().filter(p -> p.getFileName().toString().startsWith("250px"))
                .findFirst().orElseThrow();
        return Resize.to(new ImageDecoder(3, 1L << 26).decode(Files.readAllBytes(file)), 64, 48);
    }

    @Test
    @SuppressWarnings({"unchecked", "rawtypes"})
    void everyTransformReproducesItsGoldenImage() throws Exception {
        UInt8Image source = source();
        boolean update = Boolean.getBoolean("golden.update");
        ImageEncoder png = new ImageEncoder(ShardCodec.PNG, 90);
        ImageDecoder decoder = new ImageDecoder(3, 1L << 26);
        for (Map.Entry<String, Object[]> e : cases().entrySet()) {
            Transform t = (Transform) e.getValue()[0];
            UInt8Image out = t.apply(source, (Serializable) e.getValue()[1]);
            String name = e.getKey() + ".png";
            if (update) {
                Files.createDirectories(SOURCE_DIR);
                Files.write(SOURCE_DIR.resolve(name), png.encode(out));
                continue;
            }
            try (InputStream in = GoldenImagesTest.class.getResourceAsStream("/golden/augment/" + name)) {
                assertTrue(in != null, "missing golden image " + name + " (generate with -Dgolden.update=true)");
                UInt8Image golden = decoder.decode(in.readAllBytes());
                assertEquals(golden, out, () -> e.getKey() + " differs from its golden image: " + diff(golden, out));
            }
        }
    }
}
