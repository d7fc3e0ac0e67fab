package io.cnnpipeline.pipeline;

import io.cnnpipeline.core.Json;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo's data step: finds Fashion-MNIST from Debian's {@code dataset-fashion-mnist} package (installing it with
 * apt-get when running as root, otherwise saying how), and writes it out as PNG class folders
 * {@code <demo.images-dir>/{train,test}/<class>/<n>.png} for the preprocess stage to ingest. Driver-side.
 */
public final class Demo {
    private static final Logger LOG = LoggerFactory.getLogger(Demo.class);
    static final String PACKAGE = "dataset-fashion-mnist";
    private static final String MARKER = "_demo-images.json";

    private Demo() {
    }

    /**
     * Makes sure the IDX files are in {@code dir}.
     *
     * @throws IllegalStateException with the install command if they are missing and cannot be installed here
     */
    public static Path ensureFashionMnist(String dir) {
        Path path = Paths.get(dir);
        if (hasIdx(path)) {
            return path;
        }
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root && new File("/usr/bin/apt-get").canExecute()) {
            LOG.info("demo: Fashion-MNIST not found in {}; installing Debian package {}", dir, PACKAGE);
            run("apt-get", "update", "-qq");
            run("apt-get", "install", "-y", "-qq", PACKAGE);
        }
        if (!hasIdx(path)) {
            throw new io.cnnpipeline.core.StageFailedException("Cannot find Fashion-MNIST in " + dir + ": install it with\n"
                    + "    sudo apt-get update && sudo apt-get install -y " + PACKAGE + "\n"
                    + "or point demo.fashion-mnist-dir at a folder with the four *-ubyte.gz IDX files");
        }
        return path;
    }

    /** Writes the PNG class folders unless the same number of images was written there before. */
    public static void prepareImages(PipelineConfig config) {
        Path idx = ensureFashionMnist(config.demoFashionMnistDir());
        Path images = Paths.get(config.demoImagesDir());
        Map<String, Integer> wanted = Map.of("trainLimit", config.demoTrainLimit(), "testLimit", config.demoTestLimit());
        Path marker = images.resolve(MARKER);
        try {
            if (Files.exists(marker) && Json.MAPPER.readValue(marker.toFile(), Map.class).equals(wanted)) {
                LOG.info("demo: PNG class folders already in {}", images);
                return;
            }
            if (Files.exists(images)) {
                try (var walk = Files.walk(images)) {
                    walk.sorted(java.util.Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
                }
            }
            long t0 = System.nanoTime();
            FashionMnist.Split train = FashionMnist.read(idx, "train", config.demoTrainLimit());
            FashionMnist.writePngs(train, images.resolve("train"));
            FashionMnist.Split test = FashionMnist.read(idx, "t10k", config.demoTestLimit());
            FashionMnist.writePngs(test, images.resolve("test"));
            Files.write(marker, Json.toBytes(wanted));
            LOG.info("demo: wrote {} train and {} test PNGs to {} in {} s", train.size(), test.size(), images,
                    String.format(java.util.Locale.ROOT, "%.1f", (System.nanoTime() - t0) / 1e9));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot prepare demo images in " + images + ": " + e.getMessage(), e);
        }
    }

    private static boolean hasIdx(Path dir) {
        for (String f : new String[] {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}) {
            if (!Files.isRegularFile(dir.resolve(f))) {
                return false;
            }
        }
        return true;
    }

    private static void run(String... command) {
        try {
            Process p = new ProcessBuilder(command).inheritIO().start();
            int rc = p.waitFor();
            if (rc != 0) {
                LOG.warn("demo: {} exited with {}", String.join(" ", command), rc);
            }
        } catch (IOException e) {
            LOG.warn("demo: cannot run {}: {}", String.join(" ", command), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
