package io.cnnpipeline.core;

import io.cnnpipeline.image.ImageEncoder;
import io.cnnpipeline.dataset.ShardCodec;
import io.cnnpipeline.image.UInt8Image;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Synthetic test images: each class has a distinct, learnable pattern (class 0 horizontal stripes, class 1 vertical
 * stripes, class 2 a bright centre square, ...) with seeded noise, so that a small network separates them quickly.
 */
public final class TestImages {
    /** Photographs of Debian's hugin-data package (installed by .ci/run). */
    public static final Path HUGIN_PHOTOS = Path.of("/usr/share/hugin/xrc/data/help_en_EN");

    private TestImages() {
    }

    /** A {@code size}×{@code size} image of class {@code label}. */
    public static UInt8Image pattern(int label, int size, int channels, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        byte[] px = new byte[size * size * channels];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int v;
                switch (label % 4) {
                    case 0:
                        v = (y / 3) % 2 == 0 ? 220 : 30;
                        break;
                    case 1:
                        v = (x / 3) % 2 == 0 ? 220 : 30;
                        break;
                    case 2:
                        v = Math.abs(x - size / 2) < size / 4 && Math.abs(y - size / 2) < size / 4 ? 230 : 20;
                        break;
                    default:
                        v = (x + y) % 6 < 3 ? 200 : 40;
                }
                v = Math.max(0, Math.min(255, v + rng.nextInt(41) - 20));
                for (int c = 0; c < channels; c++) {
                    px[(y * size + x) * channels + c] = (byte) Math.max(0, Math.min(255, v - 20 * c));
                }
            }
        }
        return new UInt8Image(size, size, channels, px);
    }

    /**
     * Writes {@code <root>/class-<k>/img-<i>.png} for {@code classes} classes × {@code perClass} images.
     *
     * @return the class folder names
     */
    public static List<String> writeClassFolders(Path root, int classes, int perClass, int size, int channels,
                                                 long seed) {
        ImageEncoder png = new ImageEncoder(ShardCodec.PNG, 90);
        List<String> names = Stream.iterate(0, k -> k + 1).limit(classes).map(k -> "class-" + k).toList();
        try {
            for (int k = 0; k < classes; k++) {
                Path dir = Files.createDirectories(root.resolve(names.get(k)));
                for (int i = 0; i < perClass; i++) {
                    UInt8Image image = pattern(k, size, channels, seed * 1_000_003L + k * 10_007L + i);
                    Files.write(dir.resolve(String.format("img-%03d.png", i)), png.encode(image));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return names;
    }

    /** The real photographs of hugin-data (JPEG files of at least 200 px on the short side). */
    public static List<Path> huginPhotos() {
        try (Stream<Path> files = Files.list(HUGIN_PHOTOS)) {
            return files.filter(p -> p.toString().endsWith(".jpg")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("hugin-data is not installed (apt-get install hugin-data)", e);
        }
    }

    public static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
