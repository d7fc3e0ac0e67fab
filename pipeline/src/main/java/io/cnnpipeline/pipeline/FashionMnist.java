package io.cnnpipeline.pipeline;

import io.cnnpipeline.image.ImageEncoder;
import io.cnnpipeline.dataset.ShardCodec;
import io.cnnpipeline.image.UInt8Image;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import java.util.zip.GZIPInputStream;

/**
 * Fashion-MNIST (Xiao et al. 2017) as Debian's {@code dataset-fashion-mnist} package ships it: gzipped IDX files
 * ({@code train-images-idx3-ubyte.gz}, ...) of 28×28 grey uint8 images and uint8 labels. Writes them out as PNG files
 * in class folders, the way a user's images would arrive. Driver-side utility of the demo.
 */
public final class FashionMnist {
    /** Class folder names, index = label; the digit prefix keeps the sorted order equal to the label order. */
    public static final List<String> CLASSES = List.of("0-tshirt-top", "1-trouser", "2-pullover", "3-dress",
            "4-coat", "5-sandal", "6-shirt", "7-sneaker", "8-bag", "9-ankle-boot");

    private FashionMnist() {
    }

    /** Images and labels of one IDX split. {@code images[i]} is 28×28 HWC bytes. */
    public record Split(byte[][] images, int[] labels, int rows, int cols) {
        public int size() {
            return labels.length;
        }
    }

    /**
     * Reads {@code <prefix>-images-idx3-ubyte.gz} and {@code <prefix>-labels-idx1-ubyte.gz} ({@code prefix} is
     * {@code train} or {@code t10k}).
     *
     * @param limit at most this many images (0 = all)
     * @throws UncheckedIOException if the files are missing or malformed
     */
    public static Split read(Path dir, String prefix, int limit) {
        Path imagesPath = dir.resolve(prefix + "-images-idx3-ubyte.gz");
        Path labelsPath = dir.resolve(prefix + "-labels-idx1-ubyte.gz");
        try (DataInputStream images = open(imagesPath); DataInputStream labels = open(labelsPath)) {
            if (images.readInt() != 2051 || labels.readInt() != 2049) {
                throw new IOException("not IDX image/label files (bad magic number)");
            }
            int n = images.readInt();
            int rows = images.readInt();
            int cols = images.readInt();
            int nLabels = labels.readInt();
            if (n != nLabels) {
                throw new IOException(n + " images but " + nLabels + " labels");
            }
            int count = limit > 0 ? Math.min(limit, n) : n;
            byte[][] data = new byte[count][rows * cols];
            int[] y = new int[count];
            for (int i = 0; i < count; i++) {
                images.readFully(data[i]);
                y[i] = labels.readUnsignedByte();
            }
            return new Split(data, y, rows, cols);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read Fashion-MNIST " + prefix + " from " + dir + ": "
                    + e.getMessage(), e);
        }
    }

    private static DataInputStream open(Path p) throws IOException {
        InputStream in = Files.newInputStream(p);
        return new DataInputStream(new java.io.BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16));
    }

    /** Writes {@code <root>/<class>/<index>.png} for every image of the split (in parallel). */
    public static void writePngs(Split split, Path root) {
        try {
            for (String c : CLASSES) {
                Files.createDirectories(root.resolve(c));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create " + root, e);
        }
        ImageEncoder png = new ImageEncoder(ShardCodec.PNG, 90);
        IntStream.range(0, split.size()).parallel().forEach(i -> {
            UInt8Image image = new UInt8Image(split.cols(), split.rows(), 1, split.images()[i]);
            Path file = root.resolve(CLASSES.get(split.labels()[i])).resolve(String.format(java.util.Locale.ROOT, "%05d.png", i));
            try {
                Files.write(file, png.encode(image));
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot write " + file, e);
            }
        });
    }
}
